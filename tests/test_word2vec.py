"""word2vec: Huffman codes, the two objectives' gradients, sampling formulas, cost formulas."""

import math

import numpy as np
import pytest
import torch

from rnnpaper.models import word2vec as w2v
from rnnpaper.models import word2vec_cost as cost
from rnnpaper.models import word2vec_training as training
from rnnpaper.studies.word2vec.config import PROFILES, STEM

# CLRS (Cormen et al., Introduction to Algorithms, sec. 16.3): frequencies in thousands.
CLRS = {"a": 45, "b": 13, "c": 12, "d": 16, "e": 9, "f": 5}
CLRS_CODES = {"a": "0", "b": "101", "c": "100", "d": "111", "e": "1101", "f": "1100"}


def test_huffman_codes_match_the_textbook_example():
    codes, points = w2v.huffman_tree(list(CLRS.values()))
    got = {w: "".join(map(str, c)) for w, c in zip(CLRS, codes, strict=True)}
    assert got == CLRS_CODES
    assert (
        sum(f * len(c) for f, c in zip(CLRS.values(), codes, strict=True)) == 224
    )  # 224,000 bits in CLRS
    assert all(p[0] == len(CLRS) - 2 for p in points)  # every path starts at the root
    assert all(len(p) == len(c) for p, c in zip(points, codes, strict=True))


def test_huffman_tree_is_full_and_prefix_free():
    counts = np.random.default_rng(0).integers(1, 1000, size=57)
    codes, points = w2v.huffman_tree(counts)
    assert sum(2.0 ** -len(c) for c in codes) == pytest.approx(1.0)  # Kraft equality
    strings = ["".join(map(str, c)) for c in codes]
    assert not any(a != b and b.startswith(a) for a in strings for b in strings)
    assert {n for p in points for n in p} == set(range(len(counts) - 1))


def test_hierarchical_softmax_is_a_distribution():
    counts = np.random.default_rng(1).integers(1, 50, size=23)
    P, S, M = w2v.padded_paths(*w2v.huffman_tree(counts))
    g = torch.Generator().manual_seed(0)
    W_out = torch.randn(len(counts) - 1, 7, generator=g, dtype=torch.float64)
    h = torch.randn(7, generator=g, dtype=torch.float64)
    p = w2v.hs_probabilities(h, W_out, P, S, M)
    assert p.sum().item() == pytest.approx(1.0, abs=1e-12)
    assert (p > 0).all()


def _terms_inputs(seed=0, B=4, L=5, D=3):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(B, D, generator=g, dtype=torch.float64, requires_grad=True)
    u = torch.randn(B, L, D, generator=g, dtype=torch.float64, requires_grad=True)
    signs = torch.where(torch.rand(B, L, generator=g) < 0.5, 1.0, -1.0).double()
    mask = torch.rand(B, L, generator=g) < 0.8
    return h, u, signs, mask


def test_logistic_terms_gradients_against_autograd_and_finite_differences():
    h, u, signs, mask = _terms_inputs()
    loss, g_h, g_u = w2v.logistic_terms(h, u, signs, mask)
    a_h, a_u = torch.autograd.grad(loss, (h, u))
    torch.testing.assert_close(g_h, a_h)
    torch.testing.assert_close(g_u, a_u)
    f = lambda h_, u_: w2v.logistic_terms(h_, u_, signs, mask)[0]  # noqa: E731
    assert torch.autograd.gradcheck(f, (h, u))


def _tiny_model(arch, objective, seed=0):
    counts = np.array([40, 25, 17, 9, 6, 3, 2])
    cfg = w2v.W2VConfig(arch=arch, objective=objective, D=4, window=2, negative=3, seed=seed)
    model = w2v.Word2Vec(counts, cfg).double()
    g = torch.Generator().manual_seed(seed + 1)
    model.W_out.data = torch.randn(model.W_out.shape, generator=g, dtype=torch.float64) * 0.5
    return model


@pytest.mark.parametrize("arch", ["cbow", "skipgram"])
@pytest.mark.parametrize("objective", ["hs", "neg"])
def test_sgd_step_applies_the_exact_gradient(arch, objective):
    """The hand-written update equals -lr times autograd's gradient, itself checked by FD."""
    model = _tiny_model(arch, objective)
    targets = torch.tensor([0, 3, 3, 6, 1])  # repeated word: updates must accumulate
    if arch == "cbow":
        inputs = torch.tensor(
            [[1, 2, 0, 0], [0, 5, 4, 4], [2, 2, 6, 1], [0, 1, 0, 3], [3, 4, 5, 6]]
        )
        cmask = torch.tensor(
            [[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 1, 1], [1, 1, 1, 0], [0, 1, 1, 1]], dtype=torch.bool
        )
    else:
        inputs, cmask = torch.tensor([2, 0, 5, 0, 4]), torch.ones(5, 1, dtype=torch.bool)
    idx, signs, mask = model.outputs(targets, torch.Generator().manual_seed(9))

    def loss_fn(W_in, W_out):
        if arch == "cbow":
            h = w2v.cbow_hidden(W_in[inputs], cmask)
        else:
            h = W_in[inputs]
        return w2v.logistic_terms(h, W_out[idx], signs, mask)[0]

    W_in = model.W_in.detach().clone().requires_grad_()
    W_out = model.W_out.detach().clone().requires_grad_()
    assert torch.autograd.gradcheck(loss_fn, (W_in, W_out))
    loss = loss_fn(W_in, W_out)
    g_in, g_out = torch.autograd.grad(loss, (W_in, W_out))
    lr = 0.1
    before_in, before_out = model.W_in.detach().clone(), model.W_out.detach().clone()
    step_loss = model.sgd_step(inputs, cmask, targets, lr, torch.Generator().manual_seed(9))
    assert step_loss == pytest.approx(loss.item())
    torch.testing.assert_close((before_in - model.W_in) / lr, g_in)
    torch.testing.assert_close((before_out - model.W_out) / lr, g_out)


def test_negative_sampling_distribution_is_unigram_to_the_three_quarters():
    counts = np.array([1000, 300, 100, 30, 10, 1])
    p = w2v.noise_distribution(counts)
    np.testing.assert_allclose(p, counts**0.75 / np.sum(counts**0.75))
    model = w2v.Word2Vec(counts, w2v.W2VConfig(objective="neg", D=2))
    draws = model.sample_noise((400_000,), torch.Generator().manual_seed(0)).numpy()
    freq = np.bincount(draws, minlength=len(counts)) / len(draws)
    np.testing.assert_allclose(freq, p, atol=3e-3)


def test_subsampling_keep_probabilities():
    t = 1e-3
    counts = np.array([100, 10, 1, 1, 1])  # f = 100/113, 10/113, 1/113 (all above t)
    f = counts / counts.sum()
    np.testing.assert_allclose(w2v.keep_probability(counts, t, "paper"), np.sqrt(t / f))
    np.testing.assert_allclose(
        w2v.keep_probability(counts, t, "code"), (np.sqrt(f / t) + 1) * t / f
    )
    assert w2v.keep_probability([1, 10**6], t, "paper")[0] == 1.0  # rare words: always kept
    assert np.all(w2v.keep_probability(counts, 0.0) == 1.0)
    # the empirical kept fraction of each word follows the formula
    keep = w2v.keep_probability(counts, t, "code")
    sents = [np.array([0] * 100 + [1] * 10)] * 2000
    ids, _ = training.flatten_subsampled(sents, keep, np.random.default_rng(0))
    assert np.mean(ids == 0) * len(ids) / (2000 * 100) == pytest.approx(keep[0], rel=0.03)


def test_context_windows_stay_in_sentence_and_within_drawn_window():
    ids = np.arange(40)
    sid = np.repeat([0, 1, 2, 3], 10)
    ctx, mask = training.context_windows(ids, sid, 3, np.random.default_rng(0))
    rows, cols = np.nonzero(mask)
    assert np.all(sid[rows] == sid[ctx[rows, cols]])
    assert np.all(np.abs(ctx[rows, cols] - ids[rows]) <= 3)
    long = np.zeros(200_000, dtype=np.int64)
    _, m = training.context_windows(np.arange(200_000), long, 5, np.random.default_rng(1))
    assert m.sum(1).mean() == pytest.approx(5 + 1, rel=0.01)  # 2 E[R], R ~ U{1..5}


def test_cost_formulas_eq40_eq41():
    assert cost.cost_q("cbow", "hs", D=100, window=4, V=2**20) == 8 * 100 + 100 * 20
    assert cost.cost_q("skipgram", "hs", D=100, window=5, V=2**20) == 10 * (100 + 100 * 20)
    assert cost.cost_q("skipgram", "neg", D=100, window=5, V=10, negative=5) == 10 * (100 + 600)
    assert cost.cost_q("cbow", "hs", 10, 2, 8, path_len=2.5, n_context=3) == 30 + 25


def test_mean_path_length_is_the_entropy_bound():
    counts = np.random.default_rng(2).integers(1, 10_000, size=300)
    f = counts / counts.sum()
    H = -np.sum(f * np.log2(f))
    assert H <= cost.mean_path_length(counts) < H + 1  # Shannon: Huffman within one bit
    assert cost.mean_path_length(counts) <= math.ceil(math.log2(len(counts)))


def test_training_learns_a_planted_structure():
    """Two disjoint word groups that never co-occur end up far apart."""
    rng = np.random.default_rng(0)
    sents = [list(rng.choice(["a", "b", "c", "d"], 8)) for _ in range(400)]
    sents += [list(rng.choice(["w", "x", "y", "z"], 8)) for _ in range(400)]
    corpus = training.build_corpus(sents, min_count=1)
    for arch in ("cbow", "skipgram"):
        cfg = w2v.W2VConfig(
            arch=arch, objective="neg", D=10, window=2, sample=0, epochs=5, batch_size=64
        )
        X = w2v.vectors(training.train(corpus, cfg)["model"])
        nn = w2v.neighbours(corpus.words, X, "a", k=3)
        assert set(nn) == {"b", "c", "d"}


def test_committed_tables_are_what_the_committed_results_produce(tmp_path):
    from rnnpaper import paths
    from rnnpaper.studies.word2vec.report import build_outputs

    rd = paths.ROOT / "results" / STEM
    if not all((rd / f).exists() for f in ("quality.json", "cost.json", "inits.json")):
        pytest.skip("paper-scale results of notebook 04 not committed yet")
    written = build_outputs(paths.ROOT / "results", tmp_path)
    for path in written.values():
        committed = paths.PAPER / "generated" / path.name
        assert committed.read_text() == path.read_text(), committed


def test_cost_fits_recover_a_planted_line():
    rows = [
        {"arch": a, "objective": o, "D": D, "window": 2, "V": 1024, "negative": 5}
        for a, o in w2v.VARIANTS
        for D in (10, 20, 40)
    ]
    for r in rows:  # seconds/word = 1e-6 + 2e-9 Q exactly, with the formula's Q
        r |= {"path_len": 7.0, "mean_context": 3.0}
        r["seconds_per_word"] = 1e-6 + 2e-9 * cost.cost_q(
            r["arch"], r["objective"], r["D"], 2, 1024
        )
    for f in cost.fit_cost(rows):
        assert f["formula_slope"] == pytest.approx(2e-9)
        assert f["formula_intercept"] == pytest.approx(1e-6)
        assert f["formula_r2"] == pytest.approx(1.0)


def test_committed_results_are_reused_at_paper_scale_and_not_at_smoke(monkeypatch):
    """run('paper') rebuilds nothing from the committed files; another profile would."""
    import importlib

    from rnnpaper import paths, results

    run = importlib.import_module("rnnpaper.studies.word2vec.run")
    rd = paths.ROOT / "results" / STEM
    if not all((rd / f"{n}.json").exists() for n in run.RECORDS):
        pytest.skip("paper-scale results of notebook 04 not committed yet")
    for n, matches in run.RECORDS.items():
        payload = results.read_json(rd / f"{n}.json")
        assert matches(payload, PROFILES["paper"]), n
        assert not matches(payload, PROFILES["smoke"]), n

    def refuse(*args, **kwargs):
        raise AssertionError("retrained although the committed results are the profile's")

    for fn in ("run_quality", "run_cost", "run_inits"):
        monkeypatch.setattr(run, fn, refuse)
    before = {n: (rd / f"{n}.json").read_bytes() for n in run.RECORDS}
    out = run.run("paper", log=lambda *a: None)
    assert set(out) == set(run.RECORDS)
    assert before == {n: (rd / f"{n}.json").read_bytes() for n in run.RECORDS}
