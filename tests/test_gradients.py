"""Activation ranges, the adding problem's data, gradient norms, spectral radius, clipping."""

import pytest
import torch

from rnnpaper.models import gradient_flow as GF
from rnnpaper.models import registry
from rnnpaper.models.regressor import Regressor
from rnnpaper.studies import gradients
from rnnpaper.studies.gradients import config, frames
from rnnpaper.studies.gradients.report import adding_table, ratio, sig, write_tables
from rnnpaper.studies.gradients.run import Job, choose_lr, clipping_trace, norm_curves
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
    """A lost checkpoint keeps the last summary's curve, or retrains its run: never a gap."""
    sizes = gradients.PROFILES["smoke"]
    chosen = {k: sizes.lrs[0] for k in registry.COMPARED}
    norms = norm_curves(sizes, tmp_path, chosen, previous={"lstm": {"trained": [1.0, 0.5]}})
    assert set(norms) == set(registry.COMPARED)
    assert norms["lstm"]["trained"] == [1.0, 0.5]
    assert not (
        tmp_path
        / Job("lstm", sizes.norm_length, 0, sizes.adding(sizes.norm_length, chosen["lstm"])).stem
    ).exists()
    for kind in ("rnn", "gru"):  # no checkpoint, no previous curve: retrained
        job = Job(kind, sizes.norm_length, 0, sizes.adding(sizes.norm_length, chosen[kind]))
        assert (tmp_path / job.stem / "best.pt").exists()
        assert len(norms[kind]["trained"]) == sizes.norm_length
        assert norms[kind]["trained"] != norms[kind]["init"]
    assert all(len(c["init"]) == sizes.norm_length for c in norms.values())


def test_adding_run_learns_something(tmp_path):
    sizes = gradients.PROFILES["smoke"].adding(10, 1e-2)
    model, r = adding.train_one("lstm", 10, 0, sizes, tmp_path / "run")
    assert r["test_mse"] < 0.5 and len(r["val_curve"]) == sizes.steps // sizes.eval_every
    best = adding.load("lstm", sizes, tmp_path / "run")  # the best weights reload
    X, y = adding.held_out(10, sizes.n_test)
    mse = torch.nn.functional.mse_loss(best(X), y).item()
    assert mse == pytest.approx(r["test_mse"], rel=1e-6)
    # the kept step is the best on validation, not on test
    assert r["val_mse"] == min(r["val_curve"])
    assert r["best_step"] == sizes.eval_every * (1 + r["val_curve"].index(r["val_mse"]))


def test_validation_and_test_sets_differ_and_are_fixed():
    Xv, yv = adding.held_out(20, 50, "validation")
    Xt, yt = adding.held_out(20, 50, "test")
    assert not torch.equal(yv, yt)
    torch.testing.assert_close(adding.held_out(20, 50, "validation")[1], yv)


def test_flush_denormals_is_scoped():
    if not torch.set_flush_denormal(False):
        pytest.skip("this CPU cannot flush denormals")
    tiny = 1e-40  # subnormal in float32
    with adding.flush_denormals():
        assert torch.tensor([tiny]).item() == 0.0
    assert torch.tensor([tiny]).item() > 0.0


def test_budgets_by_length_and_the_elman_cutoff():
    sizes = config.Sizes()
    assert [sizes.steps(T) for T in (10, 200, 500, 1000)] == [4000, 4000, 3000, 2000]
    assert sizes.runs_at(200, registry.COMPARED) == ("rnn", "lstm", "gru")
    assert sizes.runs_at(500, registry.COMPARED) == ("lstm", "gru")
    assert sizes.adding(500, 1e-3).steps == 3000 and sizes.adding(500, 1e-3).lr == 1e-3


def test_the_proposed_cell_joins_the_study_once_registered(monkeypatch):
    assert config.cells() == registry.COMPARED + tuple(registry.PROPOSED)
    monkeypatch.setattr(registry, "PROPOSED", ("gru_proposal",))
    assert config.cells() == (*registry.COMPARED, "gru_proposal")


def test_choose_lr_takes_the_lowest_validation_mse_and_the_smaller_rate_on_ties():
    assert choose_lr({"0.001": 0.2, "0.003": 0.1, "0.01": 0.3}, (1e-3, 3e-3, 1e-2)) == 3e-3
    assert choose_lr({"0.001": 0.1, "0.003": 0.1}, (3e-3, 1e-3)) == 1e-3


def test_a_stale_result_file_is_retrained(tmp_path):
    from rnnpaper import results
    from rnnpaper.studies.gradients.run import _done

    job = Job("gru", 10, 0, gradients.PROFILES["smoke"].adding(10, 1e-2))
    path = tmp_path / f"{job.stem}.json"
    assert job.stem == "gru_T10_lr0.01_seed0" and not _done(path, job)
    results.write_json(path, {"config": job.sizes})
    assert _done(path, job)
    results.write_json(path, {"config": gradients.PROFILES["smoke"].adding(20, 1e-2)})
    assert not _done(path, job)  # another budget: the old protocol's file is not reused


def _row(kind, T, seed, mse, curve):
    cfg = {"steps": 10 * len(curve), "eval_every": 10}
    best = 10 * (1 + curve.index(min(curve)))
    row = dict(kind=kind, T=T, seed=seed, test_mse=mse, val_curve=curve, best_step=best)
    return row | {"config": cfg}


def test_comparisons_are_holm_corrected_and_read_the_ordering_over_the_budget():
    rows = []
    for seed, jitter in enumerate((0.9, 1.0, 1.1)):
        # at T = 10 the GRU is 100x better throughout; at T = 20 the LSTM overtakes it late
        rows.append(_row("lstm", 10, seed, 0.1 * jitter, [0.2, 0.15, 0.12, 0.1 * jitter]))
        rows.append(_row("gru", 10, seed, 1e-3 * jitter, [0.01, 0.005, 0.002, 1e-3 * jitter]))
        rows.append(_row("lstm", 20, seed, 1e-3 * jitter, [0.2, 0.2, 0.2, 1e-3 * jitter]))
        rows.append(_row("gru", 20, seed, 0.01 * jitter, [0.1, 0.05, 0.02, 0.01 * jitter]))
        rows.append(_row("rnn", 10, seed, 0.16, [0.17, 0.16, 0.16, 0.16]))
    comp = frames.comparisons(rows).set_index("T")
    assert list(comp["a"]) == ["lstm", "lstm"] and list(comp["b"]) == ["gru", "gru"]  # no Elman
    assert comp.loc[10, "log10_ratio"] == pytest.approx(2.0)
    assert (comp["p_holm"] >= comp["p"]).all() and comp.loc[10, "significant"]
    assert comp.loc[10, "signs"] == [1, 1, 1] and comp.loc[10, "stable"]
    assert comp.loc[20, "signs"] == [1, 1, -1] and not comp.loc[20, "stable"]
    late = frames.late_best(rows).set_index(["kind", "T"])
    assert late.loc[("lstm", 20), "late"] == 3  # best in the last quarter: still improving
    assert late.loc[("rnn", 10), "late"] == 0
    assert late.loc[("lstm", 20), "gain"] == pytest.approx(1e-3 / 0.2)


def test_table_shows_spread_the_baseline_and_dashes_for_runs_not_made():
    rows = [_row("rnn", 10, s, 0.1 + 0.01 * s, [0.1]) for s in range(3)]
    rows += [_row("lstm", T, s, 1e-4, [1e-4]) for T in (10, 500) for s in range(3)]
    table = adding_table(frames.adding_frame(rows)).set_index("Cell")
    assert table.loc["Elman", "T = 10"] == "110.0 ± 10.0"  # x 10^-3, mean ± sd
    assert table.loc["Elman", "T = 500"] == "--"
    assert table.loc["LSTM", "T = 500"] == "0.10 ± 0.00"
    assert table.loc["Always 1 (baseline)", "T = 10"] == "166.7"


def test_number_formats():
    assert sig(0.0123) == "0.012" and sig(163.64, 0.41) == "163.6 ± 0.4" and sig(5.0) == "5.0"
    assert ratio(-2.2) == "1/160" and ratio(0.0) == "1" and ratio(3) == "1000"
    assert ratio(-0.51) == "0.31" and ratio(0.38) == "2.4"


def test_norms_of_a_cell_without_a_fused_twin():
    X, y = adding.batch(4, 9, torch.Generator().manual_seed(0))
    model = Regressor("gru_proposal", adding.INPUT_SIZE, 5)
    assert model.rnn.impl == "scratch"
    norms = GF.state_gradient_norms(model, X, y)
    assert norms.shape == (9,) and (norms > 0).all()


def test_committed_02_tables_match_committed_results(tmp_path):
    from rnnpaper import paths

    res = paths.ROOT / "results" / "02-gradients"
    if not (res / "adding.json").exists():
        pytest.skip("notebook 02's paper-scale results are not committed yet")
    for path in write_tables(res, tmp_path):
        assert path.read_text() == (paths.PAPER / "generated" / path.name).read_text()


def test_the_clipping_figure_marks_where_the_unclipped_run_diverges():
    """Issue 13: the unclipped curve was invisible (NaN after one step) though its legend
    showed; it is now drawn with markers up to its last finite step and annotated there."""
    import matplotlib.pyplot as plt

    from rnnpaper.studies.gradients.report import clipping_figure, first_nonfinite

    nan = float("nan")
    assert first_nonfinite([45.0, nan, nan]) == 1 and first_nonfinite([3.0, 2.0]) == 2
    assert first_nonfinite([float("inf")]) == 0
    runs = {
        "free": {"loss": [45.0, nan], "grad_norm": [4e3, nan]},
        "clipped": {"loss": [45.0, 13.0, 1.3], "grad_norm": [4e3, 2e3, 5e2]},
    }
    fig = clipping_figure(runs)
    for ax in fig.axes:
        free, clipped = ax.get_lines()
        assert list(free.get_xdata()) == [0] and free.get_marker() == "o"  # visible: a marker
        assert list(clipped.get_xdata()) == [0, 1, 2]
        assert [t.get_text() for t in ax.texts] == ["NaN from step 1"]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "no clipping",
        "clipped to norm 1",
    ]
    plt.close(fig)
