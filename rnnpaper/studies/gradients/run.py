"""Notebook 02's compute: the adding runs, the gradient-norm curves, the spectral-radius sweep,
the clipping traces and the activation ranges, into results/02-gradients/.

Each adding run is one JSON file, reused when present; ``summary.json`` holds everything
else and is reused when the sizes are unchanged and no adding run was trained.
"""

import math
from pathlib import Path

import torch
from torch import nn

from rnnpaper import paths, profiles, results
from rnnpaper.models import gradient_flow, registry
from rnnpaper.models.regressor import Regressor
from rnnpaper.tasks import adding

from .config import NORM_SEED, PROFILES, RADII, STEM, Sizes


def run_root(profile: str) -> Path:
    """Checkpoints of the adding runs (build/, not committed)."""
    return paths.BUILD / "runs" / STEM / profile


def adding_runs(sizes: Sizes, results_dir: Path, root: Path, log=print) -> tuple[list, list]:
    """Every (cell, T, seed) of the adding problem -> (result rows, the runs trained now)."""
    rows, trained = [], []
    for T in sizes.lengths:
        for kind in registry.COMPARED:
            for seed in sizes.seeds:
                path = Path(results_dir) / "adding" / f"{kind}_T{T}_seed{seed}.json"
                if not path.exists():
                    _, r = adding.train_one(kind, T, seed, sizes.adding, root / path.stem)
                    results.write_json(path, r | {"sizes": sizes, **results.provenance()})
                    log(f"adding {kind} T={T} seed={seed}: mse {r['test_mse']:.4f}")
                    trained.append(path.stem)
                rows.append(results.read_json(path))
    return rows, trained


def norm_curves(sizes: Sizes, root: Path, previous: dict | None = None) -> dict:
    """||dL_T/dh_t|| per step on adding data of length norm_length: at init and trained.

    The trained curve comes from the run's checkpoint; without one, from ``previous`` (the
    curves of the last summary with the same sizes), else None.
    """
    T, previous = sizes.norm_length, previous or {}
    X, y = adding.batch(64, T, torch.Generator().manual_seed(99))
    out = {}
    for kind in registry.COMPARED:
        torch.manual_seed(NORM_SEED)
        model = Regressor(kind, adding.INPUT_SIZE, sizes.hidden)
        init = gradient_flow.state_gradient_norms(model, X, y)
        best = adding.load(kind, sizes.adding, root / f"{kind}_T{T}_seed{NORM_SEED}")
        trained = previous.get(kind, {}).get("trained")
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


def summary(sizes: Sizes, root: Path, previous: dict | None = None) -> dict:
    """Activation ranges, gradient-norm curves, spectral-radius sweep, clipping traces."""
    clip = dict(steps=sizes.clip_steps, T=sizes.clip_length, rho=sizes.clip_rho)
    return {
        "sizes": sizes,
        "ranges": gradient_flow.activation_ranges(),
        "norms": norm_curves(sizes, root, previous),
        "radius": gradient_flow.spectral_radius_sweep(RADII, T=sizes.radius_length),
        "clipping": {"free": clipping_trace(0, **clip), "clipped": clipping_trace(1.0, **clip)},
        **results.provenance(),
    }


def run(profile: str, log=print) -> dict:
    """Train what is missing, measure, write results/02-gradients/ -> {"summary", "adding"}."""
    sizes = profiles.resolve(PROFILES, profile)
    res_dir, root = paths.outputs(profile).results / STEM, run_root(profile)
    rows, trained = adding_runs(sizes, res_dir, root, log)
    path = res_dir / "summary.json"
    old = results.read_json(path) if path.exists() else None
    same = old is not None and old["sizes"] == results.to_jsonable(sizes)
    if same and not trained:
        log(f"reused {path.relative_to(paths.ROOT)}")
        return {"summary": old, "adding": rows}
    payload = summary(sizes, root, old["norms"] if same else None)
    results.write_json(path, payload)
    return {"summary": results.read_json(path), "adding": rows}
