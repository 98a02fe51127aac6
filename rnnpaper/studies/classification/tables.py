"""The classification tables: accuracy grids, presets, significance, published numbers, cost.

Each function turns frames read from the results files into a table frame; the report
writes them with :func:`rnnpaper.report.latex.table`.
"""

import numpy as np
import pandas as pd

from rnnpaper import metrics
from rnnpaper.models import registry
from rnnpaper.models.classifier import recurrent_parameters
from rnnpaper.report import labels, latex, published
from rnnpaper.studies.classification.config import (
    DATASETS,
    EQUAL_PARAMS,
    MAIN,
    PRESETS,
    PROPOSED,
)
from rnnpaper.studies.classification.frames import label, rows_present


def grid(summary, rows, datasets):
    """Rows x datasets of 'mean ± std' strings ('--' where a run is missing)."""
    cell = {
        (r.dataset, r.preset): latex.mean_pm_std(r.mean, r.std, r.count)
        for r in summary.itertuples()
    }
    return pd.DataFrame(
        [
            {
                "Model": label(p),
                **{labels.dataset(d): cell.get((d, p), "--") for d in datasets},
            }
            for p in rows
        ]
    )


def _has_activation(cell: str) -> bool:
    """True for a cell whose activation is a setting (the Elman RNN), False for gated cells."""
    return "nonlinearity" in registry.spec(cell).options


def presets_frame():
    """The named presets, for the paper's configuration table."""
    return pd.DataFrame(
        [
            {
                "Preset": name,
                "Cell": labels.cell(c.cell),
                "Layers": c.num_layers,
                "Hidden": c.hidden_size,
                "Directions": 2 if c.bidirectional else 1,
                "Activation": c.nonlinearity if _has_activation(c.cell) else "gates",
                "Dropout": f"{c.dropout:.1f}",
                "Pooling": c.pooling,
                "Rec. params": recurrent_parameters(c),
            }
            for name, c in PRESETS.items()
            if name not in PROPOSED  # not run in this study (its own-data runs only)
        ]
    )


SIGN_FLIP_RESAMPLES = 20000


def significance(runs, bl, data_info) -> list[dict]:
    """Best two rows per dataset by mean test accuracy: exact McNemar and sign-flip tests."""
    out = []
    for ds in [d for d in list(DATASETS) + ["user"] if any(r["dataset"] == d for r in runs)]:
        y = np.asarray(data_info[ds]["test_labels"])
        correct = correct_by_preset(ds, y, runs, bl)
        ranked = sorted(correct, key=lambda p: -np.mean(correct[p]["mean"]))
        a, b = ranked[:2]
        mc = metrics.mcnemar(correct[a]["first"], correct[b]["first"])
        sf = metrics.sign_flip_test(correct[a]["mean"], correct[b]["mean"], SIGN_FLIP_RESAMPLES)
        out.append(
            {
                "dataset": ds,
                "best": a,
                "second": b,
                "best_accuracy": 100 * float(np.mean(correct[a]["mean"])),
                "second_accuracy": 100 * float(np.mean(correct[b]["mean"])),
                "mcnemar_p": mc["p_value"],
                "sign_flip_p": sf["p_value"],
            }
        )
    return out


def correct_by_preset(ds, y, runs, bl) -> dict:
    """preset -> per-example correctness: seed 0 ('first') and averaged over seeds ('mean')."""
    by = {}
    for r in sorted((r for r in runs if r["dataset"] == ds), key=lambda r: r["seed"]):
        by.setdefault(r["preset"], []).append(np.asarray(r["test_pred"]) == y)
    out = {p: {"first": c[0], "mean": np.mean(c, 0)} for p, c in by.items()}
    for name, m in bl.get(ds, {}).get("models", {}).items():
        if name != "majority":
            c = np.asarray(m["test_pred"]) == y
            out[name] = {"first": c, "mean": c.astype(float)}
    return out


def published_frame(summary, bsum):
    """Published numbers beside ours (same dataset, closest architecture)."""
    ours = {
        (r.dataset, r.preset): latex.mean_pm_std(r.mean, r.std, r.count)
        for r in pd.concat([summary, bsum]).itertuples()
    }
    return pd.DataFrame(
        [
            {
                "Data": labels.dataset(p["dataset"]),
                "Published model": p["model"],
                "Published": f"{p['value']:.1f}",
                "Source": p["source"],
                "Ours": label(p["ours"]) + ": " + ours.get((p["dataset"], p["ours"]), "--"),
                "What differs": p["differs"],
            }
            for p in published.CLASSIFICATION
        ]
    )


def significance_frame(sig):
    return pd.DataFrame(
        [
            {
                "Data": labels.dataset(s["dataset"]),
                "Best": label(s["best"]),
                "Acc.": f"{s['best_accuracy']:.1f}",
                "Second": label(s["second"]),
                "Acc. 2": f"{s['second_accuracy']:.1f}",
                "McNemar p": f"{s['mcnemar_p']:.3f}",
                "Sign-flip p": f"{s['sign_flip_p']:.3f}",
            }
            for s in sig
        ]
    )


def cost_frame(df, ds):
    """Training tokens per second (thousands) and mean wall time per run, per preset."""
    rows = []
    for p in rows_present(df, MAIN + EQUAL_PARAMS):
        sub = df[df.preset == p]
        row = {"Model": label(p)}
        for d in ds:
            t = sub[sub.dataset == d]["tokens_per_s"]
            row[f"{labels.dataset(d)} ktok/s"] = f"{t.mean() / 1e3:.0f}" if len(t) else "--"
        row["s / run"] = f"{sub['wall_s'].mean():.0f}"
        rows.append(row)
    return pd.DataFrame(rows)
