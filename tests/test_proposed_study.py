"""The proposed model's speed study: what its report makes of a benchmark payload."""

import pytest

from rnnpaper import paths
from rnnpaper.report import labels
from rnnpaper.studies import proposed
from rnnpaper.studies.proposed.report import macro_values, ratio_range, speed_frame

LSTM, FUSED = "LSTM fused (torch.nn)", "GLR, fused"


def payload():
    def row(cpu):  # 64 x 128 tokens per repetition
        return {
            "tokens_per_s": 8192 / sorted(cpu)[1],
            "ratio_to_fused_lstm": 0.0,
            "cpu_seconds": cpu,
        }

    lstm = {"train": row([3.0, 3.3, 3.6]), "infer": row([1.0, 1.0, 1.0])}
    glr = {"train": row([1.0, 1.1, 0.9]), "infer": row([0.5, 0.4, 0.5])}
    glr["train"]["ratio_to_fused_lstm"], glr["infer"]["ratio_to_fused_lstm"] = 3.0, 2.0
    lstm["train"]["ratio_to_fused_lstm"] = lstm["infer"]["ratio_to_fused_lstm"] = 1.0
    return {
        "config": {"reps": 3, "batch": 64, "hidden": 128, "threads": 1},
        "reference": LSTM,
        "lengths": {"128": {LSTM: lstm, FUSED: glr}},
    }


def test_ratio_range_is_the_reference_time_over_the_model_time_per_repetition():
    p = payload()["lengths"]["128"]
    assert ratio_range(p[FUSED]["train"], p[LSTM]["train"]) == pytest.approx((3.0, 4.0))


def test_macros_and_table_quote_the_median_ratio_and_its_range():
    v = macro_values(payload())
    assert v["glr fused train T 128 ratio"] == "3.00"
    assert (v["glr fused train T 128 min"], v["glr fused train T 128 max"]) == ("3.00", "4.00")
    assert v["glr fused infer T 128 max"] == "2.50" and "glr sequential train T 128 ratio" not in v
    frame = speed_frame(payload())
    assert list(frame["Implementation"]) == [LSTM, FUSED]
    assert list(frame["Train ratio"]) == ["1.00", "3.00"]


def test_smoke_profile_measures_into_build_and_reports(tmp_path, monkeypatch):
    def outputs(profile):
        return paths.Outputs(profile, tmp_path / "r", tmp_path / "f", tmp_path / "g").make()

    monkeypatch.setattr(paths, "outputs", outputs)
    speed = proposed.run("smoke", log=lambda m: None)["speed"]
    assert set(speed["lengths"]) == {"16"} and speed["config"]["reps"] == 1
    written = proposed.report("smoke")
    assert "GLR, fused" in written["speed"].read_text()
    assert "\\GlrFusedTrainTOneSixRatio" in written["macros"].read_text()


# ---------------------------------------------------------------- the ablation (issue 11 item 6)


def _ablation_results(root, seeds=5, missing=None):
    """Fake protocol runs: BiGLR right on 90 of 100 test examples, A1 on 80, A2 on 90, A3 on
    the same 90 but one per seed; ``missing``: (preset, seed) left out on SST-5."""
    import json

    import numpy as np

    from rnnpaper.studies.classification.protocol import encode_labels

    base = root / "06-classification"
    y = np.zeros(100, dtype=int)
    right = {"biglr": 90, "biglr_untied": 80, "biglr_linear": 90, "biglr_fixed": 90}
    for d in ("trec", "sst5"):
        (base / "protocol" / "data").mkdir(parents=True, exist_ok=True)
        info = {"dataset": d, "test_labels": encode_labels(y)}
        (base / "protocol" / "data" / f"{d}.json").write_text(json.dumps(info))
        for preset, k in right.items():
            folder = base / ("protocol" if preset == "biglr" else "ablation") / "runs" / d
            folder.mkdir(parents=True, exist_ok=True)
            for s in range(seeds):
                if d == "sst5" and (preset, s) == missing:
                    continue
                pred = np.ones(100, dtype=int)
                pred[: k - (s % 2 if preset == "biglr_fixed" else 0)] = 0  # the first k right
                acc = float((pred == y).mean())
                run = {
                    "dataset": d, "preset": preset, "seed": s, "recurrent_parameters": 10,
                    "model_config": {"hidden_size": 4, "pooling": "mean"},
                    "test": {m: acc for m in ("accuracy", "macro_precision", "macro_recall",
                                                "macro_f1")},
                    "test_pred": encode_labels(pred),
                    "fit": {"n_parameters": 1, "history": [1], "best_epoch": 1, "wall_s": 1.0,
                            "tokens_per_s": 1.0, "train_config": {"lr": 0.01}},
                }  # fmt: skip
                (folder / f"{preset}-s{s}.json").write_text(json.dumps(run))


def test_ablation_compares_each_removed_ingredient_with_biglr_on_the_same_examples(tmp_path):
    from rnnpaper.studies.proposed import ablation

    _ablation_results(tmp_path)
    found = ablation.load(tmp_path)
    assert found["datasets"] == ["trec", "sst5"]
    assert found["ablations"] == ["biglr_untied", "biglr_linear", "biglr_fixed"]
    by = {(t["dataset"], t["row"]): t for t in ablation.tests(found, resamples=2000)}
    untied, linear = by[("trec", "biglr_untied")], by[("trec", "biglr_linear")]
    assert (untied["full"], untied["ablated"]) == pytest.approx((90.0, 80.0))
    assert untied["p_holm"] < 0.05  # 10 examples, all one way
    assert linear["ablated"] == pytest.approx(90.0) and linear["p"] == 1.0  # identical answers
    assert by[("trec", "biglr_fixed")]["ablated"] == pytest.approx(89.6)  # 90 - 2/5 of one
    deltas = ablation.per_seed_differences(found)
    fixed = deltas[(deltas.dataset == "trec") & (deltas.preset == "biglr_fixed")]
    assert list(fixed["delta"]) == pytest.approx([0.0, -1.0, 0.0, -1.0, 0.0])
    v = ablation.macro_values(found, list(by.values()))
    assert v["abl untied lower"] == 2 and v["abl linear lower"] == 0
    assert v["abl untied mean delta"] == pytest.approx(-10.0)
    frame = ablation.difference_frame(found, list(by.values()))
    assert frame.iloc[0][labels.dataset("trec")].startswith("-10.0 (")


def test_ablation_leaves_out_a_dataset_missing_a_seed(tmp_path):
    from rnnpaper.studies.proposed import ablation

    _ablation_results(tmp_path, missing=("biglr_linear", 4))
    assert ablation.load(tmp_path)["datasets"] == ["trec"]
    _ablation_results(tmp_path / "b", missing=("biglr", 0))
    assert ablation.load(tmp_path / "b")["datasets"] == ["trec"]


def test_ablation_report_writes_tables_figure_and_macros(tmp_path, monkeypatch):
    from rnnpaper.studies.proposed import ablation

    def outputs(profile):
        return paths.Outputs(profile, tmp_path / "r", tmp_path / "f", tmp_path / "g").make()

    monkeypatch.setattr(paths, "outputs", outputs)
    _ablation_results(tmp_path / "res")
    written = ablation.report("smoke", tmp_path / "res")
    assert {"accuracy", "difference", "figure", "macros"} <= set(written)
    assert "BiGLR (untied gate)" in written["accuracy"].read_text()
    assert "(A3)" in written["difference"].read_text()
    assert written["figure"].exists() and "\\AblUntiedMeanDelta" in written["macros"].read_text()
    assert ablation.report("smoke", tmp_path / "empty") == {}
