"""The adding problem (Hochreiter & Schmidhuber 1997, experiment 4, in its now-common form),
written once: its data and one training run of any registered cell at any length T.

Input x_t = (v_t, m_t), v_t ~ U(0, 1), with two markers m_t = 1, one in each half of the
sequence; the target is the sum of the two marked values. Always answering 1 scores MSE 1/6.
"""

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from rnnpaper import train
from rnnpaper.models.regressor import Regressor

BASELINE_MSE = 1 / 6  # always answering 1
SOLVED_MSE = 0.01  # "solved": test MSE below 6 % of the baseline
INPUT_SIZE = 2  # (value, marker)


@dataclass(frozen=True)
class AddingSizes:
    """Model and training budget of one adding-problem run (a study's sizes may carry these)."""

    hidden: int = 64
    batch: int = 64
    epochs: int = 20  # an epoch is steps_per_epoch fresh batches
    steps_per_epoch: int = 100
    lr: float = 3e-3
    n_test: int = 1000


def batch(B: int, T: int, generator: torch.Generator):
    """X (B, T, 2): a value in U(0, 1) and a marker; y (B,): the sum of the 2 marked values."""
    values = torch.rand(B, T, generator=generator)  # (B, T)
    first = torch.randint(0, T // 2, (B,), generator=generator)  # (B,)
    second = torch.randint(T // 2, T, (B,), generator=generator)  # (B,)
    markers = torch.zeros(B, T)
    rows = torch.arange(B)
    markers[rows, first] = markers[rows, second] = 1.0
    return torch.stack([values, markers], dim=-1), (values * markers).sum(1)  # (B,T,2), (B,)


def held_out(T: int, n: int):
    """The fixed test batch of length T: the same for every cell and seed."""
    return batch(n, T, torch.Generator().manual_seed(10_000 + T))


def train_one(kind: str, T: int, seed: int, sizes: AddingSizes, run_dir: Path | None = None):
    """Train a Regressor of cell ``kind`` on length-T sequences -> (model, result dict).

    Fresh batches every step, seeded by (seed, epoch); the best epoch by test MSE is kept.
    ``run_dir``: checkpoint and cache of :func:`rnnpaper.train.fit`.
    """
    X_test, y_test = held_out(T, sizes.n_test)

    def batches(epoch):
        g = torch.Generator().manual_seed(1000 * seed + epoch)
        return [batch(sizes.batch, T, g) for _ in range(sizes.steps_per_epoch)]

    def mse(model):
        return {"mse": nn.functional.mse_loss(model(X_test), y_test).item()}

    cfg = train.TrainConfig(
        epochs=sizes.epochs,
        lr=sizes.lr,
        weight_decay=0.0,
        clip_norm=1.0,
        patience=0,
        schedule="cosine",
        seed=seed,
        progress=False,
    )
    train.seed_everything(seed)
    model = Regressor(kind, INPUT_SIZE, sizes.hidden)
    fit = train.fit(
        model,
        cfg,
        batches,
        lambda m, b: (nn.functional.mse_loss(m(b[0]), b[1]), b[0].shape[0] * T),
        mse,
        monitor="mse",
        mode="min",
        run_dir=run_dir,
        meta={"task": "adding", "kind": kind, "T": T, "hidden": sizes.hidden},
    )
    result = {"kind": kind, "T": T, "seed": seed, "test_mse": fit.best["mse"]}
    return model, result | {"history": fit.history, "wall_s": fit.wall_s}


def load(kind: str, sizes: AddingSizes, run_dir: Path):
    """The best weights of a finished run in ``run_dir``, or None when they are not on disk."""
    path = Path(run_dir) / "best.pt"
    if not path.exists():
        return None
    model = Regressor(kind, INPUT_SIZE, sizes.hidden)
    model.load_state_dict(torch.load(path, weights_only=True))
    return model
