"""The classification protocol (issue 12 items 1-3, 6): tuning per dataset on validation,
early stopping, full-size data cut to a length keeping 80 % of texts whole, the untruncated
baselines, resumable runs and Holm-corrected paired tests; the protocol-smoke profile end to
end in a temporary folder (about 30 s)."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from rnnpaper import jobs, paths, train
from rnnpaper.studies.classification import plan, protocol, protocol_report
from rnnpaper.studies.classification import protocol_run as prun
from rnnpaper.studies.classification.protocol import PROFILES, choose, whole_length

SMOKE = PROFILES["protocol-smoke"]


@pytest.fixture(scope="module")
def study(tmp_path_factory, real_data_dir):
    """The protocol-smoke study, run once into a temporary folder: (results folder, mp)."""
    tmp = tmp_path_factory.mktemp("protocol")
    mp = pytest.MonkeyPatch()
    mp.setattr(paths, "BUILD", tmp / "build")
    mp.setattr(
        paths,
        "outputs",
        lambda p: paths.Outputs(p, tmp / "results", tmp / "figures", tmp / "generated").make(),
    )
    prun.run("protocol-smoke", log=lambda m: None)
    yield prun.results_dir(paths.outputs("protocol-smoke")), tmp
    mp.undo()


def _read(path):
    return json.loads(path.read_text())


@pytest.fixture
def epochs_trained(monkeypatch):
    """Counts the training epochs run in this process (the runs are serial here)."""
    count = {"n": 0}
    epoch = train._train_epoch

    def counted(*args, **kwargs):
        count["n"] += 1
        return epoch(*args, **kwargs)

    monkeypatch.setattr(train, "_train_epoch", counted)
    return count


def test_the_paper_profile_keeps_its_folders():
    assert paths.outputs("paper").generated == paths.PAPER / "generated"
    protocol_out = paths.outputs("protocol")
    assert (
        prun.results_dir(protocol_out) == paths.ROOT / "results" / "06-classification" / "protocol"
    )
    assert protocol_out.generated == paths.BUILD / "protocol" / "generated"
    ablation = PROFILES["ablation"]
    assert prun.results_dir(paths.outputs("ablation"), ablation) == protocol_out.results / (
        "06-classification/ablation"
    )  # committed beside the protocol's


def test_whole_length_is_the_smallest_keeping_the_fraction():
    rng = np.random.default_rng(0)
    for n in (1, 5, 10, 37, 1000):
        lengths = rng.integers(1, 500, n)
        L = whole_length(lengths, 0.8)
        assert np.mean(lengths <= L) >= 0.8 > np.mean(lengths <= L - 1)
    assert whole_length([1, 2, 3, 4, 5], 0.8) == 4  # 0.8 * 5 = 4 texts whole, not 5
    assert whole_length([3, 9, 4], 1.0) == 9


def test_choose_takes_the_best_validation_and_breaks_ties_by_order():
    scores = {(1e-3, 0.2): 0.70, (3e-3, 0.2): 0.80, (1e-2, 0.2): 0.80, (3e-3, 0.5): 0.75}
    assert choose(scores) == (3e-3, 0.2)  # tied with 1e-2: the first evaluated
    reordered = dict(reversed(list(scores.items())))
    assert choose(reordered) == (1e-2, 0.2)  # ties follow the evaluation order, nothing else


def test_the_chosen_setting_is_the_argmax_of_the_tuning_files(study):
    res, _ = study
    for name in SMOKE.datasets:
        chosen = _read(res / "chosen" / f"{name}.json")["chosen"]
        for preset, c in chosen.items():
            files = sorted((res / "tuning" / name).glob(f"{preset}-lr*.json"))
            accs = {
                (_read(f)["lr"], _read(f)["dropout"]): _read(f)["validation"]["accuracy"]
                for f in files
            }
            assert len(accs) == SMOKE.tuning_fits
            assert c["validation_accuracy"] == max(accs.values())
            assert accs[(c["lr"], c["dropout"])] == max(accs.values())
            stage1 = {k: v for k, v in accs.items() if k[1] == SMOKE.dropout_grid[0]}
            assert all(k[0] == max(stage1, key=stage1.get)[0] for k in accs if k not in stage1)


def test_every_model_gets_the_same_search_and_budget(study):
    res, _ = study
    for name in SMOKE.datasets:
        runs = [_read(f) for f in sorted((res / "tuning" / name).glob("*.json"))]
        by = {}
        for r in runs:
            by.setdefault(r["preset"], set()).add(r["lr"] if r["dropout"] == 0.2 else None)
            expected = dataclasses.asdict(protocol.train_config(SMOKE, name, r["lr"], 0))
            assert r["fit"]["train_config"] == expected
            assert (expected["epochs"], expected["patience"], expected["schedule"]) == (
                SMOKE.max_epochs[name],
                SMOKE.patience[name],
                "constant",
            )
            assert r["fit"]["meta"]["batch_size"] == SMOKE.batch(name)
        assert {p: lrs - {None} for p, lrs in by.items()} == {
            p: set(SMOKE.lr_grid) for p in SMOKE.presets
        }
        assert len({r["max_len"] for r in runs}) == 1


def test_early_stopping_stops_before_the_cap_when_validation_stalls():
    cfg = protocol.train_config(protocol.PROFILES["protocol"], "sst2", 1e-3, 0)
    model = torch.nn.Linear(2, 2)
    x, y = torch.randn(8, 2), torch.zeros(8, dtype=torch.long)
    fit = train.fit(
        model,
        cfg,
        lambda e: [(x, y)],
        lambda m, b: (torch.nn.functional.cross_entropy(m(b[0]), b[1]), 8),
        lambda m: {"accuracy": 0.5},  # validation never improves after epoch 1
    )
    assert fit.best_epoch == 1 and fit.stopped_early
    assert len(fit.history) == 1 + cfg.patience < cfg.epochs


def test_run_files_record_best_and_last_epoch(study):
    res, _ = study
    for f in sorted((res / "runs").glob("*/*.json")) + sorted((res / "tuning").glob("*/*.json")):
        r = _read(f)
        assert r["epochs_run"] == len(r["fit"]["history"]) <= r["max_epochs"]
        best = max(h["accuracy"] for h in r["fit"]["history"])
        assert r["fit"]["history"][r["best_epoch"] - 1]["accuracy"] == best
        if r["epochs_run"] < r["max_epochs"]:  # stopped early: patience epochs after the best
            assert r["epochs_run"] - r["best_epoch"] == SMOKE.patience[r["dataset"]]
    conv = protocol_report.convergence(protocol_report.load(res, SMOKE))
    assert conv.iloc[-1]["fits"] == len(SMOKE.datasets) * len(SMOKE.presets) * (
        SMOKE.tuning_fits + 1  # seed 1; seed 0 is its tuning fit
    )


def test_documents_keep_80_percent_whole_and_the_ceiling_sees_everything(study):
    res, _ = study
    info = _read(res / "data" / "imdb.json")
    full, cut = prun.prepared("imdb", SMOKE)
    lengths = full.splits["train"].full_lengths
    assert info["max_len"] == whole_length(lengths, 0.8)
    assert info["train_whole_fraction"] >= 0.8 > np.mean(lengths <= info["max_len"] - 1)
    assert max(len(t) for t in cut.splits["train"].tokens) == info["max_len"]
    assert [len(t) for t in full.splits["test"].tokens] == list(full.splits["test"].full_lengths)
    models = _read(res / "baselines" / "imdb.json")["models"]
    assert models["nbsvm"]["max_tokens"] == models["tfidf_lr"]["max_tokens"] == info["max_len"]
    assert models["nbsvm-full"]["max_tokens"] == lengths.max() > info["max_len"]
    trec = _read(res / "data" / "trec.json")  # sentences: every training text whole
    assert trec["train_whole_fraction"] == 1.0


def test_a_finished_study_trains_nothing_and_a_missing_file_is_retrained(study, epochs_trained):
    res, tmp = study
    prun.run("protocol-smoke", log=lambda m: None)
    assert epochs_trained["n"] == 0
    victim = res / "runs" / "trec" / "lstm-s1.json"
    before = _read(victim)
    victim.unlink()
    ckpt = prun.ckpt_dir("protocol-smoke") / "trec"
    run_dir = next(ckpt.glob("lstm-*-s1"))
    for f in run_dir.iterdir():
        f.unlink()
    prun.run("protocol-smoke", log=lambda m: None)
    after = _read(victim)
    assert epochs_trained["n"] == after["epochs_run"]
    assert (
        after["test_pred"] == before["test_pred"] and after["config_hash"] == before["config_hash"]
    )


def test_an_interrupted_run_resumes_where_it_stopped(study, monkeypatch):
    res, _ = study
    victim = res / "runs" / "imdb" / "biglr-s1.json"
    before = _read(victim)
    victim.unlink()
    run_dir = next((prun.ckpt_dir("protocol-smoke") / "imdb").glob("biglr-*-s1"))
    for f in run_dir.iterdir():
        f.unlink()
    epoch, calls = train._train_epoch, []

    def killed_in_epoch_2(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return epoch(*args, **kwargs)

    monkeypatch.setattr(train, "_train_epoch", killed_in_epoch_2)
    with pytest.raises(jobs.JobError, match="imdb test biglr"):
        prun.run("protocol-smoke", log=lambda m: None)
    assert (run_dir / "checkpoint.pt").exists() and not victim.exists()
    calls.clear()
    monkeypatch.setattr(train, "_train_epoch", lambda *a, **k: (calls.append(1), epoch(*a, **k))[1])
    prun.run("protocol-smoke", log=lambda m: None)
    after = _read(victim)
    assert len(calls) == after["epochs_run"] - 1  # epoch 1 came from the checkpoint
    assert after["test_pred"] == before["test_pred"]
    assert after["fit"]["history"] == before["fit"]["history"]


def test_holm_against_hand_computed_values():
    rows = [{"p": p} for p in (0.01, 0.04, 0.03, 0.005)]
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> max so far 0.06
    got = [r["p_holm"] for r in protocol_report.with_holm(rows)]
    assert got == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_report_tests_every_row_against_the_best_and_writes_the_tables(study):
    res, tmp = study
    found = protocol_report.load(res, SMOKE)
    tests = protocol_report.paired_tests(found, resamples=2000)
    for name in SMOKE.datasets:
        mine = [t for t in tests if t["dataset"] == name]
        rows = protocol_report.correctness(found, name)
        best = max(rows, key=lambda p: rows[p].mean())
        assert {t["row"] for t in mine} == set(rows) - {best} and {t["best"] for t in mine} == {
            best
        }
    assert all(t["p"] <= t["p_holm"] <= 1 for t in tests)
    written = protocol_report.build_tables(res, tmp / "generated", SMOKE)
    assert set(written) == {
        "lengths",
        "chosen",
        "convergence",
        "accuracy",
        "metrics_sentences",
        "metrics_documents",
        "significance",
        "macros",
    }
    assert "TF-IDF + LR (full)" in written["accuracy"].read_text()
    macros = written["macros"].read_text()
    values = protocol_report.macro_values(found)
    assert values["prot fits"] == len(
        {r["fit"]["config_hash"] for r in found["tuning"] + found["runs"]}
    )
    for d in ("Trec", "Imdb"):  # the proposed model's place against every compared row
        rank = values[f"prot {d.lower()} glr rank"]
        assert 1 <= rank <= len(protocol_report.rows_of(found, ceiling=False))
        assert f"\\Prot{d}GlrRank}}{{{rank}}}" in macros


def test_labels_round_trip_in_one_character_each():
    y = np.array([0, 1, 19, 35, 7])
    assert protocol.encode_labels(y) == "01jz7"
    assert (protocol.decode_labels("01jz7") == y).all()


def test_plan_counts_the_runs_of_the_study(study):
    res, _ = study
    p = plan.plan("protocol-smoke", log=lambda m: None)
    for row in p["datasets"]:
        n = len(SMOKE.presets)
        assert (
            row["tuning_runs"]
            == n * SMOKE.tuning_fits
            == len(list((res / "tuning" / row["dataset"]).glob("*.json")))
        )
        assert row["test_runs"] == n * len(SMOKE.seeds(row["dataset"]))
        assert row["done"] == row["tuning_runs"] + row["test_runs"] and row["cpu_s_left"] == 0
        assert row["cpu_s"] > 0


def test_a_dataset_missing_a_seed_is_pending_and_left_out_of_every_table(study):
    res, tmp = study
    complete = protocol_report.load(res, SMOKE)
    assert complete["pending"] == [] and complete["runs"]
    victim = sorted((res / "runs" / "trec").glob("*-s1.json"))[0]
    saved = victim.read_bytes()
    victim.unlink()
    try:
        found = protocol_report.load(res, SMOKE)
        assert found["pending"] == ["trec"]
        assert {r["dataset"] for r in found["runs"]} == {"imdb"}
        values = protocol_report.macro_values(found)
        assert values["prot trec best"] == "--" and values["prot datasets"] == 1
        assert values["prot pending"] == " (TREC-6: test runs not finished; counted nowhere)"
    finally:
        victim.write_bytes(saved)


def test_the_ablation_profile_runs_the_same_protocol_into_its_own_folder(study):
    """The ablation profile (the proposed cell less one part) gets the protocol's search, seeds
    and data, writes to results/06-classification/ablation/, and refits no baseline."""
    res, tmp = study
    abl = PROFILES["ablation-smoke"]
    assert abl.presets == protocol.ABLATIONS[:1] and not abl.baselines
    assert (
        dataclasses.replace(abl, presets=SMOKE.presets, folder=SMOKE.folder, baselines=True)
        == SMOKE
    )
    assert set(PROFILES["ablation"].presets) == {"biglr_untied", "biglr_linear", "biglr_fixed"}
    prun.run("ablation-smoke", datasets=("trec",), log=lambda m: None)  # the study's folders
    out = prun.results_dir(paths.outputs("ablation-smoke"), abl)
    assert out == res.parent / "ablation" and not (out / "baselines").exists()
    runs = sorted(p.name for p in (out / "runs" / "trec").glob("*.json"))
    assert runs == [f"biglr_untied-s{s}.json" for s in abl.seeds("trec")]
    cfg = _read(out / "runs" / "trec" / runs[0])["model_config"]
    assert cfg["cell"] == "glr_untied" and cfg["bidirectional"]
    tuned = {p.name for p in (out / "tuning" / "trec").glob("*.json")}
    assert len(tuned) == SMOKE.tuning_fits
