"""Vanishing and exploding gradients: activation ranges, dL_T/dh_t, spectral radius,
clipping, and the adding problem of Hochreiter & Schmidhuber (1997)."""

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from rnnpaper import paths, results, train
from rnnpaper.models import cells, recurrent
from rnnpaper.report import latex


@dataclass(frozen=True)
class Sizes:
    """Sizes of notebook 02's experiments."""

    lengths: tuple = (10, 50, 100, 200)  # adding-problem sequence lengths T
    seeds: tuple = (0, 1, 2)
    hidden: int = 64
    batch: int = 64
    epochs: int = 20  # an epoch is steps_per_epoch fresh batches
    steps_per_epoch: int = 100
    lr: float = 3e-3
    n_test: int = 1000
    norm_length: int = 100  # T of the dL_T/dh_t curves (one of lengths)
    radius_length: int = 50
    clip_steps: int = 60
    clip_length: int = 50  # T of the clipping demonstration
    clip_rho: float = 1.02  # its W_hh = clip_rho * I


PROFILES = {
    "smoke": Sizes(
        lengths=(10, 20),
        seeds=(0, 1, 2),
        hidden=16,
        batch=16,
        epochs=2,
        steps_per_epoch=10,
        n_test=200,
        norm_length=20,
        radius_length=20,
        clip_steps=20,
    ),
    "paper": Sizes(),
}
PRODUCER = "02-gradients.ipynb"
SOLVED_MSE = 0.01  # "solved": test MSE below 6 % of the 1/6 of always answering 1
KINDS = ("rnn", "lstm", "gru")


# --- activation functions (eqs. 24-27) ------------------------------------------------


def activation_ranges(lo: float = -30.0, hi: float = 30.0, n: int = 600_001) -> dict:
    """Inf/sup of sigmoid, tanh and their derivatives on a fine float64 grid.

    Gaps to the bounds use exact identities, so rounding cannot fake an attained bound:
    1 - sigma(x) = sigma(-x), sigma' = sigma(x) sigma(-x), 1 -+ tanh(x) = 2 sigma(-+2x),
    tanh' = 4 sigma(2x) sigma(-2x).
    """
    x = torch.linspace(lo, hi, n, dtype=torch.float64)
    s = torch.sigmoid
    funcs = {
        "sigmoid": s(x),
        "sigmoid'": s(x) * s(-x),
        "tanh": torch.tanh(x),
        "tanh'": 4 * s(2 * x) * s(-2 * x),
    }
    out = {
        k: {"min": v.min().item(), "max": v.max().item(), "argmax": x[v.argmax()].item()}
        for k, v in funcs.items()
    }
    out["sigmoid"]["gap_to_0"], out["sigmoid"]["gap_to_1"] = s(x).min().item(), s(-x).min().item()
    out["tanh"]["gap_to_-1"] = out["tanh"]["gap_to_1"] = (2 * s(-2 * x)).min().item()
    out["sigmoid'"]["gap_to_0"] = out["sigmoid'"]["min"]
    out["tanh'"]["gap_to_0"] = out["tanh'"]["min"]
    return out


def ranges_table(r: dict) -> list:
    """(function, the proposal's codomain, the exact codomain, holds) rows from ``r``."""
    claimed = {"sigmoid": "(0, 1)", "sigmoid'": "[0, 0.5]", "tanh": "[-1, 1]", "tanh'": "[0, 1]"}
    exact = {"sigmoid": "(0, 1)", "sigmoid'": "(0, 0.25]", "tanh": "(-1, 1)", "tanh'": "(0, 1]"}
    holds = {
        "sigmoid": True,
        "sigmoid'": r["sigmoid'"]["max"] > 0.25,
        "tanh": False,
        "tanh'": r["tanh'"]["gap_to_0"] <= 0,
    }
    return [(k, claimed[k], exact[k], holds[k]) for k in claimed]


# --- the adding problem ----------------------------------------------------------------


def adding_batch(batch: int, T: int, generator: torch.Generator):
    """X (B, T, 2): a value in U(0, 1) and a marker; y (B,): the sum of the 2 marked values.

    One marker lies in the first half, one in the second (Hochreiter & Schmidhuber 1997,
    experiment 4, in its now-common form); always answering 1 scores MSE 1/6.
    """
    values = torch.rand(batch, T, generator=generator)  # (B, T)
    first = torch.randint(0, T // 2, (batch,), generator=generator)  # (B,)
    second = torch.randint(T // 2, T, (batch,), generator=generator)  # (B,)
    markers = torch.zeros(batch, T)
    rows = torch.arange(batch)
    markers[rows, first] = markers[rows, second] = 1.0
    return torch.stack([values, markers], dim=-1), (values * markers).sum(1)  # (B,T,2), (B,)


class AddingModel(nn.Module):
    """A recurrent layer read out linearly from its last state."""

    def __init__(self, kind: str, hidden: int, impl: str = "auto", nonlinearity="tanh"):
        super().__init__()
        self.rnn = recurrent.Recurrent(kind, 2, hidden, impl=impl, nonlinearity=nonlinearity)
        self.head = nn.Linear(hidden, 1)

    def forward(self, X):
        """X (B, T, 2) -> prediction (B,)."""
        _, final = self.rnn(X)
        h = final[0] if isinstance(final, tuple) else final  # (1, B, H)
        return self.head(h[-1]).squeeze(-1)  # (B,)


def run_adding(kind: str, T: int, seed: int, sizes: Sizes, run_dir: Path) -> dict:
    """Train one AddingModel through train.fit; returns test MSE and the history."""
    g_test = torch.Generator().manual_seed(10_000 + T)
    X_test, y_test = adding_batch(sizes.n_test, T, g_test)

    def batches(epoch):
        g = torch.Generator().manual_seed(1000 * seed + epoch)
        return [adding_batch(sizes.batch, T, g) for _ in range(sizes.steps_per_epoch)]

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
    model = AddingModel(kind, sizes.hidden)
    res = train.fit(
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
    return {
        "kind": kind,
        "T": T,
        "seed": seed,
        "test_mse": res.best["mse"],
        "history": res.history,
        "wall_s": res.wall_s,
        "model": model,
    }


def adding_study(sizes: Sizes, results_dir: Path, run_root: Path, log=print) -> list:
    """Every (cell, T, seed) of the adding problem; one JSON per run, reused when present."""
    rows = []
    for T in sizes.lengths:
        for kind in KINDS:
            for seed in sizes.seeds:
                path = Path(results_dir) / "adding" / f"{kind}_T{T}_seed{seed}.json"
                if not path.exists():
                    r = run_adding(kind, T, seed, sizes, Path(run_root) / path.stem)
                    r.pop("model")
                    results.write_json(path, r | {"sizes": sizes, **results.provenance()})
                    log(f"adding {kind} T={T} seed={seed}: mse {r['test_mse']:.4f}")
                rows.append(results.read_json(path))
    return rows


def load_adding_model(kind: str, T: int, seed: int, sizes: Sizes, run_root: Path):
    """The best weights of a finished adding run, or None when it is not on disk."""
    path = Path(run_root) / f"{kind}_T{T}_seed{seed}" / "best.pt"
    if not path.exists():
        return None
    model = AddingModel(kind, sizes.hidden)
    model.load_state_dict(torch.load(path, weights_only=True))
    return model


# --- dL_T / dh_t -----------------------------------------------------------------------


def state_gradient_norms(model: AddingModel, X, y) -> torch.Tensor:
    """||dL/dh_t|| (batch mean) for t = 1..T, L the MSE at the last step: (T,)."""
    scratch = recurrent.Recurrent(model.rnn.kind, 2, model.rnn.hidden_size, impl="scratch")
    recurrent.copy_weights(model.rnn, scratch)
    cell = scratch.cells[0]
    state, hs = cell.init_state(X.shape[0]), []
    for x_t in X.unbind(1):  # (B, 2)
        state = cell(x_t, state)
        hs.append(cell.output(state))  # (B, H)
    loss = nn.functional.mse_loss(model.head(hs[-1]).squeeze(-1), y, reduction="sum")
    grads = torch.autograd.grad(loss, hs)
    return torch.stack([g.norm(dim=1).mean() for g in grads]).detach()  # (T,)


def spectral_radius_sweep(radii, T: int, hidden: int = 64, seed: int = 0) -> dict:
    """||dh_T/dh_0 v|| of a tanh Elman RNN whose W_hh = rho Q (Q orthogonal), per rho."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the cells' W_xh
    Q, _ = torch.linalg.qr(torch.randn(hidden, hidden, generator=g, dtype=torch.float64))
    X = 0.1 * torch.randn(16, T, 1, generator=g, dtype=torch.float64)  # (B, T, 1)
    v = torch.randn(16, hidden, generator=g, dtype=torch.float64)  # (B, H)
    out = {}
    for rho in radii:
        cell = cells.ElmanCell(1, hidden).double()
        with torch.no_grad():
            cell.W_hh.copy_(rho * Q)
            cell.b_h.zero_()
        h0 = 0.1 * torch.randn(16, hidden, generator=g, dtype=torch.float64)
        h0.requires_grad_()
        h, norms = h0, []
        for x_t in X.unbind(1):
            h = cell(x_t, h)
        (grad,) = torch.autograd.grad((h * v).sum(), h0)
        norms.append(grad.norm(dim=1).mean().item())
        out[float(rho)] = norms[0]
    return out


def clipping_trace(
    clip: float,
    steps: int,
    T: int = 50,
    hidden: int = 32,
    rho: float = 1.02,
    lr: float = 0.01,
    seed: int = 0,
) -> dict:
    """Per-step loss and gradient norm of plain SGD on the adding problem, clipped or not.

    A ReLU Elman RNN with W_hh = rho * I starts in the exploding regime. This is a
    measurement of single steps, not a study: the models it trains are thrown away.
    """
    torch.manual_seed(seed)
    model = AddingModel("rnn", hidden, impl="fused", nonlinearity="relu")
    with torch.no_grad():
        model.rnn.rnn.weight_hh_l0.copy_(rho * torch.eye(hidden))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    losses, norms = [], []
    for _ in range(steps):
        X, y = adding_batch(32, T, g)
        loss = nn.functional.mse_loss(model(X), y)
        opt.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), clip if clip > 0 else math.inf)
        losses.append(loss.item())
        norms.append(norm.item())
        if not math.isfinite(loss.item()):
            break
        opt.step()
    return {"clip": clip, "loss": losses, "grad_norm": norms}


def run_dirs(profile: str):
    """(results folder of notebook 02, checkpoint folder of its adding runs)."""
    out = paths.outputs(profile)
    return out.results / "02-gradients", paths.BUILD / "runs" / "02-gradients" / profile


def norm_curves(sizes: Sizes, run_root: Path, seed: int = 0) -> dict:
    """||dL/dh_t|| per step on adding data of length norm_length: at init and trained."""
    T = sizes.norm_length
    X, y = adding_batch(64, T, torch.Generator().manual_seed(99))
    out = {}
    for kind in KINDS:
        torch.manual_seed(seed)
        init = state_gradient_norms(AddingModel(kind, sizes.hidden), X, y)
        trained = load_adding_model(kind, T, seed, sizes, run_root)
        out[kind] = {
            "init": init.tolist(),
            "trained": None if trained is None else state_gradient_norms(trained, X, y).tolist(),
        }
    return out


def adding_frame(rows: list) -> pd.DataFrame:
    """Mean and std of the test MSE over seeds, and how many seeds solved it, per cell and T."""
    df = pd.DataFrame([{k: r[k] for k in ("kind", "T", "seed", "test_mse")} for r in rows])
    g = df.groupby(["kind", "T"])["test_mse"]
    out = pd.DataFrame(
        {
            "mean": g.mean(),
            "std": g.std(ddof=1),
            "n": g.size(),
            "solved": g.apply(lambda v: int((v < SOLVED_MSE).sum())),
        }
    )
    return out.reset_index()


def adding_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as rows, lengths as columns: 'mean +- std (solved/n)' of the test MSE."""
    cell = lambda r: f"{r['mean']:.4f} ± {r['std']:.4f} ({r['solved']}/{r['n']})"  # noqa: E731
    wide = frame.assign(v=frame.apply(cell, axis=1)).pivot(index="kind", columns="T", values="v")
    wide = wide.reindex([k for k in KINDS if k in wide.index])
    wide.columns = [f"T = {t}" for t in wide.columns]
    names = {"rnn": "Elman RNN", "lstm": "LSTM", "gru": "GRU"}
    return wide.reset_index().rename(columns={"kind": "Cell"}).replace({"Cell": names})


def load_adding_rows(results_dir: Path) -> list:
    return [results.read_json(p) for p in sorted((Path(results_dir) / "adding").glob("*.json"))]


def build_outputs(results_dir: Path, generated: Path) -> list:
    """Notebook 02's table and macros, rebuilt from its committed results files only."""
    frame = adding_frame(load_adding_rows(results_dir))
    summary = results.read_json(Path(results_dir) / "summary.json")
    table = latex.table(
        adding_table(frame),
        Path(generated) / "02-gradients_adding.tex",
        producer=PRODUCER,
        align="l" + "r" * frame["T"].nunique(),
    )
    sz = summary["sizes"]
    values = {
        "addingSeeds": int(frame["n"].min()),
        "addingMaxT": int(frame["T"].max()),
        "addingSolvedMse": SOLVED_MSE,
        "addingBaselineMse": 1 / 6,
        "addingHidden": sz["hidden"],
        "addingBatch": sz["batch"],
        "addingSteps": sz["epochs"] * sz["steps_per_epoch"],
        "normLength": sz["norm_length"],
        "radiusLength": sz["radius_length"],
        "clipLength": sz["clip_length"],
        "clipRho": sz["clip_rho"],
    }
    for r in frame.itertuples():
        values[f"adding {r.kind} T{r.T} solved"] = r.solved
    for rho, v in summary["radius"].items():
        values[f"radius {rho} norm"] = f"{v:.1e}"
    clip = summary["clipping"]
    values["clipFreeSteps"] = len(clip["free"]["loss"])
    values["clipFinalLoss"] = clip["clipped"]["loss"][-1]
    values["sigmoidPrimeMax"] = summary["ranges"]["sigmoid'"]["max"]
    macros = latex.macros(
        values, Path(generated) / "02-gradients_macros.tex", producer=PRODUCER, digits=2
    )
    return [table, macros]


if __name__ == "__main__":  # precompute the adding study: python -m rnnpaper.gradients paper
    import sys

    torch.set_num_threads(1)
    profile = sys.argv[1] if len(sys.argv) > 1 else "smoke"
    adding_study(PROFILES[profile], *run_dirs(profile))
