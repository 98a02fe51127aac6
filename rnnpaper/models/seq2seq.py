"""Attentional encoder-decoder with an optional pointer-generator copy mechanism.

Notation (notebook 07): source x_1..x_S, encoder states h_j = [h_j^fwd; h_j^bwd] (2H),
decoder state s_t (H), additive attention (Bahdanau et al. 2015)

    e_tj = v^T tanh(W_h h_j + W_s s_t + b_att)                                  (7.1)
    a_t = softmax_j(e_tj)  (padding masked),  c_t = sum_j a_tj h_j             (7.2)
    P_vocab = softmax(W_2 (W_1 [s_t; c_t] + b_1) + b_2)                        (7.3)
    p_gen = sigmoid(w_c . c_t + w_s . s_t + w_x . x_t + b_gen)                 (7.4)
    P(w) = p_gen P_vocab(w) + (1 - p_gen) sum_{j: x_j = w} a_tj                (7.5)

Following See et al. (2017) the decoder attends with its new state s_t = cell(x_t, s_{t-1}),
x_t being the embedding of the previous output word. Source words outside the vocabulary get
temporary ids V, V+1, ... per example (the extended vocabulary), so (7.5) can copy them.
Decoding: greedy, and beam search ranking hypotheses by log P / |y|^alpha. Encoder and
decoder recur with any cell of :mod:`rnnpaper.models.registry`.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rnnpaper.models import registry
from rnnpaper.models.recurrent import Recurrent
from rnnpaper.text import BOS, EOS, PAD, UNK

_EPS = 1e-12


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Sizes of one encoder-decoder; saved with every run."""

    kind: str = "lstm"  # a registered cell (rnnpaper.models.registry), encoder and decoder
    vocab_size: int = 1000
    embed_dim: int = 64
    hidden_size: int = 128  # per encoder direction, and the decoder state
    attn_dim: int = 128
    copy: bool = True
    dropout: float = 0.0
    pad_id: int = 0
    unk_id: int = 1
    bos_id: int = 2
    eos_id: int = 3


# ---------------------------------------------------------------- extended vocabulary


def extend_source(tokens: list[str], stoi: dict) -> tuple[list[int], list[str]]:
    """Source ids in the extended vocabulary, and the per-example OOV list (ids V, V+1, ...)."""
    V, oovs, ids = len(stoi), [], []
    for tok in tokens:
        if tok in stoi:
            ids.append(stoi[tok])
        elif tok == "unk":  # the corpus's own UNK marker stays <unk>, never a copyable word
            ids.append(stoi[UNK])
        else:
            if tok not in oovs:
                oovs.append(tok)
            ids.append(V + oovs.index(tok))
    return ids, oovs


def extend_target(tokens: list[str], stoi: dict, oovs: list[str]) -> list[int]:
    """Target ids: in-vocabulary words, else a source OOV's extended id, else <unk>."""
    V, unk = len(stoi), stoi[UNK]
    return [stoi[t] if t in stoi else (V + oovs.index(t) if t in oovs else unk) for t in tokens]


def decode_ids(ids: list[int], itos: list[str], oovs: list[str]) -> list[str]:
    """Words of extended ids, stopping at <eos>; <unk> is written 'unk' (as Gigaword's UNK)."""
    words = []
    for i in ids:
        w = itos[i] if i < len(itos) else oovs[i - len(itos)]
        if w == EOS:
            break
        if w in (PAD, BOS):
            continue
        words.append("unk" if w == UNK else w)
    return words


# ---------------------------------------------------------------- modules


def reverse_padded(x, lengths):
    """Reverse each sequence of x (B,T,...) within its length; padding stays at the end."""
    T = x.shape[1]
    t = torch.arange(T).unsqueeze(0)  # (1,T)
    idx = torch.where(t < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - t, t)  # (B,T)
    return x.gather(1, idx.view(*idx.shape, *([1] * (x.dim() - 2))).expand_as(x))


class Encoder(nn.Module):
    """Bidirectional one-layer recurrent encoder of any registered cell: h_j = [h_j^fwd; h_j^bwd].

    Each direction is a one-direction :class:`Recurrent` (the cell's torch.nn twin when the
    registry has one). The backward direction reads each source reversed within its own
    length, so no state ever passes through padding. (Packed sequences would do the same, but
    the CPU backward of a packed fused RNN fills zeros once per step: quadratic in length.)
    """

    def __init__(self, kind: str, embed_dim: int, hidden_size: int):
        super().__init__()
        self.kind = kind
        self.fwd = Recurrent(kind, embed_dim, hidden_size)
        self.bwd = Recurrent(kind, embed_dim, hidden_size)
        self._register_load_state_dict_pre_hook(_rename_legacy)

    def forward(self, emb, mask):
        """emb (B,S,E), mask (B,S) -> states h (B,S,2H) (zero on padding), final (B,2H)."""
        lengths = mask.sum(1).clamp(min=1)  # (B,)
        h_f, _ = self.fwd(emb)  # (B,S,H); outputs at real positions never see padding
        h_b, _ = self.bwd(reverse_padded(emb, lengths))
        h_b = reverse_padded(h_b, lengths)  # (B,S,H), position j has read x_S..x_j
        last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, h_f.shape[-1])  # (B,1,H)
        final = torch.cat([h_f.gather(1, last).squeeze(1), h_b[:, 0]], -1)  # (B,2H)
        h = torch.cat([h_f, h_b], -1) * mask.unsqueeze(-1)  # (B,S,2H)
        return h, final


def _rename_legacy(state_dict, prefix, *_):
    """Checkpoints from before the registry held each direction as a bare torch.nn layer."""
    for key in [k for k in state_dict if k.startswith((prefix + "fwd.", prefix + "bwd."))]:
        head, name = key[: len(prefix) + 4], key[len(prefix) + 4 :]
        if "." not in name:  # fwd.weight_ih_l0 -> fwd.rnn.weight_ih_l0
            state_dict[head + "rnn." + name] = state_dict.pop(key)


class AdditiveAttention(nn.Module):
    """Bahdanau attention, eqs. (7.1)-(7.2); W_h h_j is computed once per source."""

    def __init__(self, enc_dim: int, dec_dim: int, attn_dim: int):
        super().__init__()
        self.W_h = nn.Linear(enc_dim, attn_dim, bias=False)
        self.W_s = nn.Linear(dec_dim, attn_dim, bias=True)  # its bias is b_att
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, Wh, h, mask, s):
        """Wh (B,S,A), h (B,S,2H), mask (B,S), s (B,H) -> context c (B,2H), weights a (B,S)."""
        e = self.v(torch.tanh(Wh + self.W_s(s).unsqueeze(1))).squeeze(-1)  # (B,S)
        a = torch.softmax(e.masked_fill(~mask, float("-inf")), dim=-1)  # (B,S)
        c = torch.bmm(a.unsqueeze(1), h).squeeze(1)  # (B,2H)
        return c, a


class Seq2Seq(nn.Module):
    """Encoder, attentive decoder and (optionally) the pointer-generator output (7.1)-(7.5)."""

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        self.cfg = cfg
        E, H = cfg.embed_dim, cfg.hidden_size
        spec = registry.spec(cfg.kind)
        self.paired = spec.state_parts == 2  # the state is (s_t, C_t), as the LSTM's
        self.embedding = nn.Embedding(cfg.vocab_size, E, padding_idx=cfg.pad_id)
        self.encoder = Encoder(cfg.kind, E, H)
        self.bridge_h = nn.Linear(2 * H, H)  # s_0 = tanh(W [h_S^fwd; h_1^bwd])
        self.bridge_c = nn.Linear(2 * H, H) if self.paired else None  # C_0 of a paired state
        self.cell = spec.step(E, H)  # one step (x_t, state) -> state: torch.nn twin if any
        self.attention = AdditiveAttention(2 * H, H, cfg.attn_dim)
        self.W_1 = nn.Linear(3 * H, H)
        self.W_2 = nn.Linear(H, cfg.vocab_size)
        self.p_gen = nn.Linear(2 * H + H + E, 1) if cfg.copy else None
        self.drop = nn.Dropout(cfg.dropout)

    # ------------------------------------------------------------ pieces

    def embed(self, ids):
        """Embed extended ids: copied OOVs (id >= V) are read as <unk>."""
        ids = ids.masked_fill(ids >= self.cfg.vocab_size, self.cfg.unk_id)
        return self.drop(self.embedding(ids))

    def encode(self, src, mask):
        """src (B,S) extended ids -> memory dict and the initial decoder state."""
        h, h_fin = self.encoder(self.embed(src), mask)  # (B,S,2H), (B,2H)
        s0 = torch.tanh(self.bridge_h(h_fin))  # (B,H)
        state = (s0, torch.tanh(self.bridge_c(h_fin))) if self.paired else s0
        memory = {"h": h, "Wh": self.attention.W_h(h), "mask": mask, "src": src}
        return memory, state

    def step(self, y_prev, state, memory, n_oov: int):
        """One decoder step: previous ids (B,) -> log P(w) (B,V+n_oov), new state, a (B,S)."""
        x = self.embed(y_prev)  # (B,E)
        state = self.cell(x, state)
        s = state[0] if self.paired else state  # (B,H)
        c, a = self.attention(memory["Wh"], memory["h"], memory["mask"], s)  # (B,2H), (B,S)
        logits = self.W_2(self.drop(self.W_1(torch.cat([s, c], -1))))  # (B,V)
        if self.p_gen is None:
            return F.log_softmax(logits, -1), state, a
        p_gen = torch.sigmoid(self.p_gen(torch.cat([c, s, x], -1)))  # (B,1)
        p_vocab = torch.softmax(logits, -1) * p_gen  # (B,V)
        p = torch.cat([p_vocab, p_vocab.new_zeros(len(p_vocab), n_oov)], -1)  # (B,V+n_oov)
        p = p.scatter_add(1, memory["src"], (1 - p_gen) * a)  # (7.5)
        return torch.log(p + _EPS), state, a

    # ------------------------------------------------------------ training

    def forward(self, src, src_mask, tgt, tgt_mask, n_oov: int = 0):
        """Teacher forcing: mean negative log-likelihood per target token (tgt ends in <eos>)."""
        memory, state = self.encode(src, src_mask)
        B = len(src)
        if self.p_gen is None:  # without copying, a source OOV in the target can only be <unk>
            tgt = tgt.masked_fill(tgt >= self.cfg.vocab_size, self.cfg.unk_id)
        y_prev = torch.cat([tgt.new_full((B, 1), self.cfg.bos_id), tgt[:, :-1]], 1)  # (B,T)
        nll = []
        for y_in, y_out in zip(y_prev.unbind(1), tgt.unbind(1), strict=True):
            logp, state, _ = self.step(y_in, state, memory, n_oov)  # (B,V+n_oov)
            nll.append(-logp.gather(1, y_out.unsqueeze(1)).squeeze(1))  # (B,)
        nll = torch.stack(nll, 1)  # (B,T)
        return (nll * tgt_mask).sum() / tgt_mask.sum()

    # ------------------------------------------------------------ decoding

    def _decode_step(self, y, state, memory, n_oov):
        """A step of generation: <pad> and <bos> are never produced."""
        logp, state, a = self.step(y, state, memory, n_oov)
        logp[:, [self.cfg.pad_id, self.cfg.bos_id]] = float("-inf")
        return logp, state, a

    @torch.no_grad()
    def greedy(self, src, src_mask, n_oov: int = 0, max_len: int = 20):
        """Greedy decoding: ids (B,L) (after <eos>: <pad>) and attention weights (B,L,S)."""
        memory, state = self.encode(src, src_mask)
        B = len(src)
        y = src.new_full((B,), self.cfg.bos_id)
        done = torch.zeros(B, dtype=torch.bool)
        out, attn = [], []
        for _ in range(max_len):
            logp, state, a = self._decode_step(y, state, memory, n_oov)
            y = logp.argmax(-1).masked_fill(done, self.cfg.pad_id)  # (B,)
            out.append(y)
            attn.append(a)
            done |= y == self.cfg.eos_id
            if done.all():
                break
        return torch.stack(out, 1), torch.stack(attn, 1)

    @torch.no_grad()
    def beam_search(
        self,
        src,
        src_mask,
        n_oov: int = 0,
        beam: int = 4,
        max_len: int = 20,
        alpha: float = 1.0,
        min_len: int = 1,
    ):
        """Batched beam search ranking by log P(y) / |y|^alpha; returns best ids (B,L)."""
        K, B = beam, len(src)
        memory, state = self.encode(src, src_mask)
        memory = {k: v.repeat_interleave(K, 0) for k, v in memory.items()}  # (B*K, ...)
        state = _map_state(state, lambda t: t.repeat_interleave(K, 0))
        score = torch.full((B, K), float("-inf"))
        score[:, 0] = 0.0  # one live hypothesis per example at the start
        length = torch.zeros(B, K)
        done = torch.zeros(B, K, dtype=torch.bool)
        seqs = src.new_zeros(B, K, 0)
        y = src.new_full((B * K,), self.cfg.bos_id)
        for t in range(max_len):
            logp, state, _ = self._decode_step(y, state, memory, n_oov)  # (B*K, W)
            W = logp.shape[-1]
            logp = logp.view(B, K, W)
            if t + 1 < min_len:
                logp[..., self.cfg.eos_id] = float("-inf")
            # a finished hypothesis can only be continued by <pad> at no cost
            logp = torch.where(done.unsqueeze(-1), torch.full_like(logp, float("-inf")), logp)
            logp[..., self.cfg.pad_id] = torch.where(done, 0.0, float("-inf"))
            new_len = length + (~done).float()  # (B,K)
            total = score.unsqueeze(-1) + logp  # (B,K,W)
            normed = total / new_len.clamp(min=1).pow(alpha).unsqueeze(-1)
            _, flat = normed.view(B, K * W).topk(K, -1)  # (B,K)
            origin, token = flat // W, flat % W
            score = total.view(B, K * W).gather(1, flat)
            length = new_len.gather(1, origin)
            done = done.gather(1, origin) | (token == self.cfg.eos_id)
            seqs = torch.cat(
                [seqs.gather(1, origin.unsqueeze(-1).expand(-1, -1, t)), token.unsqueeze(-1)], -1
            )  # (B,K,t+1)
            rows = (origin + torch.arange(B).unsqueeze(1) * K).view(-1)  # (B*K,)
            state = _map_state(state, lambda s, r=rows: s.index_select(0, r))
            y = token.view(-1)
            if done.all():
                break
        final = score / length.clamp(min=1).pow(alpha)  # (B,K)
        best = final.argmax(-1)  # (B,)
        return seqs[torch.arange(B), best]


def _map_state(state, fn):
    """Apply ``fn`` to a decoder state: a tensor, or a paired (h, C) state."""
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)
