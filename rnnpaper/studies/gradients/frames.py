"""The adding study's numbers, from its result rows only: test MSE per cell and length, the
Holm-corrected comparisons between cells, and whether their ordering holds over the budget."""

import math
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from rnnpaper import metrics
from rnnpaper.models import registry

CHECKPOINTS = (0.5, 0.75, 1.0)  # fractions of the budget at which the ordering is read
ALPHA = 0.05


def adding_frame(rows: list) -> pd.DataFrame:
    """Per (cell, T): mean, sample sd, min, max and number of seeds of the test MSE."""
    df = pd.DataFrame([{k: r[k] for k in ("kind", "T", "seed", "test_mse")} for r in rows])
    g = df.groupby(["kind", "T"])["test_mse"]
    out = pd.DataFrame(
        {"mean": g.mean(), "std": g.std(ddof=1), "min": g.min(), "max": g.max(), "n": g.size()}
    )
    return out.reset_index()


def best_so_far(row: dict, fraction: float) -> float:
    """The lowest validation MSE a run reached within ``fraction`` of its budget."""
    curve = row["val_curve"]
    return min(curve[: max(1, round(fraction * len(curve)))])


def _log_mse(rows: list, kind: str, T: int, fraction: float | None = None) -> np.ndarray:
    """log10 of the test MSE (or of the best validation MSE within ``fraction``) per seed."""
    sel = sorted((r for r in rows if r["kind"] == kind and r["T"] == T), key=lambda r: r["seed"])
    values = [r["test_mse"] if fraction is None else best_so_far(r, fraction) for r in sel]
    return np.log10(values)


def pairs(kinds) -> list:
    """The compared pairs: gated cells against each other (the Elman RNN is not compared)."""
    gated = [k for k in registry.CELLS if k in set(kinds) and k != "rnn"]
    return list(combinations(gated, 2))


def comparisons(rows: list) -> pd.DataFrame:
    """Welch's t-test on log10 test MSE for every pair at every length, Holm-corrected
    over the whole family; the sign of the difference at each budget checkpoint."""
    out = []
    for T in sorted({r["T"] for r in rows}):
        kinds = {r["kind"] for r in rows if r["T"] == T}
        for a, b in pairs(kinds):
            la, lb = _log_mse(rows, a, T), _log_mse(rows, b, T)
            p = stats.ttest_ind(la, lb, equal_var=False).pvalue if len(la) > 1 else math.nan
            signs = [
                int(np.sign(_log_mse(rows, a, T, f).mean() - _log_mse(rows, b, T, f).mean()))
                for f in CHECKPOINTS
            ]
            out.append(
                {
                    "T": T,
                    "a": a,
                    "b": b,
                    "log10_ratio": float(la.mean() - lb.mean()),  # < 0: a has the lower MSE
                    "p": 1.0 if math.isnan(p) else float(p),
                    "signs": signs,  # at CHECKPOINTS of the budget, on validation MSE
                    "stable": len(set(signs)) == 1,
                }
            )
    frame = pd.DataFrame(out)
    if len(frame):
        frame["p_holm"] = metrics.holm(frame["p"].tolist())
        frame["significant"] = frame["p_holm"] < ALPHA
    return frame


def late_best(rows: list, last: float = 0.25) -> pd.DataFrame:
    """Per (cell, T): runs whose best validation MSE came in the last ``last`` of the budget,
    and by how much it fell there (the median ratio of the final best to the best before)."""
    out = []
    for (kind, T), sel in pd.DataFrame(rows).groupby(["kind", "T"]):
        late, gains = 0, []
        for r in sel.to_dict("records"):
            before = best_so_far(r, 1 - last)
            late += int(r["best_step"] > (1 - last) * r["config"]["steps"])
            gains.append(best_so_far(r, 1.0) / before)
        out.append({"kind": kind, "T": T, "late": late, "n": len(sel), "gain": np.median(gains)})
    return pd.DataFrame(out)


def mean_curves(rows: list) -> dict:
    """(kind, T) -> (steps, every seed's validation curve as an array (seeds, evaluations))."""
    out = {}
    for (kind, T), sel in pd.DataFrame(rows).groupby(["kind", "T"]):
        curves = np.array([c for c in sel["val_curve"]])  # (seeds, evals)
        every = sel.iloc[0]["config"]["eval_every"]
        out[(kind, T)] = (every * np.arange(1, curves.shape[1] + 1), curves)
    return out
