"""The proposed model's speed study: what its report makes of a benchmark payload."""

import pytest

from rnnpaper import paths
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
