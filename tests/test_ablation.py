"""The proposed cell's ablation report (issue 11 item 6): each ablation against BiGLR on the
same test examples, on synthetic protocol runs whose answers are known."""

import json

import numpy as np
import pytest

from rnnpaper.report import labels
from rnnpaper.studies.classification import ablation_report
from rnnpaper.studies.classification.protocol import encode_labels


def _ablation_results(root, seeds=5, missing=None):
    """Fake protocol runs: BiGLR right on 90 of 100 test examples, A1 on 80, A2 on 90, A3 on
    the same 90 but one per seed; ``missing``: (preset, seed) left out on SST-5."""
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
    _ablation_results(tmp_path)
    found = ablation_report.load(tmp_path)
    assert found["datasets"] == ["trec", "sst5"]
    assert found["ablations"] == ["biglr_untied", "biglr_linear", "biglr_fixed"]
    by = {(t["dataset"], t["row"]): t for t in ablation_report.tests(found, resamples=2000)}
    untied, linear = by[("trec", "biglr_untied")], by[("trec", "biglr_linear")]
    assert (untied["full"], untied["ablated"]) == pytest.approx((90.0, 80.0))
    assert untied["p_holm"] < 0.05  # 10 examples, all one way
    assert linear["ablated"] == pytest.approx(90.0) and linear["p"] == 1.0  # identical answers
    assert by[("trec", "biglr_fixed")]["ablated"] == pytest.approx(89.6)  # 90 - 2/5 of one
    deltas = ablation_report.per_seed_differences(found)
    fixed = deltas[(deltas.dataset == "trec") & (deltas.preset == "biglr_fixed")]
    assert list(fixed["delta"]) == pytest.approx([0.0, -1.0, 0.0, -1.0, 0.0])
    v = ablation_report.macro_values(found, list(by.values()))
    assert v["abl untied lower"] == 2 and v["abl linear lower"] == 0
    assert v["abl untied mean delta"] == pytest.approx(-10.0)
    frame = ablation_report.difference_frame(found, list(by.values()))
    assert frame.iloc[0][labels.dataset("trec")].startswith("-10.0 (")


def test_ablation_leaves_out_a_dataset_missing_a_seed(tmp_path):
    _ablation_results(tmp_path, missing=("biglr_linear", 4))
    assert ablation_report.load(tmp_path)["datasets"] == ["trec"]
    _ablation_results(tmp_path / "b", missing=("biglr", 0))
    assert ablation_report.load(tmp_path / "b")["datasets"] == ["trec"]


def test_ablation_report_writes_tables_figure_and_macros(tmp_path):
    _ablation_results(tmp_path / "res")
    written = ablation_report.build(tmp_path / "res", tmp_path / "g", tmp_path / "f")
    assert {"accuracy", "difference", "figure", "macros"} <= set(written)
    assert "BiGLR (untied gate)" in written["accuracy"].read_text()
    assert "(A3)" in written["difference"].read_text()
    assert written["figure"].exists() and "\\AblUntiedMeanDelta" in written["macros"].read_text()
    assert written["figure"].name == "06-classification_ablation.pdf"
    assert ablation_report.build(tmp_path / "empty", tmp_path / "g", tmp_path / "f") == {}
