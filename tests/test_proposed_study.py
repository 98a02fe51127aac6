"""The proposed model's speed study: what its report makes of a benchmark payload."""

from rnnpaper import benchmark, paths
from rnnpaper.studies import proposed
from rnnpaper.studies.proposed.report import macro_values, speed_frame

LSTM, FUSED = "LSTM fused (torch.nn)", "GLR, fused"


def payload():
    """One length, the LSTM and the fused GLR: 3 repetitions of 64 x 128 tokens each."""
    secs = {
        LSTM: {"train": [(3.0, 3.0), (3.3, 3.3), (3.6, 3.6)], "infer": [(1.0, 1.0)] * 3},
        FUSED: {
            "train": [(1.0, 1.0), (1.1, 1.1), (0.9, 0.9)],
            "infer": [(0.5, 0.5), (0.4, 0.4), (0.5, 0.5)],
        },
    }
    return {
        "config": {"reps": 3, "batch": 64, "hidden": 128, "threads": 1},
        "reference": LSTM,
        "lengths": {"128": benchmark.summarise(secs, 64 * 128, LSTM)},
    }


def test_macros_and_table_quote_the_median_ratio_and_its_range():
    v = macro_values(payload())
    assert v["glr fused train T 128 ratio"] == "3.00"  # median of 3.0, 3.0, 4.0
    assert (v["glr fused train T 128 min"], v["glr fused train T 128 max"]) == ("3.00", "4.00")
    assert v["glr fused infer T 128 max"] == "2.50" and "glr sequential train T 128 ratio" not in v
    assert v["glr bench processes"] == 1 and v["glr fused train T 128 process max"] == "3.00"
    merged = benchmark.merge([payload(), payload()])
    assert macro_values(merged)["glr bench processes"] == 2
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
