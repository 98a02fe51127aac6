"""Coverage (See et al. 2017) against its equations, the one-pass teacher-forced decoder
against stepping the cell, and the decoding constraints (no <unk>, no repeated n-gram)
against hand cases and brute-force enumeration."""

import itertools
import math

import pytest
import torch

from rnnpaper.models import registry
from rnnpaper.models.seq2seq import Seq2Seq, Seq2SeqConfig
from rnnpaper.models.seq2seq_decode import repeated_ngram_bans


def _model(kind="gru", V=12, coverage=False, seed=0, copy=True, weight=0.7):
    torch.manual_seed(seed)
    cfg = Seq2SeqConfig(
        kind=kind,
        vocab_size=V,
        embed_dim=5,
        hidden_size=8,
        attn_dim=7,
        copy=copy,
        coverage=coverage,
        coverage_weight=weight,
    )
    model = Seq2Seq(cfg).double()
    if coverage:  # w_k starts at zero; make it matter
        torch.nn.init.normal_(model.attention.w_k, std=2.0)
    return model


def _batch(B=3, S=6, V=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(4, V, (B, S), generator=g)
    mask = torch.ones(B, S, dtype=torch.bool)
    mask[1, 4:] = False
    mask[2, 2:] = False
    return src.masked_fill(~mask, 0), mask


TGT = torch.tensor([[5, 6, 7, 3], [7, 8, 3, 0], [3, 0, 0, 0]])
TMASK = (torch.arange(4) < torch.tensor([[4], [3], [1]])).double()


def _stepwise(model, src, mask, tgt):
    """Per-token NLL and coverage loss by stepping the decoder with (7.8) by hand."""
    memory, state = model.encode(src, mask)
    y, k = torch.full((len(src),), 2), torch.zeros(mask.shape, dtype=torch.float64)
    nll, cov = [], []
    for t in range(tgt.shape[1]):
        logp, state, a = model.step(y, state, memory, 0, k if model.cfg.coverage else None)
        nll.append(-logp[torch.arange(len(src)), tgt[:, t]])
        cov.append(torch.minimum(a, k).sum(1))  # (7.9)
        k = k + a  # (7.8)
        y = tgt[:, t]
    return torch.stack(nll, 1), torch.stack(cov, 1)


@pytest.mark.parametrize("kind", list(registry.CELLS))
@pytest.mark.parametrize("coverage", [False, True])
def test_one_pass_teacher_forcing_equals_stepping_the_decoder(kind, coverage):
    model = _model(kind, coverage=coverage)
    model.train()  # dropout is 0: the train-mode kernels must agree too
    src, mask = _batch()
    nll, cov = model.losses(src, mask, TGT)
    nll_ref, cov_ref = _stepwise(model, src, mask, TGT)
    torch.testing.assert_close(nll, nll_ref)
    torch.testing.assert_close(cov, cov_ref if coverage else torch.zeros_like(cov))
    loss = model(src, mask, TGT, TMASK)
    expect = ((nll_ref + (0.7 * cov_ref if coverage else 0)) * TMASK).sum() / TMASK.sum()
    torch.testing.assert_close(loss, expect)


def test_coverage_attention_is_eq_7_1_prime():
    model = _model(coverage=True)
    src, mask = _batch()
    memory, _ = model.encode(src, mask)
    att = model.attention
    s = torch.randn(3, 8, dtype=torch.float64)
    k = torch.rand(3, 6, dtype=torch.float64) * mask
    c, a = att(memory["Wh"], memory["h"], mask, s, k)
    for b in range(3):
        e = torch.stack(
            [
                att.v.weight[0]
                @ torch.tanh(
                    att.W_h.weight @ memory["h"][b, j]
                    + att.W_s.weight @ s[b]
                    + att.w_k * k[b, j]
                    + att.W_s.bias
                )
                for j in range(6)
            ]
        )
        e[~mask[b]] = -math.inf
        torch.testing.assert_close(a[b], torch.softmax(e, 0))
        torch.testing.assert_close(c[b], a[b] @ memory["h"][b])
    c0, a0 = att(memory["Wh"], memory["h"], mask, s)  # no coverage vector: k = 0
    _, a_zero = att(memory["Wh"], memory["h"], mask, s, torch.zeros_like(k))
    torch.testing.assert_close(a0, a_zero)
    assert not torch.allclose(a0, a)  # the coverage input changes the weights


def test_coverage_loss_is_zero_at_the_first_step_and_bounded_by_one():
    model = _model(coverage=True)
    src, mask = _batch()
    _, cov = model.losses(src, mask, TGT)
    assert torch.all(cov[:, 0] == 0)  # k_1 = 0
    assert torch.all((cov >= 0) & (cov <= 1 + 1e-12))  # sum_j min(a_tj, k_tj) <= sum_j a_tj


def test_coverage_gradient_reaches_w_k():
    model = _model(coverage=True)
    src, mask = _batch()
    model(src, mask, TGT, TMASK).backward()
    assert model.attention.w_k.grad.abs().sum() > 0


def test_repeated_ngram_bans_by_hand():
    seqs = torch.tensor([[5, 6, 7, 5, 6], [4, 4, 4, 8, 9]])
    # row 0 ends "5 6": "5 6 7" was seen, so 7 is banned for trigrams
    assert repeated_ngram_bans(seqs, 3) == [(0, 7)]
    # bigrams: row 0 ends in 6 -> 7; row 1 ends in 9 -> nothing
    assert repeated_ngram_bans(seqs, 2) == [(0, 7)]
    assert sorted(repeated_ngram_bans(seqs[1:], 1)) == [(0, 4), (0, 8), (0, 9)]
    assert repeated_ngram_bans(seqs[:, :1], 3) == [] and repeated_ngram_bans(seqs, 0) == []


def test_greedy_constraints_hold():
    model = _model(seed=2)
    src, mask = _batch()
    plain, _ = model.greedy(src, mask, max_len=8)
    out, _ = model.greedy(src, mask, max_len=8, block_unk=True, no_repeat_ngram=1)
    for row in out.tolist():
        words = [w for w in row if w not in (0, 3)]
        assert len(words) == len(set(words)) and model.cfg.unk_id not in words
    assert any(len(set(r)) < len(r) for r in plain.tolist())  # the constraint had work to do


def _sequence_logp(model, src, mask, seq):
    memory, state = model.encode(src, mask)
    y, total, k = torch.tensor([model.cfg.bos_id]), 0.0, torch.zeros(mask.shape).double()
    for tok in seq:
        logp, state, a = model.step(y, state, memory, 0, k if model.cfg.coverage else None)
        k = k + a
        total += logp[0, tok].item()
        y = torch.tensor([tok])
    return total


@pytest.mark.parametrize("coverage", [False, True])
def test_constrained_beam_search_finds_the_best_allowed_sequence(coverage):
    """A beam as wide as every sequence equals enumeration over the sequences allowed."""
    V, L, alpha = 6, 3, 1.0
    model = _model("gru", V=V, copy=False, seed=3, coverage=coverage)
    src, mask = _batch(V=V, seed=3)
    src, mask = src[:1], mask[:1]
    words = [w for w in range(V) if w not in (0, 1, 2)]  # never <pad>, <bos>, or <unk> (1)
    best, best_seq = -math.inf, None
    for n in range(1, L + 1):
        for seq in itertools.product(words, repeat=n):
            if 3 in seq[:-1] or (n < L and seq[-1] != 3) or len(set(seq)) < n:
                continue  # <eos> ends a hypothesis; no word twice (no_repeat_ngram=1)
            score = _sequence_logp(model, src, mask, seq) / n**alpha
            if score > best:
                best, best_seq = score, list(seq)
    out = model.beam_search(
        src, mask, beam=V**L, max_len=L, alpha=alpha, block_unk=True, no_repeat_ngram=1
    )
    assert [t for t in out[0].tolist() if t != 0] == best_seq


def test_beam_of_one_is_greedy_with_coverage_and_constraints():
    model = _model("lstm", seed=1, coverage=True)
    src, mask = _batch()
    kw = {"block_unk": True, "no_repeat_ngram": 2}
    g, _ = model.greedy(src, mask, max_len=6, **kw)
    b = model.beam_search(src, mask, beam=1, max_len=6, **kw)
    assert g[:, : b.shape[1]].tolist() == b[:, : g.shape[1]].tolist()


def test_a_coverage_phase_starts_where_the_plain_model_ended():
    """w_k = 0: loaded with a plain model's weights, the coverage model's NLL is the plain one's
    (See et al. add coverage after training without it)."""
    plain = _model("lstm", coverage=False)
    covered = _model("lstm", coverage=True, seed=5)
    covered.attention.w_k.data.zero_()
    missing, unexpected = covered.load_state_dict(plain.state_dict(), strict=False)
    assert missing == ["attention.w_k"] and not unexpected
    src, mask = _batch()
    torch.testing.assert_close(covered.losses(src, mask, TGT)[0], plain.losses(src, mask, TGT)[0])
