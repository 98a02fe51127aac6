"""HMM algorithms against brute-force enumeration of all state paths and against hmmlearn."""

import numpy as np
import pytest

from rnnpaper.models import hmm
from rnnpaper.studies.hmm.config import PROFILES, STEM


def _random_model(M=3, T=5, seed=0):
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.ones(M))
    A = rng.dirichlet(np.ones(M), size=M)
    log_B = rng.normal(size=(T, M)) * 2
    return np.log(pi), np.log(A), log_B


@pytest.mark.parametrize("M,T,seed", [(2, 1, 0), (2, 6, 1), (3, 5, 2), (4, 4, 3)])
def test_forward_backward_viterbi_against_enumeration(M, T, seed):
    log_pi, log_A, log_B = _random_model(M, T, seed)
    loglik, gamma, best, best_logp = hmm.brute_force(log_pi, log_A, log_B)
    log_alpha, ll = hmm.forward(log_pi, log_A, log_B)
    assert ll == pytest.approx(loglik, abs=1e-10)  # p(X) = sum_Z p(X, Z)
    # alpha_T(j) sums the joint over paths ending in j; beta_1 closes the same sum
    log_beta = hmm.backward(log_A, log_B)
    np.testing.assert_allclose(np.logaddexp.reduce(log_alpha + log_beta, axis=1), loglik)
    np.testing.assert_allclose(hmm.posteriors(log_pi, log_A, log_B), gamma, atol=1e-10)
    path, logp = hmm.viterbi(log_pi, log_A, log_B)
    assert logp == pytest.approx(best_logp, abs=1e-10)
    np.testing.assert_array_equal(path, best)
    assert logp <= ll  # the best path's joint is one term of the likelihood's sum


def test_viterbi_path_is_not_the_sequence_of_most_probable_states():
    """Viterbi maximises the joint of a whole path; forward-backward's pointwise argmax can
    be a worse path (here found on a random model, then checked against enumeration)."""
    for seed in range(500):
        log_pi, log_A, log_B = _random_model(3, 4, seed)
        path, logp = hmm.viterbi(log_pi, log_A, log_B)
        pointwise = hmm.posteriors(log_pi, log_A, log_B).argmax(1)
        if not np.array_equal(path, pointwise):
            assert hmm.joint_log_prob(log_pi, log_A, log_B, pointwise) < logp
            return
    pytest.fail("no model where the two differ")


def _gmmhmm(M=3, k=2, d=2, seed=0):
    from hmmlearn.hmm import GMMHMM

    rng = np.random.default_rng(seed)
    m = GMMHMM(n_components=M, n_mix=k, covariance_type="diag", init_params="", params="")
    m.startprob_ = rng.dirichlet(np.ones(M))
    m.transmat_ = rng.dirichlet(np.ones(M), size=M)
    m.weights_ = rng.dirichlet(np.ones(k), size=M)
    m.means_ = rng.normal(size=(M, k, d)) * 2
    m.covars_ = rng.uniform(0.3, 2.0, size=(M, k, d))
    m.n_features = d
    return m


def test_emissions_and_algorithms_against_hmmlearn():
    m = _gmmhmm()
    X = np.random.default_rng(5).normal(size=(7, 2)) * 2
    log_pi, log_A, log_B = hmm.model_arrays(m, X)
    np.testing.assert_allclose(log_B, m._compute_log_likelihood(X), atol=1e-10)  # eq. 38
    assert hmm.forward(log_pi, log_A, log_B)[1] == pytest.approx(m.score(X), abs=1e-8)
    np.testing.assert_allclose(hmm.posteriors(log_pi, log_A, log_B), m.predict_proba(X), atol=1e-8)
    logp, path = m.decode(X, algorithm="viterbi")
    ours, our_logp = hmm.viterbi(log_pi, log_A, log_B)
    np.testing.assert_array_equal(ours, path)
    assert our_logp == pytest.approx(logp, abs=1e-8)
    # and the enumeration agrees on this model too
    assert hmm.brute_force(log_pi, log_A, log_B)[0] == pytest.approx(m.score(X), abs=1e-8)


def test_joint_probability_is_eq39():
    log_pi, log_A, log_B = _random_model(3, 4, 7)
    z = [2, 0, 0, 1]
    want = (
        log_pi[2]
        + log_A[2, 0]
        + log_A[0, 0]
        + log_A[0, 1]
        + sum(log_B[t, s] for t, s in enumerate(z))
    )
    assert hmm.joint_log_prob(log_pi, log_A, log_B, z) == pytest.approx(want)


def test_classifier_separates_two_generating_processes():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(loc=(-1) ** y, size=(rng.integers(3, 9), 2)) for y in [0, 1] * 40]
    labels = [0, 1] * 40
    clf = hmm.GMMHMMClassifier(hmm.HMMConfig(n_states=2, n_mix=1, n_iter=5)).fit(seqs, labels)
    assert np.mean(clf.predict(seqs) == np.array(labels)) > 0.95


def _em_case(M=3, k=2, d=2, seed=0, lengths=(5, 1, 7, 3)):
    """An hmmlearn GMMHMM with random parameters, ours with the same, and sequences."""
    from rnnpaper.models import hmm_em

    m = _gmmhmm(M, k, d, seed)
    m.params, m.n_iter = "stmcw", 1
    rng = np.random.default_rng(seed + 10)
    seqs = [rng.normal(size=(L, d)) * 2 for L in lengths]
    ours = hmm_em.GMMHMMParams(
        *(
            getattr(m, a).copy()
            for a in ("startprob_", "transmat_", "weights_", "means_", "covars_")
        )
    )
    return m, ours, seqs


def test_batched_forward_backward_is_the_per_sequence_one():
    """Padding and scaling change nothing: every sequence's likelihood, alpha (up to its
    running scale) and posteriors are those of the one-sequence log-space recursions."""
    from rnnpaper.models import hmm_em

    _, p, seqs = _em_case(lengths=(6, 1, 4, 9))
    X, mask = hmm_em.pad(seqs)
    log_B = hmm_em._log_B(p, X, mask)[0]
    alpha, beta, log_c, _, _ = hmm_em.forward_backward(p.startprob_, p.transmat_, log_B, mask)
    np.testing.assert_allclose(alpha.sum(2), 1.0)  # scaled: each step sums to one
    for n, s in enumerate(seqs):
        arrays = hmm.model_arrays(p, s)
        log_alpha, want = hmm.forward(*arrays)
        T = len(s)
        assert log_c[n].sum() == pytest.approx(want, abs=1e-10)
        np.testing.assert_allclose(
            np.log(alpha[n, :T]) + np.cumsum(log_c[n, :T])[:, None], log_alpha, atol=1e-10
        )
        np.testing.assert_allclose((alpha * beta)[n, :T], hmm.posteriors(*arrays), atol=1e-10)
    np.testing.assert_allclose(hmm_em.log_likelihoods(p, X, mask), log_c.sum(1))


def test_em_statistics_and_one_iteration_against_hmmlearn():
    """Our E-step's expected counts equal hmmlearn's; one M-step gives its pi, A, c and mu,
    and its variances plus (mu_new - mu_old)^2: hmmlearn centres on the old means, exact EM
    on the new ones (sum r (x - mu_old)^2 = sum r (x - mu_new)^2 + N (mu_new - mu_old)^2)."""
    from rnnpaper.models import hmm_em

    m, p, seqs = _em_case()
    m._check()
    X, mask = hmm_em.pad(seqs)
    stats, ll = hmm_em.e_step(p, X, mask)
    ref, ref_ll = m._do_estep(np.concatenate(seqs), [len(s) for s in seqs])
    assert ll == pytest.approx(ref_ll, abs=1e-9)
    assert ll == pytest.approx(sum(m.score(s) for s in seqs), abs=1e-9)
    for key in ("start", "trans", "post_mix_sum", "m_n"):
        np.testing.assert_allclose(stats[key], ref[key], atol=1e-10)
    old_means = m.means_.copy()
    m.fit(np.concatenate(seqs), [len(s) for s in seqs])  # one iteration from these parameters
    new = hmm_em.m_step(stats, var_floor=0.0)
    for a in ("startprob_", "transmat_", "weights_", "means_"):
        np.testing.assert_allclose(getattr(new, a), getattr(m, a), atol=1e-10)
    np.testing.assert_allclose(new.covars_ + (new.means_ - old_means) ** 2, m.covars_, atol=1e-10)


def test_em_never_lowers_the_likelihood_and_the_floor_bounds_it():
    """Exact EM is monotone (with the floor too: it is the constrained maximiser); on
    repeated points (word vectors) the floor keeps every variance at or above it."""
    from rnnpaper.models import hmm_em

    rng = np.random.default_rng(3)
    points = rng.normal(size=(6, 3))  # six "word types", repeated
    seqs = [points[rng.integers(0, 6, size=rng.integers(2, 9))] for _ in range(60)]
    params, history, converged = hmm_em.fit(seqs, 3, 2, 0, 0.05, 1e-8, 60)
    assert np.all(np.diff(history) >= -1e-9)
    assert params.covars_.min() >= 0.05 - 1e-12
    assert history[-1] <= -0.5 * 3 * np.log(2 * np.pi * 0.05) + 1e-9  # the floor's ceiling
    np.testing.assert_allclose(params.transmat_.sum(1), 1)
    np.testing.assert_allclose(params.weights_.sum(1), 1)


@pytest.mark.parametrize("shared", [False, True])
def test_restarts_keep_the_best_training_likelihood(shared):
    rng = np.random.default_rng(1)
    seqs = [rng.normal(loc=(-1) ** y, size=(rng.integers(3, 9), 2)) for y in [0, 1] * 30]
    labels = [0, 1] * 30
    cfg = hmm.HMMConfig(n_states=2, n_mix=2, n_iter=30, restarts=3, shared_start=shared)
    clf = hmm.GMMHMMClassifier(cfg).fit(seqs, labels)
    for r in clf.restarts:
        finals = [run["history"][-1] for run in r["runs"]]
        assert len(finals) == 3 and [run["seed"] for run in r["runs"]] == [0, 1, 2]
        if not shared:  # each class its own best restart
            assert r["chosen"] == int(np.argmax(finals))
    if shared:  # one restart for all: the best total training likelihood
        totals = [
            sum(c["runs"][r]["history"][-1] * c["runs"][r]["frames"] for c in clf.restarts)
            for r in range(3)
        ]
        assert {c["chosen"] for c in clf.restarts} == {int(np.argmax(totals))}
        from rnnpaper.models import hmm_em

        for c, x in zip(clf.restarts, (seqs[0::2], seqs[1::2]), strict=True):
            for run, start in zip(c["runs"], clf.starts, strict=True):  # EM began at the start
                first = (
                    hmm_em.log_likelihoods(start["params"], *hmm_em.pad(x)).sum() / run["frames"]
                )
                assert run["history"][0] == pytest.approx(first)
    ll = clf.log_likelihoods(seqs[:4])
    want = [[hmm.forward(*hmm.model_arrays(m, s))[1] for m in clf.models] for s in seqs[:4]]
    np.testing.assert_allclose(ll, want, atol=1e-9)


def test_committed_tables_are_what_the_committed_results_produce(tmp_path):
    from rnnpaper import paths
    from rnnpaper.studies.hmm.report import build_outputs

    rd = paths.ROOT / "results" / STEM
    if not all((rd / f).exists() for f in ("sweep.json", "decode.json")):
        pytest.skip("paper-scale results of notebook 05 not committed yet")
    written = build_outputs(paths.ROOT / "results", tmp_path)
    for path in written.values():
        committed = paths.PAPER / "generated" / path.name
        assert committed.read_text() == path.read_text(), committed


def test_committed_results_are_reused_at_paper_scale_and_not_at_smoke(monkeypatch):
    """run('paper') recomputes nothing from the committed files: no vectors, no EM."""
    import importlib

    from rnnpaper import paths, results

    run = importlib.import_module("rnnpaper.studies.hmm.run")
    rd = paths.ROOT / "results" / STEM
    if not all((rd / f).exists() for f in ("sweep.json", "decode.json")):
        pytest.skip("paper-scale results of notebook 05 not committed yet")
    sweep = results.read_json(rd / "sweep.json")
    assert run.sweep_is(sweep, PROFILES["paper"]) and not run.sweep_is(sweep, PROFILES["smoke"])
    assert run.decode_is(results.read_json(rd / "decode.json"), sweep)

    def refuse(*args, **kwargs):
        raise AssertionError("recomputed although the committed results are the profile's")

    monkeypatch.setattr(run, "features", refuse)
    before = {f: (rd / f).read_bytes() for f in ("sweep.json", "decode.json")}
    out = run.run("paper", log=lambda *a: None)
    assert out["sweep"] == sweep
    assert before == {f: (rd / f).read_bytes() for f in before}


def test_features_are_word_vector_sequences_of_known_words():
    index = {"good": 0, "film": 1}
    X = np.arange(6.0).reshape(2, 3)
    from rnnpaper.studies.hmm.run import sequences

    seqs = sequences([["a", "good", "film"], ["unknown"]], index, X)
    np.testing.assert_array_equal(seqs[0], X[[0, 1]])
    np.testing.assert_array_equal(seqs[1], np.zeros((1, 3)))
