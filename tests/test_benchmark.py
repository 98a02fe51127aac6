"""The benchmarks' shared timing (rnnpaper.benchmark): rotated repetitions and the ratios."""

import pytest
import torch

from rnnpaper import benchmark


def test_summarise_takes_per_repetition_ratios_against_the_reference():
    secs = {
        "ref": {"train": [(2.0, 2.5), (3.0, 3.5), (4.0, 4.5)], "infer": [(1.0, 1.0)] * 3},
        "fast": {"train": [(1.0, 9.0), (1.0, 9.0), (2.0, 9.0)], "infer": [(0.5, 0.5)] * 3},
    }
    out = benchmark.summarise(secs, tokens=100, reference="ref")
    fast = out["fast"]["train"]
    assert fast["ratio_to_fused_lstm"] == pytest.approx(2.0)  # median of 2, 3, 2
    assert (fast["ratio_min"], fast["ratio_max"]) == pytest.approx((2.0, 3.0))
    assert fast["tokens_per_s"] == pytest.approx(100.0)  # median of 100, 100, 50 tok / CPU s
    assert fast["tokens_per_wall_s"] == pytest.approx(100 / 9)
    assert out["ref"]["infer"]["ratio_to_fused_lstm"] == 1.0
    assert out["fast"]["infer"]["ratio_min"] == out["fast"]["infer"]["ratio_max"] == 2.0


def test_interleaved_rotates_the_order_and_times_every_step():
    calls = []

    class Model(torch.nn.Module):
        def __init__(self, name):
            super().__init__()
            self.name, self.w = name, torch.nn.Parameter(torch.ones(()))

        def forward(self, x):
            calls.append((self.name, torch.is_grad_enabled()))
            return x * self.w, None

    models = {n: Model(n) for n in "abc"}
    secs = benchmark.interleaved(models, torch.ones(2, 3, 4), reps=3)
    assert all(len(secs[n][m]) == 3 for n in "abc" for m in ("train", "infer"))
    assert all(c >= 0 and w >= 0 for n in "abc" for c, w in secs[n]["train"])
    trained = [n for n, grad in calls[6:] if grad]  # after one warm-up step pair each
    assert "".join(trained) == "abcbcacab"  # rotated by one each repetition


def _payload(cpu_ref, cpu_fast):
    """One process's payload: the reference's and a faster model's CPU seconds per repetition."""
    secs = {
        n: {"train": [(c, c) for c in cpu]} for n, cpu in (("ref", cpu_ref), ("fast", cpu_fast))
    }
    lengths = {"8": benchmark.summarise(secs, 16, "ref")}
    return {"config": {"batch": 2}, "reference": "ref", "lengths": lengths}


def test_merge_pools_every_repetition_and_keeps_each_process_median():
    merged = benchmark.merge([_payload([2.0, 2.0], [1.0, 1.0]), _payload([3.0, 3.0], [1.0, 1.0])])
    fast = merged["lengths"]["8"]["fast"]["train"]
    assert merged["config"]["processes"] == 2
    assert fast["process_ratios"] == [2.0, 3.0]  # the between-process spread
    assert (fast["ratio_min"], fast["ratio_max"]) == (2.0, 3.0)
    assert fast["ratio_to_fused_lstm"] == 2.5 and len(fast["cpu_seconds"]) == 4


def test_without_drops_an_option_and_its_value():
    argv = ["--reps", "5", "--processes", "3", "--out=x.json", "--quick"]
    assert benchmark.without(argv, "--processes", "--out") == ["--reps", "5", "--quick"]


def test_the_glr_benchmark_repeats_in_processes(tmp_path):
    import runpy

    from rnnpaper import paths

    main = runpy.run_path(str(paths.ROOT / "benchmarks" / "bench_glr.py"))["main"]
    payload = main(["--quick", "--processes", "2", "--out", str(tmp_path / "g.json")])
    fused = payload["lengths"]["16"]["GLR, fused"]["train"]
    assert payload["config"]["processes"] == 2 and len(fused["process_ratios"]) == 2
    assert len(fused["cpu_seconds"]) == 2  # one repetition per process at --quick
