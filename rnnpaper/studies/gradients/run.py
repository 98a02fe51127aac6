"""Notebook 02's compute: the adding runs, the gradient-norm curves, the spectral-radius sweep,
the clipping traces and the activation ranges, into results/02-gradients/.

The adding study runs in two rounds of independent jobs (``rnnpaper.jobs``, WORKERS processes
with one torch thread each): every cell tries each learning rate of the grid at
``tune_length`` on seed TUNE_SEED and keeps the one with the lowest validation MSE (ties: the
smaller); then every (cell, T, seed) trains at its cell's rate. Each run is one JSON file,
reused while its configuration is unchanged; ``adding.json`` indexes the runs of the current
sizes and the tuning, ``summary.json`` holds everything else (reused when the sizes are
unchanged and no adding run was trained).
"""

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from rnnpaper import jobs, paths, profiles, results
from rnnpaper.models import gradient_flow
from rnnpaper.models.regressor import Regressor
from rnnpaper.tasks import adding
from rnnpaper.tasks.adding import AddingSizes

from .config import NORM_SEED, PROFILES, RADII, STEM, TUNE_SEED, WORKERS, Sizes, cells


@dataclass(frozen=True)
class Job:
    """One adding run: cell, length, seed and its model and budget (learning rate included)."""

    kind: str
    T: int
    seed: int
    sizes: AddingSizes

    @property
    def stem(self) -> str:
        return f"{self.kind}_T{self.T}_lr{self.sizes.lr:g}_seed{self.seed}"

    def cost(self) -> float:
        """Relative cost, to start the longest runs first."""
        return self.T * self.sizes.steps * (0.5 if self.kind == "rnn" else 1.0)


def run_root(profile: str) -> Path:
    """Checkpoints of the adding runs (build/, not committed)."""
    return paths.BUILD / "runs" / STEM / profile


def _train_job(args: tuple) -> dict:
    """A worker's job: train one run (resuming its checkpoint) -> its result dict."""
    job, root = args
    return adding.train_one(job.kind, job.T, job.seed, job.sizes, Path(root) / job.stem)[1]


def _done(path: Path, job: Job) -> bool:
    """A result file of exactly this run's configuration exists."""
    return path.exists() and results.read_json(path).get("config") == results.to_jsonable(job.sizes)


def train_all(todo: list, res_dir: Path, root: Path, workers: int, log=print) -> list:
    """Train the jobs whose result file is missing or stale -> the stems trained now."""
    paths_ = {job.stem: Path(res_dir) / "adding" / f"{job.stem}.json" for job in todo}
    missing = sorted((j for j in todo if not _done(paths_[j.stem], j)), key=Job.cost, reverse=True)
    runs = jobs.run_jobs(
        _train_job, [(j, str(root)) for j in missing], workers=workers, name=lambda a: a[0].stem
    )
    for (job, _), r in runs:
        results.write_json(paths_[job.stem], r | {"config": job.sizes, **results.provenance()})
        log(f"adding {job.stem}: val {r['val_mse']:.4f}, test {r['test_mse']:.4f}")
    return [j.stem for j in missing]


def choose_lr(val_mse: dict, grid) -> float:
    """The rate of the lowest validation MSE ({f"{lr:g}": mse}); ties: the smaller rate."""
    return min(grid, key=lambda lr: (val_mse[f"{lr:g}"], lr))


def tune(sizes: Sizes, kinds: tuple, res_dir: Path, root: Path, workers: int, log=print):
    """Each cell's learning rate, by validation MSE at tune_length -> (tuning dict, trained)."""
    T = sizes.tune_length
    grid = [Job(k, T, TUNE_SEED, sizes.adding(T, lr)) for k in kinds for lr in sizes.lrs]
    trained = train_all(grid, res_dir, root, workers, log)
    val = {k: {} for k in kinds}
    for job in grid:
        r = results.read_json(Path(res_dir) / "adding" / f"{job.stem}.json")
        val[job.kind][f"{job.sizes.lr:g}"] = r["val_mse"]
    chosen = {k: choose_lr(val[k], sizes.lrs) for k in kinds}
    tuning = {"length": T, "seed": TUNE_SEED, "grid": list(sizes.lrs), "val_mse": val}
    return tuning | {"chosen": chosen, "runs": [j.stem for j in grid]}, trained


def main_jobs(sizes: Sizes, kinds: tuple, chosen: dict) -> list:
    """Every (cell, T, seed) of the study at its cell's chosen learning rate."""
    return [
        Job(k, T, seed, sizes.adding(T, chosen[k]))
        for T in sizes.lengths
        for k in sizes.runs_at(T, kinds)
        for seed in sizes.seeds
    ]


def adding_runs(sizes: Sizes, res_dir: Path, root: Path, workers: int = 1, log=print):
    """Tune, then train every run -> (index dict for adding.json, result rows, trained stems)."""
    kinds = cells()
    tuning, trained = tune(sizes, kinds, res_dir, root, workers, log)
    todo = main_jobs(sizes, kinds, tuning["chosen"])
    trained += train_all(todo, res_dir, root, workers, log)
    rows = [results.read_json(Path(res_dir) / "adding" / f"{j.stem}.json") for j in todo]
    index = {
        "sizes": sizes,
        "cells": list(kinds),
        "tuning": tuning,
        "runs": [j.stem for j in todo],
        **_seconds(res_dir, set(tuning["runs"]) | {j.stem for j in todo}),
    }
    return index, rows, trained


def _seconds(res_dir: Path, stems: set) -> dict:
    """Training wall-clock and CPU seconds summed over runs (tuning runs included), one torch
    thread each: on a shared machine the CPU time is what the study itself cost."""
    rows = [results.read_json(Path(res_dir) / "adding" / f"{s}.json") for s in sorted(stems)]
    return {
        "train_s_total": sum(r["train_s"] or r["wall_s"] for r in rows),
        "cpu_s_total": sum(r.get("cpu_s") or 0.0 for r in rows),
    }


def _retrain(job: Job, root: Path):
    """Train ``job`` again in this process with one torch thread -> its best model."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return adding.train_one(job.kind, job.T, job.seed, job.sizes, root / job.stem)[0]
    finally:
        torch.set_num_threads(threads)


def norm_curves(sizes: Sizes, root: Path, chosen: dict, previous: dict | None = None) -> dict:
    """||dL_T/dh_t|| per step on adding data of length norm_length: at init and trained.

    The trained curve comes from the seed-NORM_SEED run's checkpoint; without one, from
    ``previous`` (the curves of the last summary with the same sizes); without both, that run
    is retrained (one torch thread, as in a worker: the same weights) to write its checkpoint.
    """
    T, previous = sizes.norm_length, previous or {}
    X, y = adding.batch(64, T, torch.Generator().manual_seed(99))
    out = {}
    for kind in chosen:
        torch.manual_seed(NORM_SEED)
        model = Regressor(kind, adding.INPUT_SIZE, sizes.hidden)
        init = gradient_flow.state_gradient_norms(model, X, y)
        job = Job(kind, T, NORM_SEED, sizes.adding(T, chosen[kind]))
        best = adding.load(kind, job.sizes, root / job.stem)
        trained = previous.get(kind, {}).get("trained")
        if best is None and trained is None:
            best = _retrain(job, root)
        if best is not None:
            trained = gradient_flow.state_gradient_norms(best, X, y).tolist()
        out[kind] = {"init": init.tolist(), "trained": trained}
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
    model = Regressor("rnn", adding.INPUT_SIZE, hidden, impl="fused", nonlinearity="relu")
    with torch.no_grad():
        model.rnn.rnn.weight_hh_l0.copy_(rho * torch.eye(hidden))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    losses, norms = [], []
    for _ in range(steps):
        X, y = adding.batch(32, T, g)  # (B, T, 2), (B,)
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


def summary(sizes: Sizes, root: Path, chosen: dict, previous: dict | None = None) -> dict:
    """Activation ranges, gradient-norm curves, spectral-radius sweep, clipping traces."""
    clip = dict(steps=sizes.clip_steps, T=sizes.clip_length, rho=sizes.clip_rho)
    return {
        "sizes": sizes,
        "ranges": gradient_flow.activation_ranges(),
        "norms": norm_curves(sizes, root, chosen, previous),
        "radius": gradient_flow.spectral_radius_sweep(RADII, T=sizes.radius_length),
        "clipping": {"free": clipping_trace(0, **clip), "clipped": clipping_trace(1.0, **clip)},
        **results.provenance(),
    }


def run(profile: str, workers: int | None = None, log=print) -> dict:
    """Train what is missing, measure, write results/02-gradients/ -> {"summary", "adding",
    "index"}; ``workers``: adding runs at once (default WORKERS[profile])."""
    sizes = profiles.resolve(PROFILES, profile)
    workers = WORKERS.get(profile, 1) if workers is None else workers
    res_dir, root = paths.outputs(profile).results / STEM, run_root(profile)
    index, rows, trained = adding_runs(sizes, res_dir, root, workers, log)
    if trained or not results.unchanged(res_dir / "adding.json", index):
        results.write_json(res_dir / "adding.json", index | results.provenance())
    path = res_dir / "summary.json"
    old = results.read_json(path) if path.exists() else None
    same = old is not None and old["sizes"] == results.to_jsonable(sizes)
    if same and not trained and set(old["norms"]) == set(index["cells"]):
        log(f"reused {path.relative_to(paths.ROOT)}")
    else:
        chosen = index["tuning"]["chosen"]
        results.write_json(path, summary(sizes, root, chosen, old["norms"] if same else None))
    return {"summary": results.read_json(path), "adding": rows, "index": index}
