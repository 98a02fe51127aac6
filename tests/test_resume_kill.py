"""A real training run killed mid-epoch with SIGKILL resumes to the uninterrupted run's
predictions; stray temporary files and a partial checkpoint are cleaned by the next run."""

import json
import os
import signal
import subprocess
import sys

from rnnpaper import paths

CHILD = r"""
import json, os, signal, sys
import torch
from rnnpaper import train
from rnnpaper.models.classifier import ModelConfig
from rnnpaper.tasks import classification as task

run_dir, out, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.set_num_threads(1)
steps = 0
cross_entropy = task.F.cross_entropy

def counted(*a, **k):  # the training loss: one call per optimiser step
    global steps
    steps += 1
    if steps == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return cross_entropy(*a, **k)

task.F.cross_entropy = counted
sizes = task.DataSizes(max_len=30, vocab_size=2000, train_limit={"trec": 320}, eval_limit=100)
prep = task.prepare("trec", sizes)
tcfg = train.TrainConfig(epochs=3, lr=1e-2, seed=5, patience=0, progress=False)
cfg = ModelConfig(cell="lstm", embed_dim=32, hidden_size=32)
model, fit = task.train_classifier(prep, cfg, tcfg, 32, run_dir=run_dir or None, meta={"t": 1})
json.dump({"pred": task.predict(model, prep.splits["test"]).tolist(),
           "history": [{k: h[k] for k in ("train_loss", "accuracy")} for h in fit.history],
           "steps": steps}, open(out, "w"))
"""


def child(tmp_path, run_dir, kill_at=0, tag="out"):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    out = tmp_path / f"{tag}.json"
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT)}
    p = subprocess.run(
        [sys.executable, str(script), str(run_dir or ""), str(out), str(kill_at)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return p, (json.loads(out.read_text()) if out.exists() else None)


def test_sigkill_mid_epoch_then_rerun_equals_an_uninterrupted_run(tmp_path, real_data_dir):
    p, clean = child(tmp_path, None, tag="clean")  # no checkpoints, never killed
    assert p.returncode == 0, p.stderr
    per_epoch = clean["steps"] // 3
    run_dir = tmp_path / "run"
    kill_at = per_epoch + per_epoch // 2  # the middle of epoch 2
    p, out = child(tmp_path, run_dir, kill_at, tag="killed")
    assert p.returncode == -signal.SIGKILL and out is None
    ckpt = __import__("torch").load(run_dir / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 1  # the finished epoch survived; epoch 2 was cut
    (run_dir / "checkpoint.tmp").write_bytes(b"half a checkpoint")  # a kill during a save
    (run_dir / "result.json.tmp4242").write_text("{")  # a kill during a results write
    p, resumed = child(tmp_path, run_dir, tag="resumed")
    assert p.returncode == 0, p.stderr
    assert resumed["pred"] == clean["pred"] and resumed["history"] == clean["history"]
    assert resumed["steps"] == clean["steps"] - per_epoch  # it resumed after epoch 1
    assert not list(run_dir.glob("*.tmp*"))  # strays cleaned
    assert (run_dir / "best.pt").exists() and (run_dir / "result.json").exists()


def test_a_partial_checkpoint_is_removed_and_the_run_starts_again(tmp_path, real_data_dir):
    run_dir = tmp_path / "run"
    p, clean = child(tmp_path, None, tag="clean")
    run_dir.mkdir()
    (run_dir / "checkpoint.pt").write_bytes(b"PK\x03\x04 truncated")
    p, again = child(tmp_path, run_dir, tag="again")
    assert p.returncode == 0, p.stderr
    assert again["pred"] == clean["pred"] and again["steps"] == clean["steps"]
