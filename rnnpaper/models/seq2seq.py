"""Attentional encoder-decoder with an optional pointer-generator copy mechanism.

Notation (notebook 07): source x_1..x_S, encoder states h_j = [h_j^fwd; h_j^bwd] (2H),
decoder state s_t (H), additive attention (Bahdanau et al. 2015)

    e_tj = v^T tanh(W_h h_j + W_s s_t + b_att)                                  (7.1)
    a_t = softmax_j(e_tj)  (padding masked),  c_t = sum_j a_tj h_j             (7.2)
    P_vocab = softmax(W_2 (W_1 [s_t; c_t] + b_1) + b_2)                        (7.3)
    p_gen = sigmoid(w_c . c_t + w_s . s_t + w_x . x_t + b_gen)                 (7.4)
    P(w) = p_gen P_vocab(w) + (1 - p_gen) sum_{j: x_j = w} a_tj                (7.5)

and, optionally, coverage (See et al. 2017): the attention so far is an input of (7.1) and
overlapping it again is penalised,

    k_t = sum_{t' < t} a_t'                     (coverage vector, k_1 = 0)     (7.8)
    e_tj = v^T tanh(W_h h_j + W_s s_t + w_k k_tj + b_att)                      (7.1')
    loss_t = -log P(w*_t) + lambda sum_j min(a_tj, k_tj)                       (7.9)

Following See et al. (2017) the decoder attends with its new state s_t = cell(x_t, s_{t-1}),
x_t being the embedding of the previous output word. Nothing but x_t feeds the decoder cell
(no input feeding), so under teacher forcing all states s_1..s_T come from one pass of the
cell's layer form (the fused kernel or the cell's scan) and (7.1)-(7.5) are evaluated for all
steps at once; with coverage only the attention (7.1') runs step by step. Source words outside
the vocabulary get temporary ids V, V+1, ... per example (the extended vocabulary), so (7.5)
can copy them. Decoding (greedy, beam search) is :mod:`rnnpaper.models.seq2seq_decode`.
Encoder and decoder recur with any cell of :mod:`rnnpaper.models.registry`.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rnnpaper.models import registry, seq2seq_decode
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
    coverage: bool = False  # the coverage vector (7.8) in the attention (7.1')
    coverage_weight: float = 1.0  # lambda of the coverage loss (7.9)
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
    """Bahdanau attention, eqs. (7.1)-(7.2) (with coverage, 7.1'); W_h h_j is computed once."""

    def __init__(self, enc_dim: int, dec_dim: int, attn_dim: int, coverage: bool = False):
        super().__init__()
        self.W_h = nn.Linear(enc_dim, attn_dim, bias=False)
        self.W_s = nn.Linear(dec_dim, attn_dim, bias=True)  # its bias is b_att
        self.v = nn.Linear(attn_dim, 1, bias=False)
        self.w_k = nn.Parameter(torch.zeros(attn_dim)) if coverage else None  # (A,)

    def forward(self, Wh, h, mask, s, k=None):
        """Wh (B,S,A), h (B,S,2H), mask (B,S), s (B,H) or (B,T,H), coverage k (B,S) ->
        context c (B,[T,]2H), weights a (B,[T,]S)."""
        one = s.dim() == 2
        s = s.unsqueeze(1) if one else s  # (B,T,H)
        pre = Wh.unsqueeze(1) + self.W_s(s).unsqueeze(2)  # (B,T,S,A)
        if self.w_k is not None and k is not None:  # k = 0 adds nothing
            pre = pre + k[:, None, :, None] * self.w_k  # (7.1')
        e = self.v(torch.tanh(pre)).squeeze(-1)  # (B,T,S)
        a = torch.softmax(e.masked_fill(~mask.unsqueeze(1), float("-inf")), dim=-1)  # (B,T,S)
        c = torch.bmm(a, h)  # (B,T,2H)
        return (c.squeeze(1), a.squeeze(1)) if one else (c, a)


def cell_over_time(cell: nn.Module, x, state, training: bool = False):
    """The decoder cell over a whole input x (B,T,E) from ``state``: states s (B,T,H).

    A torch.nn one-step cell runs its layer kernel on its own weights; a registry cell runs
    its ``scan`` (the fast layer form when it has one); each equals stepping ``cell``.
    """
    if isinstance(cell, nn.RNNCellBase):
        w = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh]
        args = (w, True, 1, 0.0, training, False, True)  # biases, layers, dropout, train, bi, bf
        if isinstance(cell, nn.LSTMCell):
            return torch.lstm(x, (state[0][None], state[1][None]), *args)[0]  # (B,T,H)
        gru = isinstance(cell, nn.GRUCell)
        fn = torch.gru if gru else getattr(torch, f"rnn_{cell.nonlinearity}")
        return fn(x, state[None], *args)[0]  # (B,T,H)
    ys, _ = cell.scan(x.transpose(0, 1), state)  # (T,B,H)
    return ys.transpose(0, 1)  # (B,T,H)


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
        self.attention = AdditiveAttention(2 * H, H, cfg.attn_dim, cfg.coverage)
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

    def distribution(self, s, c, x, a, src, n_oov: int):
        """log P(w) (7.3)-(7.5) of states s (B,T,H), contexts c (B,T,2H), inputs x (B,T,E) and
        weights a (B,T,S) over the extended vocabulary: (B,T,V+n_oov) (B,T,V without copy)."""
        logits = self.W_2(self.drop(self.W_1(torch.cat([s, c], -1))))  # (B,T,V)
        if self.p_gen is None:
            return F.log_softmax(logits, -1)
        p_gen = torch.sigmoid(self.p_gen(torch.cat([c, s, x], -1)))  # (B,T,1)
        p_vocab = torch.softmax(logits, -1) * p_gen  # (B,T,V)
        p = torch.cat([p_vocab, p_vocab.new_zeros(*p_vocab.shape[:2], n_oov)], -1)
        index = src.unsqueeze(1).expand(-1, a.shape[1], -1)  # (B,T,S)
        p = p.scatter_add(2, index, (1 - p_gen) * a)  # (7.5)
        return torch.log(p + _EPS)

    def step(self, y_prev, state, memory, n_oov: int, k=None):
        """One decoder step: previous ids (B,) and coverage k (B,S) (None: zero) -> log P(w)
        (B,V+n_oov), new state, a (B,S); the caller adds a to the coverage (7.8)."""
        x = self.embed(y_prev)  # (B,E)
        state = self.cell(x, state)
        s = state[0] if self.paired else state  # (B,H)
        c, a = self.attention(memory["Wh"], memory["h"], memory["mask"], s, k)  # (B,2H), (B,S)
        one = lambda t: t.unsqueeze(1)  # noqa: E731  (B,...) -> (B,1,...)
        logp = self.distribution(one(s), one(c), one(x), one(a), memory["src"], n_oov)
        return logp.squeeze(1), state, a

    # ------------------------------------------------------------ training

    def losses(self, src, src_mask, tgt, n_oov: int = 0):
        """Teacher forcing: per-token NLL (B,T) and coverage loss sum_j min(a_tj, k_tj) (B,T)
        (zero without coverage); tgt ends in <eos>."""
        memory, state = self.encode(src, src_mask)
        B = len(src)
        if self.p_gen is None:  # without copying, a source OOV in the target can only be <unk>
            tgt = tgt.masked_fill(tgt >= self.cfg.vocab_size, self.cfg.unk_id)
        y_prev = torch.cat([tgt.new_full((B, 1), self.cfg.bos_id), tgt[:, :-1]], 1)  # (B,T)
        x = self.embed(y_prev)  # (B,T,E)
        s = cell_over_time(self.cell, x, state, self.training)  # (B,T,H)
        c, a, cov = self._attend_all(memory, s)  # (B,T,2H), (B,T,S), (B,T)
        logp = self.distribution(s, c, x, a, memory["src"], n_oov)  # (B,T,W)
        return -logp.gather(2, tgt.unsqueeze(-1)).squeeze(-1), cov

    def _attend_all(self, memory, s):
        """Attention of every step: all at once, or step by step with coverage (7.8)."""
        args = memory["Wh"], memory["h"], memory["mask"]
        if not self.cfg.coverage:
            c, a = self.attention(*args, s)  # (B,T,2H), (B,T,S)
            return c, a, s.new_zeros(s.shape[:2])
        k, cs, As, covs = torch.zeros_like(memory["mask"], dtype=s.dtype), [], [], []
        for s_t in s.unbind(1):
            c_t, a_t = self.attention(*args, s_t, k)  # (B,2H), (B,S)
            covs.append(torch.minimum(a_t, k).sum(-1))  # (B,) eq. 7.9
            k = k + a_t  # (7.8)
            cs.append(c_t)
            As.append(a_t)
        return torch.stack(cs, 1), torch.stack(As, 1), torch.stack(covs, 1)

    def forward(self, src, src_mask, tgt, tgt_mask, n_oov: int = 0):
        """The training loss per target token: mean NLL (7.6), plus lambda x the coverage
        loss (7.9) when coverage is on."""
        nll, cov = self.losses(src, src_mask, tgt, n_oov)  # (B,T) each
        loss = nll + self.cfg.coverage_weight * cov if self.cfg.coverage else nll
        return (loss * tgt_mask).sum() / tgt_mask.sum()

    # ------------------------------------------------------------ decoding

    def greedy(self, src, src_mask, n_oov: int = 0, max_len: int = 20, **constraints):
        """Greedy decoding: ids (B,L) (after <eos>: <pad>) and attention weights (B,L,S);
        ``constraints``: see :func:`rnnpaper.models.seq2seq_decode.greedy`."""
        return seq2seq_decode.greedy(self, src, src_mask, n_oov, max_len, **constraints)

    def beam_search(self, src, src_mask, n_oov: int = 0, beam: int = 4, max_len: int = 20,
                    alpha: float = 1.0, min_len: int = 1, **constraints):  # fmt: skip
        """Batched beam search ranking by log P(y) / |y|^alpha; returns best ids (B,L)."""
        return seq2seq_decode.beam_search(
            self, src, src_mask, n_oov, beam, max_len, alpha, min_len, **constraints
        )
