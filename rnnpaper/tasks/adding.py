"""The adding problem (Hochreiter & Schmidhuber 1997, experiment 4, in its now-common form),
written once: its data and one training run of any registered cell at any length T.

Input x_t = (v_t, m_t), v_t ~ U(0, 1), with two markers m_t = 1, one in each half of the
sequence; the target is the sum of the two marked values. Always answering 1 scores MSE 1/6.

A run trains on fresh batches for a fixed number of steps at a constant learning rate,
evaluates a fixed validation set every ``eval_every`` steps (its learning curve) and keeps
the weights of the best validation MSE; the fixed test set is scored at that step only.
"""

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from rnnpaper import train
from rnnpaper.models.regressor import Regressor

BASELINE_MSE = 1 / 6  # always answering 1
INPUT_SIZE = 2  # (value, marker)
SPLIT_SEED = {"validation": 20_000, "test": 10_000}  # + T: one fixed set per split and T


@dataclass(frozen=True)
class AddingSizes:
    """Model and training budget of one adding-problem run (a study's sizes may carry these)."""

    hidden: int = 64
    batch: int = 64
    steps: int = 2000  # optimiser steps, each on a fresh batch
    eval_every: int = 100  # steps between validation evaluations (one fit "epoch")
    lr: float = 3e-3  # constant (AdamW, clipping at norm 1)
    n_val: int = 1000
    n_test: int = 1000

    def __post_init__(self):
        if self.steps % self.eval_every:
            raise ValueError(f"steps {self.steps} is not a multiple of {self.eval_every}")


def batch(B: int, T: int, generator: torch.Generator):
    """X (B, T, 2): a value in U(0, 1) and a marker; y (B,): the sum of the 2 marked values."""
    values = torch.rand(B, T, generator=generator)  # (B, T)
    first = torch.randint(0, T // 2, (B,), generator=generator)  # (B,)
    second = torch.randint(T // 2, T, (B,), generator=generator)  # (B,)
    markers = torch.zeros(B, T)
    rows = torch.arange(B)
    markers[rows, first] = markers[rows, second] = 1.0
    return torch.stack([values, markers], dim=-1), (values * markers).sum(1)  # (B,T,2), (B,)


def held_out(T: int, n: int, split: str = "test"):
    """The fixed validation or test set of length T: the same for every cell, lr and seed."""
    return batch(n, T, torch.Generator().manual_seed(SPLIT_SEED[split] + T))


@contextlib.contextmanager
def flush_denormals():
    """Treat subnormal floats as zero while training, then restore the default.

    The gradient reaching early steps decays geometrically; at T >= 200 much of it becomes
    subnormal (< 1.2e-38), which x86 CPUs compute about 10x slower (a measured 10x on the
    backward pass). Such values are far below anything that changes a float32 weight.
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def train_one(kind: str, T: int, seed: int, sizes: AddingSizes, run_dir: Path | None = None):
    """Train a Regressor of cell ``kind`` on length-T sequences -> (model, result dict).

    Fresh batches every step, seeded by (seed, evaluation block): every cell and learning
    rate sees the same data for a seed. ``run_dir``: checkpoint and cache of ``train.fit``.
    """
    X_val, y_val = held_out(T, sizes.n_val, "validation")
    X_test, y_test = held_out(T, sizes.n_test, "test")

    def batches(block):
        g = torch.Generator().manual_seed(1000 * seed + block)
        return [batch(sizes.batch, T, g) for _ in range(sizes.eval_every)]

    def evaluate(model):
        return {"mse": nn.functional.mse_loss(model(X_val), y_val).item()}

    cfg = train.TrainConfig(
        epochs=sizes.steps // sizes.eval_every,
        lr=sizes.lr,
        weight_decay=0.0,
        clip_norm=1.0,
        patience=0,  # a fixed budget: the whole learning curve is the result
        schedule="constant",
        seed=seed,
        progress=False,
    )
    train.seed_everything(seed)
    model = Regressor(kind, INPUT_SIZE, sizes.hidden)
    cpu0 = time.process_time()  # this process's CPU time: what a shared machine cannot inflate
    with flush_denormals():
        fit = train.fit(
            model,
            cfg,
            batches,
            lambda m, b: (nn.functional.mse_loss(m(b[0]), b[1]), b[0].shape[0] * T),
            evaluate,
            monitor="mse",
            mode="min",
            run_dir=run_dir,
            meta={"task": "adding", "kind": kind, "T": T, "sizes": sizes},
        )
        with torch.no_grad():  # the test set is scored once, at the selected step
            test_mse = nn.functional.mse_loss(model.eval()(X_test), y_test).item()
    result = {
        "kind": kind,
        "T": T,
        "seed": seed,
        "lr": sizes.lr,
        "val_mse": fit.best["mse"],
        "test_mse": test_mse,  # at the step of the best validation MSE
        "best_step": fit.best_epoch * sizes.eval_every,
        "val_curve": [h["mse"] for h in fit.history],  # after eval_every, 2 eval_every, ...
    }
    cost = {"wall_s": fit.wall_s, "train_s": fit.payload.get("train_s")}
    return model, result | cost | {"cpu_s": time.process_time() - cpu0, "cached": fit.skipped}


def load(kind: str, sizes: AddingSizes, run_dir: Path):
    """The best weights of a finished run in ``run_dir``, or None when they are not on disk."""
    path = Path(run_dir) / "best.pt"
    if not path.exists():
        return None
    model = Regressor(kind, INPUT_SIZE, sizes.hidden)
    model.load_state_dict(torch.load(path, weights_only=True))
    return model
