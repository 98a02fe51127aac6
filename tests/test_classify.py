"""python -m rnnpaper classify: help, clear errors without a traceback, and a real run on
the shipped example file with its report, figure and loadable models."""

import csv
import json
import os
import subprocess
import sys
import time

import pytest

from rnnpaper import paths
from rnnpaper.classify import main, predict

EXAMPLE = paths.ROOT / "examples" / "reviews.csv"
ENV = {**os.environ, "PYTHONPATH": str(paths.ROOT), "HF_HUB_OFFLINE": "1"}


def cli(*args, cwd=None):
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "rnnpaper", *args], cwd=cwd, env=ENV, capture_output=True, text=True
    )
    return p, time.perf_counter() - t0


def test_help_names_every_option():
    p, _ = cli("classify", "--help")
    assert p.returncode == 0
    for opt in ("--text", "--label", "--profile", "{smoke,paper}", "--out", "--encoding"):
        assert opt in p.stdout
    p, _ = cli()
    assert p.returncode == 2 and "classify" in p.stdout


BAD = {  # file content, extra arguments, message
    "latin1.csv": ("text,label\ncaf\xe9,a\n".encode("latin-1"), [], ":2: byte 0xe9"),
    "cols.csv": (b"review,stars\nx,a\n", [], "no column 'text'"),
    "one.csv": (b"text,label\n" + b"x,a\n" * 9, [], "at least 2 classes"),
    "few.csv": (b"text,label\na,x\nb,y\nc,x\nd,y\n", [], "only 2 examples"),
    "none.csv": (None, [], "no such file"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_exits_2_with_the_message_and_no_traceback(tmp_path, name):
    content, extra, message = BAD[name]
    if content is not None:
        (tmp_path / name).write_bytes(content)
    out = tmp_path / "report"
    p, wall = cli(
        "classify",
        name,
        "--text",
        "text",
        "--label",
        "label",
        "--out",
        str(out),
        *extra,
        cwd=tmp_path,
    )  # a relative path: resolved from the working folder
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("error: ") and "Traceback" not in p.stderr + p.stdout
    assert message in p.stderr and str(tmp_path / name) in p.stderr  # the absolute path
    assert wall < 5, wall
    assert not out.exists()


def test_example_file_end_to_end(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    out = tmp_path / "report"
    args = ["--text", "review", "--label", "sentiment", "--out", str(out)]
    assert main([str(EXAMPLE), *args]) == 0
    printed = capsys.readouterr().out
    assert f"report: {out / 'report.md'}" in printed and "[4/4] done" in printed
    report = (out / "report.md").read_text()
    for model in ("rnn", "lstm", "bigru", "majority class", "TF-IDF + LR", "NBSVM"):
        assert f"| {model} |" in report
    assert (out / "confusion.png").stat().st_size > 10_000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["data"]["sha256"] and len(summary["models"]) == 8  # 5 recurrent, 3 baselines
    majority = next(m for m in summary["models"] if m["model"] == "majority")
    assert majority["accuracy"] == pytest.approx(1 / 3)  # three balanced classes
    names = predict(out / "models", "lstm-s0", ["superb camera , would buy this phone again"])
    assert names[0] in ("negative", "neutral", "positive")

    # the same texts with other labels: new runs, not the cached ones
    rows = list(csv.DictReader(EXAMPLE.open()))
    shifted = {"negative": "neutral", "neutral": "positive", "positive": "negative"}
    other = tmp_path / "shifted.csv"
    with other.open("w", newline="") as f:
        w = csv.DictWriter(f, ["review", "sentiment"])
        w.writeheader()
        w.writerows({**r, "sentiment": shifted[r["sentiment"]]} for r in rows)
    assert main([str(other), *args[:-1], str(tmp_path / "report2")]) == 0
    again = json.loads((tmp_path / "report2" / "summary.json").read_text())
    assert again["data"]["sha256"] != summary["data"]["sha256"]
    results = tmp_path / "build" / "user-smoke" / "results" / "06-classification"
    runs = [json.loads(p.read_text()) for p in (results / "runs" / "user").glob("*.json")]
    assert {r["fit"]["meta"]["prep"]["source"]["files_sha256"]["user_file"] for r in runs} == {
        again["data"]["sha256"]
    }
