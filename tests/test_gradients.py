"""Activation ranges, the adding problem's data, gradient norms, spectral radius, clipping."""

import pytest
import torch

from rnnpaper.models import gradient_flow as GF
from rnnpaper.models import registry
from rnnpaper.models.regressor import Regressor
from rnnpaper.studies import gradients
from rnnpaper.studies.gradients.report import write_tables
from rnnpaper.studies.gradients.run import clipping_trace, norm_curves
from rnnpaper.tasks import adding


def test_activation_ranges_are_open_where_the_proposal_closes_them():
    r = GF.activation_ranges()
    assert abs(r["sigmoid'"]["max"] - 0.25) < 1e-12 and abs(r["sigmoid'"]["argmax"]) < 1e-9
    assert r["sigmoid'"]["gap_to_0"] > 0  # never 0: codomain (0, 0.25], not [0, 0.5]
    assert r["tanh"]["gap_to_1"] > 0 and r["tanh"]["gap_to_-1"] > 0  # (-1, 1), not [-1, 1]
    assert abs(r["tanh'"]["max"] - 1) < 1e-12 and r["tanh'"]["gap_to_0"] > 0  # (0, 1]
    assert [row[3] for row in GF.ranges_table(r)] == [True, False, False, False]


def test_adding_batch_targets_and_baseline():
    X, y = adding.batch(4000, 30, torch.Generator().manual_seed(0))
    assert X.shape == (4000, 30, 2) and (X[..., 1].sum(1) == 2).all()
    assert (X[:, :15, 1].sum(1) == 1).all()  # one marker in each half
    torch.testing.assert_close(y, (X[..., 0] * X[..., 1]).sum(1))
    assert abs(((y - 1) ** 2).mean().item() - adding.BASELINE_MSE) < 0.01  # always answering 1


def test_spectral_radius_moves_between_vanishing_and_exploding():
    out = GF.spectral_radius_sweep([0.5, 1.0, 2.0], T=30, hidden=16)
    assert out[0.5] < 1e-4 and out[2.0] > 100 and out[0.5] < out[1.0] < out[2.0]


def test_clipping_tames_an_exploding_run():
    free, clipped = clipping_trace(0, 20), clipping_trace(1.0, 20)
    assert len(free["loss"]) < 20 or max(free["loss"]) > 1e3  # diverges unclipped
    assert len(clipped["loss"]) == 20 and clipped["loss"][-1] < 2.0


def test_state_gradient_norms_shape_and_vanishing_rnn():
    torch.manual_seed(0)
    X, y = adding.batch(8, 40, torch.Generator().manual_seed(1))
    for kind in registry.COMPARED:
        norms = GF.state_gradient_norms(Regressor(kind, 2, 8), X, y)
        assert norms.shape == (40,) and (norms > 0).all()
    rnn = GF.state_gradient_norms(Regressor("rnn", 2, 8), X, y)
    assert rnn[0] < rnn[-1]  # at initialisation the plain RNN's gradient decays backwards


@pytest.mark.parametrize("kind", list(registry.CELLS))
def test_every_registered_cell_regresses_forward_and_backward(kind):
    X, y = adding.batch(4, 7, torch.Generator().manual_seed(0))
    model = Regressor(kind, adding.INPUT_SIZE, 5)
    pred = model(X)
    assert pred.shape == (4,)
    torch.nn.functional.mse_loss(pred, y).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert GF.state_gradient_norms(model, X, y).shape == (7,)


def test_trained_curves_survive_without_checkpoints(tmp_path):
    sizes = gradients.PROFILES["smoke"]
    norms = norm_curves(sizes, tmp_path, previous={"lstm": {"trained": [1.0, 0.5]}})
    assert set(norms) == set(registry.COMPARED)
    assert norms["lstm"]["trained"] == [1.0, 0.5] and norms["rnn"]["trained"] is None
    assert all(len(c["init"]) == sizes.norm_length for c in norms.values())


def test_adding_run_learns_something(tmp_path):
    sizes = gradients.PROFILES["smoke"]
    model, r = adding.train_one("lstm", 10, 0, sizes.adding, tmp_path / "run")
    assert r["test_mse"] < 0.5 and len(r["history"]) == sizes.epochs
    best = adding.load("lstm", sizes.adding, tmp_path / "run")  # the best weights reload
    X, y = adding.held_out(10, sizes.n_test)
    mse = torch.nn.functional.mse_loss(best(X), y).item()
    assert mse == pytest.approx(r["test_mse"], rel=1e-6)


def test_committed_02_tables_match_committed_results(tmp_path):
    from rnnpaper import paths

    res = paths.ROOT / "results" / "02-gradients"
    if not (res / "summary.json").exists():
        pytest.skip("notebook 02's paper-scale results are not committed yet")
    for path in write_tables(res, tmp_path):
        assert path.read_text() == (paths.PAPER / "generated" / path.name).read_text()
