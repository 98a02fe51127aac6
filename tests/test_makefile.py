"""Make tracks real files: touching one notebook reruns it and its dependants only."""

import os
import re
import shutil
import subprocess
import time

import pytest

from rnnpaper import paths

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def tree(tmp_path):
    """A copy of the Makefile's inputs with every executed notebook already up to date."""
    for name in ("Makefile", "requirements.lock", "pyproject.toml"):
        shutil.copy(paths.ROOT / name, tmp_path / name)
    shutil.copytree(paths.NOTEBOOKS, tmp_path / "notebooks")
    shutil.copytree(paths.ROOT / "rnnpaper", tmp_path / "rnnpaper")
    shutil.copytree(paths.ROOT / "benchmarks", tmp_path / "benchmarks")
    bench = tmp_path / "results" / "03-lstm-gru" / "benchmark.json"
    bench.parent.mkdir(parents=True)
    bench.touch()
    for name in ("04-word2vec", "05-hmm"):  # the dependency chain tested below needs both
        (tmp_path / "notebooks" / f"{name}.ipynb").touch()
    later = time.time() + 5
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".installed").touch()
    os.utime(tmp_path / ".venv" / ".installed", (later, later))
    os.utime(bench, (later, later))
    (tmp_path / "build" / "executed").mkdir(parents=True)
    for nb in (tmp_path / "notebooks").glob("*.ipynb"):
        out = tmp_path / "build" / "executed" / nb.name
        out.touch()
        os.utime(out, (later, later))
    return tmp_path


def would_run(tree) -> list[str]:
    out = subprocess.run(["make", "-n", "notebooks"], cwd=tree, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return sorted(re.findall(r"run_notebook notebooks/(\S+)\.ipynb", out.stdout))


def touch_later(path, seconds=10):
    t = time.time() + seconds
    os.utime(path, (t, t))


def test_nothing_reruns_when_everything_is_up_to_date(tree):
    assert would_run(tree) == []


def test_touching_one_notebook_reruns_only_it(tree):
    touch_later(tree / "notebooks" / "00-data.ipynb")
    assert would_run(tree) == ["00-data"]


def test_a_notebook_reading_another_ones_results_reruns_after_it(tree):
    touch_later(tree / "notebooks" / "04-word2vec.ipynb")
    assert would_run(tree) == ["04-word2vec", "05-hmm"]


def test_the_benchmark_reruns_only_when_asked(tree):
    touch_later(tree / "rnnpaper" / "models" / "cells.py", seconds=20)
    out = subprocess.run(["make", "-n", "notebooks"], cwd=tree, capture_output=True, text=True)
    assert "run_notebook notebooks/03-lstm-gru.ipynb" in out.stdout  # the package changed
    assert "benchmarks/bench_cells.py" not in out.stdout  # but timings are not re-measured
    out = subprocess.run(["make", "-n", "benchmark"], cwd=tree, capture_output=True, text=True)
    assert "benchmarks/bench_cells.py" in out.stdout


def test_help_is_the_default_target(tree):
    out = subprocess.run(["make"], cwd=tree, capture_output=True, text=True)
    assert "make <target>" in out.stdout and "paper" in out.stdout and "clean" in out.stdout


def test_the_makefile_measures_with_the_studies_benchmark_settings():
    """make benchmark and a study's run (when the file is missing) measure the same way."""
    from rnnpaper.studies.lstm_gru.config import BENCH_ARGS as CELLS
    from rnnpaper.studies.proposed.config import BENCH_ARGS as GLR

    text = (paths.ROOT / "Makefile").read_text()
    line = next(x for x in text.splitlines() if x.startswith("BENCH_ARGS :="))
    assert line.split(":=")[1].split() == list(CELLS) == list(GLR)
