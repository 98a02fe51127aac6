"""Decoding of :class:`rnnpaper.models.seq2seq.Seq2Seq`: greedy and batched beam search,
with the coverage vector (7.8) carried along when the model has one, and two optional
constraints on what may be generated:

* ``block_unk``: <unk> is never generated (neither from P_vocab nor by copying a source <unk>);
* ``no_repeat_ngram=n``: a word that would complete an n-gram already in the hypothesis is
  never generated (Paulus et al. 2018 block repeated trigrams).

Beam search ranks hypotheses by length-normalised log-probability (7.7),
score(y) = log P(y | x) / |y|^alpha.
"""

import torch


def repeated_ngram_bans(seqs, n: int) -> list[tuple[int, int]]:
    """(row, token) pairs that would repeat an n-gram of ``seqs`` (N, t) at step t + 1."""
    N, t = seqs.shape
    if n < 1 or t < n:  # no complete n-gram yet
        return []
    if n == 1:
        return [(r, w) for r, row in enumerate(seqs.tolist()) for w in set(row)]
    windows = seqs.unfold(1, n, 1)  # (N, t-n+1, n): every n-gram so far
    prefix = seqs[:, t - n + 1 :]  # (N, n-1): the last n-1 words
    hit = (windows[:, :, :-1] == prefix.unsqueeze(1)).all(-1)  # (N, t-n+1)
    rows, pos = hit.nonzero(as_tuple=True)
    return list(zip(rows.tolist(), windows[rows, pos, -1].tolist(), strict=True))


def constrain(model, logp, seqs, block_unk: bool = False, no_repeat_ngram: int = 0):
    """Forbid <pad> and <bos> always, and <unk> and repeated n-grams when asked; in place.

    logp (N, W) log-probabilities of the next word, seqs (N, t) the words so far."""
    cfg = model.cfg
    banned = [cfg.pad_id, cfg.bos_id] + ([cfg.unk_id] if block_unk else [])
    logp[:, banned] = float("-inf")
    bans = repeated_ngram_bans(seqs, no_repeat_ngram)
    if bans:
        rows, toks = zip(*bans, strict=True)
        logp[list(rows), list(toks)] = float("-inf")
    return logp


def _coverage(model, memory):
    """The initial coverage k_1 = 0 (B,S), or None for a model without coverage."""
    return torch.zeros_like(memory["mask"], dtype=memory["h"].dtype) if model.cfg.coverage else None


@torch.no_grad()
def greedy(model, src, src_mask, n_oov=0, max_len=20, block_unk=False, no_repeat_ngram=0):
    """Greedy decoding: ids (B,L) (after <eos>: <pad>) and attention weights (B,L,S)."""
    cfg = model.cfg
    memory, state = model.encode(src, src_mask)
    k = _coverage(model, memory)
    y = src.new_full((len(src),), cfg.bos_id)
    done = torch.zeros(len(src), dtype=torch.bool)
    out, attn = [], []
    for _ in range(max_len):
        logp, state, a = model.step(y, state, memory, n_oov, k)
        seqs = torch.stack(out, 1) if out else src.new_zeros(len(src), 0)  # (B,t)
        constrain(model, logp, seqs, block_unk, no_repeat_ngram)
        y = logp.argmax(-1).masked_fill(done, cfg.pad_id)  # (B,)
        k = None if k is None else k + a  # (7.8)
        out.append(y)
        attn.append(a)
        done |= y == cfg.eos_id
        if done.all():
            break
    return torch.stack(out, 1), torch.stack(attn, 1)


@torch.no_grad()
def beam_search(
    model,
    src,
    src_mask,
    n_oov=0,
    beam=4,
    max_len=20,
    alpha=1.0,
    min_len=1,
    block_unk=False,
    no_repeat_ngram=0,
):
    """Batched beam search ranking by log P(y) / |y|^alpha (7.7); returns best ids (B,L)."""
    K, B, cfg = beam, len(src), model.cfg
    memory, state = model.encode(src, src_mask)
    memory = {key: v.repeat_interleave(K, 0) for key, v in memory.items()}  # (B*K, ...)
    state = map_state(state, lambda t: t.repeat_interleave(K, 0))
    k = _coverage(model, memory)  # (B*K,S) or None
    score = torch.full((B, K), float("-inf"))
    score[:, 0] = 0.0  # one live hypothesis per example at the start
    length = torch.zeros(B, K)
    done = torch.zeros(B, K, dtype=torch.bool)
    seqs = src.new_zeros(B, K, 0)
    y = src.new_full((B * K,), cfg.bos_id)
    for t in range(max_len):
        logp, state, a = model.step(y, state, memory, n_oov, k)  # (B*K, W)
        constrain(model, logp, seqs.view(B * K, t), block_unk, no_repeat_ngram)
        W = logp.shape[-1]
        logp = logp.view(B, K, W)
        if t + 1 < min_len:
            logp[..., cfg.eos_id] = float("-inf")
        # a finished hypothesis can only be continued by <pad> at no cost
        logp = torch.where(done.unsqueeze(-1), torch.full_like(logp, float("-inf")), logp)
        logp[..., cfg.pad_id] = torch.where(done, 0.0, float("-inf"))
        new_len = length + (~done).float()  # (B,K)
        total = score.unsqueeze(-1) + logp  # (B,K,W)
        normed = total / new_len.clamp(min=1).pow(alpha).unsqueeze(-1)
        _, flat = normed.view(B, K * W).topk(K, -1)  # (B,K)
        origin, token = flat // W, flat % W
        score = total.view(B, K * W).gather(1, flat)
        length = new_len.gather(1, origin)
        done = done.gather(1, origin) | (token == cfg.eos_id)
        seqs = torch.cat(
            [seqs.gather(1, origin.unsqueeze(-1).expand(-1, -1, t)), token.unsqueeze(-1)], -1
        )  # (B,K,t+1)
        rows = (origin + torch.arange(B).unsqueeze(1) * K).view(-1)  # (B*K,)
        state = map_state(state, lambda s, r=rows: s.index_select(0, r))
        k = None if k is None else (k + a).index_select(0, rows)  # (7.8), then reordered
        y = token.view(-1)
        if done.all():
            break
    final = score / length.clamp(min=1).pow(alpha)  # (B,K)
    best = final.argmax(-1)  # (B,)
    return seqs[torch.arange(B), best]


def map_state(state, fn):
    """Apply ``fn`` to a decoder state: a tensor, or a paired (h, C) state."""
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)
