"""Activation ranges, the adding problem's data, gradient norms, spectral radius, clipping."""

import torch

from rnnpaper import gradients as G


def test_activation_ranges_are_open_where_the_proposal_closes_them():
    r = G.activation_ranges()
    assert abs(r["sigmoid'"]["max"] - 0.25) < 1e-12 and abs(r["sigmoid'"]["argmax"]) < 1e-9
    assert r["sigmoid'"]["gap_to_0"] > 0  # never 0: codomain (0, 0.25], not [0, 0.5]
    assert r["tanh"]["gap_to_1"] > 0 and r["tanh"]["gap_to_-1"] > 0  # (-1, 1), not [-1, 1]
    assert abs(r["tanh'"]["max"] - 1) < 1e-12 and r["tanh'"]["gap_to_0"] > 0  # (0, 1]
    assert [row[3] for row in G.ranges_table(r)] == [True, False, False, False]


def test_adding_batch_targets_and_baseline():
    X, y = G.adding_batch(4000, 30, torch.Generator().manual_seed(0))
    assert X.shape == (4000, 30, 2) and (X[..., 1].sum(1) == 2).all()
    assert (X[:, :15, 1].sum(1) == 1).all()  # one marker in each half
    torch.testing.assert_close(y, (X[..., 0] * X[..., 1]).sum(1))
    assert abs(((y - 1) ** 2).mean().item() - 1 / 6) < 0.01  # always answering 1: MSE 1/6


def test_spectral_radius_moves_between_vanishing_and_exploding():
    out = G.spectral_radius_sweep([0.5, 1.0, 2.0], T=30, hidden=16)
    assert out[0.5] < 1e-4 and out[2.0] > 100 and out[0.5] < out[1.0] < out[2.0]


def test_clipping_tames_an_exploding_run():
    free, clipped = G.clipping_trace(0, 20), G.clipping_trace(1.0, 20)
    assert len(free["loss"]) < 20 or max(free["loss"]) > 1e3  # diverges unclipped
    assert len(clipped["loss"]) == 20 and clipped["loss"][-1] < 2.0


def test_state_gradient_norms_shape_and_vanishing_rnn():
    torch.manual_seed(0)
    X, y = G.adding_batch(8, 40, torch.Generator().manual_seed(1))
    for kind in G.KINDS:
        norms = G.state_gradient_norms(G.AddingModel(kind, 8), X, y)
        assert norms.shape == (40,) and (norms > 0).all()
    rnn = G.state_gradient_norms(G.AddingModel("rnn", 8), X, y)
    assert rnn[0] < rnn[-1]  # at initialisation the plain RNN's gradient decays backwards


def test_adding_run_learns_something(tmp_path):
    sizes = G.PROFILES["smoke"]
    r = G.run_adding("lstm", 10, 0, sizes, tmp_path / "run")
    assert r["test_mse"] < 0.5 and len(r["history"]) == sizes.epochs


def test_committed_02_tables_match_committed_results(tmp_path):
    import pytest

    from rnnpaper import paths

    res = paths.ROOT / "results" / "02-gradients"
    if not (res / "summary.json").exists():
        pytest.skip("notebook 02's paper-scale results are not committed yet")
    for path in G.build_outputs(res, tmp_path):
        assert path.read_text() == (paths.PAPER / "generated" / path.name).read_text()
