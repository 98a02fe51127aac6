"""The encoder-decoder: encoder against torch's packed bidirectional RNN, attention and the
copy distribution against their equations, beam search against brute-force enumeration, and
every registered cell through the whole model (forward, backward, padding invariance)."""

import itertools
import math

import pytest
import torch
from torch import nn

from rnnpaper.models import registry
from rnnpaper.models.recurrent import torch_weights
from rnnpaper.models.seq2seq import (
    Seq2Seq,
    Seq2SeqConfig,
    decode_ids,
    extend_source,
    extend_target,
    reverse_padded,
)

STEPS = 100  # Adam steps of the copy task


def _batch(B=3, S=6, V=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(4, V, (B, S), generator=g)
    mask = torch.ones(B, S, dtype=torch.bool)
    if B == 3:
        mask[1, 4:] = False
        mask[2, 2:] = False
    return src.masked_fill(~mask, 0), mask


def _model(kind="gru", V=12, copy=True, seed=0, H=8):
    torch.manual_seed(seed)
    cfg = Seq2SeqConfig(kind=kind, vocab_size=V, embed_dim=5, hidden_size=H, attn_dim=7, copy=copy)
    return Seq2Seq(cfg).double()


def test_reverse_padded_reverses_within_length():
    x = torch.arange(8.0).view(2, 4, 1)
    y = reverse_padded(x, torch.tensor([4, 2]))
    assert y[0, :, 0].tolist() == [3, 2, 1, 0]
    assert y[1, :, 0].tolist() == [5, 4, 6, 7]


TWINNED = [k for k, spec in registry.CELLS.items() if spec.fused is not None]


@pytest.mark.parametrize("kind", TWINNED)
def test_encoder_equals_packed_bidirectional_torch(kind):
    model = _model(kind)
    enc = model.encoder
    ref = registry.spec(kind).fused(5, 8, batch_first=True, bidirectional=True).double()
    fwd, bwd = torch_weights(enc.fwd), torch_weights(enc.bwd)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(ref, name).copy_(fwd[name])
            getattr(ref, name + "_reverse").copy_(bwd[name])
    src, mask = _batch()
    emb = torch.randn(*src.shape, 5, dtype=torch.float64)
    h, final = enc(emb, mask)
    lengths = mask.sum(1)
    packed = nn.utils.rnn.pack_padded_sequence(emb, lengths, True, enforce_sorted=False)
    out, fin = ref(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, True, total_length=src.shape[1])
    torch.testing.assert_close(h, out)  # both zero on padding
    h_n = fin[0] if registry.spec(kind).state_parts == 2 else fin
    torch.testing.assert_close(final, torch.cat([h_n[0], h_n[1]], -1))


def test_attention_is_the_additive_formula_and_ignores_padding():
    model = _model()
    src, mask = _batch()
    memory, state = model.encode(src, mask)
    att = model.attention
    s = torch.randn(3, 8, dtype=torch.float64)
    c, a = att(memory["Wh"], memory["h"], mask, s)
    for b in range(3):
        e = torch.stack(
            [
                att.v.weight[0]
                @ torch.tanh(
                    att.W_h.weight @ memory["h"][b, j] + att.W_s.weight @ s[b] + att.W_s.bias
                )
                for j in range(src.shape[1])
            ]
        )  # (7.1)
        e[~mask[b]] = -math.inf
        torch.testing.assert_close(a[b], torch.softmax(e, 0))
        torch.testing.assert_close(c[b], a[b] @ memory["h"][b])  # (7.2)
    assert torch.all(a[~mask] == 0)
    torch.testing.assert_close(a.sum(1), torch.ones(3, dtype=torch.float64))


def test_copy_distribution_sums_to_one_and_matches_eq_7_5():
    V, n_oov = 12, 2
    model = _model(V=V)
    src, mask = _batch(V=V)
    src[0, 0], src[0, 3] = V, V + 1  # two source OOVs of example 0
    memory, state = model.encode(src, mask)
    y_prev = torch.tensor([2, 5, V])  # an OOV fed back is read as <unk>
    logp, new_state, a = model.step(y_prev, state, memory, n_oov)
    p = logp.exp()
    torch.testing.assert_close(p.sum(1), torch.ones(3, dtype=torch.float64))
    # rebuild (7.5) by hand for example 0, word V (copied only from position 0)
    x = model.embedding(torch.tensor([2, 5, model.cfg.unk_id]))
    s = new_state
    c = (a.unsqueeze(1) @ memory["h"]).squeeze(1)
    p_gen = torch.sigmoid(model.p_gen(torch.cat([c, s, x], -1)))[:, 0]
    torch.testing.assert_close(p[0, V], (1 - p_gen[0]) * a[0, 0], atol=1e-10, rtol=1e-7)
    p_vocab = torch.softmax(model.W_2(model.W_1(torch.cat([s, c], -1))), -1)
    w = int(src[1, 0])
    copy_w = a[1][src[1] == w].sum()
    torch.testing.assert_close(p[1, w], p_gen[1] * p_vocab[1, w] + (1 - p_gen[1]) * copy_w)


def test_without_copy_the_output_is_a_plain_softmax_over_the_vocabulary():
    model = _model(copy=False)
    src, mask = _batch()
    memory, state = model.encode(src, mask)
    logp, _, _ = model.step(torch.tensor([2, 2, 2]), state, memory, n_oov=0)
    assert logp.shape == (3, 12)
    torch.testing.assert_close(logp.exp().sum(1), torch.ones(3, dtype=torch.float64))


def test_teacher_forcing_loss_is_the_mean_stepwise_nll():
    model = _model("lstm")
    src, mask = _batch()
    tgt = torch.tensor([[5, 6, 3], [7, 3, 0], [3, 0, 0]])
    tmask = (torch.arange(3) < torch.tensor([[3], [2], [1]])).double()
    loss = model(src, mask, tgt, tmask)
    memory, state = model.encode(src, mask)
    y, total = torch.full((3,), 2), 0.0
    for t in range(3):
        logp, state, _ = model.step(y, state, memory, 0)
        total += -(logp[torch.arange(3), tgt[:, t]] * tmask[:, t]).sum()
        y = tgt[:, t]
    torch.testing.assert_close(loss, total / tmask.sum())


def _sequence_logp(model, src, mask, seq):
    memory, state = model.encode(src, mask)
    y, total = torch.tensor([model.cfg.bos_id]), 0.0
    for tok in seq:
        logp, state, _ = model.step(y, state, memory, 0)
        total += logp[0, tok].item()
        y = torch.tensor([tok])
    return total


def test_beam_search_with_a_wide_beam_finds_the_best_normalised_sequence():
    V, L, alpha = 6, 3, 1.0
    model = _model("gru", V=V, copy=False, seed=3)
    src, mask = _batch(B=1, V=V, seed=3)
    words = [w for w in range(V) if w not in (0, 2)]  # never <pad> or <bos>
    best, best_seq = -math.inf, None
    for n in range(1, L + 1):
        for seq in itertools.product(words, repeat=n):
            if 3 in seq[:-1] or (n < L and seq[-1] != 3):
                continue  # <eos> (id 3) ends a hypothesis; L tokens may end without it
            score = _sequence_logp(model, src, mask, seq) / n**alpha
            if score > best:
                best, best_seq = score, list(seq)
    out = model.beam_search(src, mask, beam=len(words) ** L, max_len=L, alpha=alpha)
    got = [t for t in out[0].tolist() if t != 0]
    assert got == best_seq


def test_beam_of_one_is_greedy():
    model = _model("lstm", seed=1)
    src, mask = _batch()
    g, _ = model.greedy(src, mask, max_len=5)
    b = model.beam_search(src, mask, beam=1, max_len=5)
    assert g[:, : b.shape[1]].tolist() == b[:, : g.shape[1]].tolist()


def test_extended_vocabulary_round_trip():
    stoi = {w: i for i, w in enumerate(["<pad>", "<unk>", "<bos>", "<eos>", "the", "cat"])}
    itos = list(stoi)
    ids, oovs = extend_source(["the", "zebra", "unk", "cat", "zebra", "ate"], stoi)
    assert ids == [4, 6, 1, 5, 6, 7] and oovs == ["zebra", "ate"]
    assert extend_target(["zebra", "dog", "cat"], stoi, oovs) == [6, 1, 5]
    assert decode_ids([6, 1, 5, 3, 4], itos, oovs) == ["zebra", "unk", "cat"]


@pytest.fixture
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: extra threads only add contention
    yield
    torch.set_num_threads(n)


def test_training_learns_to_copy_unseen_words(one_thread):
    """A copy task with source words outside the vocabulary: only the pointer can solve it."""
    torch.manual_seed(0)
    V = 8
    cfg = Seq2SeqConfig(kind="gru", vocab_size=V, embed_dim=8, hidden_size=24, attn_dim=16)
    model = Seq2Seq(cfg)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    g = torch.Generator().manual_seed(0)

    def batch():
        src = torch.randint(V, V + 5, (32, 4), generator=g)  # every source word is an OOV
        tgt = torch.cat([src, torch.full((32, 1), 3)], 1)
        return src, torch.ones(32, 4, dtype=torch.bool), tgt, torch.ones(32, 5)

    for _ in range(STEPS):
        src, mask, tgt, tmask = batch()
        loss = model(src, mask, tgt, tmask, n_oov=5)
        opt.zero_grad()
        loss.backward()
        opt.step()
    src, mask, tgt, _ = batch()
    out, _ = model.greedy(src, mask, n_oov=5, max_len=5)
    assert (out == tgt).float().mean() > 0.9


def test_without_copy_a_copied_target_word_is_scored_as_unk():
    model = _model(copy=False)
    src, mask = _batch()
    tmask = torch.ones(3, 2, dtype=torch.float64)
    extended = model(src, mask, torch.tensor([[12, 3], [5, 3], [6, 3]]), tmask, n_oov=1)
    as_unk = model(src, mask, torch.tensor([[1, 3], [5, 3], [6, 3]]), tmask, n_oov=1)
    torch.testing.assert_close(extended, as_unk)


@pytest.mark.parametrize("kind", list(registry.CELLS))
def test_every_registered_cell_runs_forward_and_backward(kind):
    model = _model(kind)
    src, mask = _batch()
    tgt = torch.tensor([[5, 6, 3], [7, 3, 0], [3, 0, 0]])
    tmask = (torch.arange(3) < torch.tensor([[3], [2], [1]])).double()
    loss = model(src, mask, tgt, tmask)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    recurrent = [p for n, p in model.named_parameters() if n.startswith(("encoder", "cell"))]
    assert all(p.grad.abs().sum() > 0 for p in recurrent)  # gradient reaches every cell weight
    out, attn = model.greedy(src, mask, max_len=4)
    assert out.shape[0] == 3 and attn.shape[2] == src.shape[1]
    assert model.beam_search(src, mask, beam=2, max_len=4).shape[0] == 3


@pytest.mark.parametrize("kind", list(registry.CELLS))
def test_every_registered_cell_is_invariant_to_longer_sources_in_the_batch(kind):
    model = _model(kind)
    model.eval()
    alone = torch.tensor([[5, 6, 7]])  # one source of 3 words, no padding
    long = torch.tensor([[8, 9, 10, 11, 4, 5, 6]])
    src = torch.cat([torch.cat([alone, torch.zeros(1, 4, dtype=torch.long)], 1), long])  # (2,7)
    mask = src != 0
    h1, f1 = model.encoder(model.embed(alone), alone != 0)
    h2, f2 = model.encoder(model.embed(src), mask)
    torch.testing.assert_close(h2[0, :3], h1[0])
    torch.testing.assert_close(f2[0], f1[0])
    assert torch.all(h2[0, 3:] == 0)
    tgt = torch.tensor([[6, 5, 3], [4, 9, 3]])
    own = model(alone, alone != 0, tgt[:1], torch.ones(1, 3, dtype=torch.float64))
    tmask = torch.tensor([[1.0, 1, 1], [0, 0, 0]], dtype=torch.float64)  # score example 0 only
    torch.testing.assert_close(model(src, mask, tgt, tmask), own)


def test_a_checkpoint_from_before_the_registry_loads():
    """Encoder directions were bare torch.nn layers: fwd.weight_ih_l0, not fwd.rnn.weight_ih_l0."""
    model = _model("lstm")
    old = {k.replace(".rnn.", "."): v for k, v in model.state_dict().items()}
    assert "encoder.fwd.weight_ih_l0" in old
    fresh = _model("lstm", seed=1)
    fresh.load_state_dict(old)
    for (k, a), b in zip(model.state_dict().items(), fresh.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, msg=k)
