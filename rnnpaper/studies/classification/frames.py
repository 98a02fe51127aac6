"""The classification results read into frames: one row per run, summaries over seeds.

Only the report reads these; everything here reads ``results/06-classification/`` files.
"""

from pathlib import Path

import pandas as pd

from rnnpaper import results
from rnnpaper.models import registry
from rnnpaper.report import labels, plotting
from rnnpaper.studies.classification.config import DATASETS, PRESETS

BASELINE_LABELS = {"majority": "Majority class", "tfidf_lr": "TF-IDF + LR", "nbsvm": "NBSVM"}


def label(preset: str) -> str:
    """Display name of a preset or baseline, e.g. 'bigru-eqp' -> 'BiGRU (eq. params)'."""
    base, _, rest = preset.partition("-")
    if base in BASELINE_LABELS:
        name = BASELINE_LABELS[base]
    elif base in registry.CELLS:
        name = labels.cell(base)
    elif base.startswith("bi") and base[2:] in registry.CELLS:
        name = "Bi" + labels.cell(base[2:])
    else:
        name = base
    return name + {"": "", "eqp": " (eq. params)"}.get(rest, f" ({rest})")


def colour(preset: str) -> str:
    """A preset's colour is its cell's; baselines share one."""
    cell = PRESETS[preset].cell if preset in PRESETS else None
    return labels.colour(cell) if cell else plotting.BASELINE_COLOUR


def load_runs(results_dir: Path) -> list[dict]:
    """Every neural run JSON under ``results_dir/runs``, sorted by path."""
    return [results.read_json(p) for p in sorted((Path(results_dir) / "runs").glob("*/*.json"))]


def load_baselines(results_dir: Path) -> dict:
    return {
        p.stem: results.read_json(p)
        for p in sorted((Path(results_dir) / "baselines").glob("*.json"))
    }


def load_data_info(results_dir: Path) -> dict:
    return {
        p.stem: results.read_json(p) for p in sorted((Path(results_dir) / "data").glob("*.json"))
    }


def run_table(runs: list[dict]):
    """One row per neural run: dataset, preset, seed, test scores, size and cost."""
    rows = [
        {
            "dataset": r["dataset"],
            "preset": r["preset"],
            "seed": r["seed"],
            **{
                k: r["test"][k] for k in ("accuracy", "macro_precision", "macro_recall", "macro_f1")
            },
            "n_parameters": r["fit"]["n_parameters"],
            "recurrent_parameters": r["recurrent_parameters"],
            "hidden_size": r["model_config"]["hidden_size"],
            "pooling": r["model_config"]["pooling"],
            "epochs": len(r["fit"]["history"]),
            "best_epoch": r["fit"]["best_epoch"],
            "wall_s": r["fit"]["wall_s"],
            "tokens_per_s": r["fit"]["tokens_per_s"],
            "lr": r["fit"]["train_config"]["lr"],
        }
        for r in runs
    ]
    return pd.DataFrame(rows)


def baseline_table(bl: dict):
    return pd.DataFrame(
        [
            {
                "dataset": ds,
                "preset": name,
                "seed": 0,
                **{
                    k: m["test"][k]
                    for k in ("accuracy", "macro_precision", "macro_recall", "macro_f1")
                },
                "C": m["C"],
                "wall_s": m["wall_s"],
            }
            for ds, b in bl.items()
            for name, m in b["models"].items()
        ]
    )


def summarize(df, metric: str = "accuracy"):
    """Mean and std (over seeds) of ``metric`` per dataset and preset, in percent."""
    g = df.groupby(["dataset", "preset"])[metric]
    out = g.agg(["mean", "count"]).reset_index()
    out["std"] = g.std(ddof=1).fillna(0.0).values
    out[["mean", "std"]] *= 100
    return out


def compute_seconds(results_dir: Path, runs: list[dict], bl: dict) -> float:
    """Summed time of every run (training, validation, test) and baseline (``runs``, ``bl``:
    as loaded from ``results_dir``); a tuning run whose weights seed 0 reused counts once."""
    tuning = [results.read_json(p) for p in sorted((results_dir / "tuning").glob("*-lr*.json"))]
    fits = {r["fit"]["config_hash"]: r["fit"]["wall_s"] for r in tuning + runs}
    compute = sum(fits.values()) + sum(r.get("test_s", 0.0) for r in runs)
    return compute + sum(m["wall_s"] for b in bl.values() for m in b["models"].values())


def datasets_present(df) -> list[str]:
    present = set(df["dataset"])
    return [d for d in list(DATASETS) + ["user"] if d in present]


def rows_present(df, wanted) -> list[str]:
    present = set(df["preset"])
    return [p for p in wanted if p in present]


def concat(a, b):
    return pd.concat([a, b], ignore_index=True)
