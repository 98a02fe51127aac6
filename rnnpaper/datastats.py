"""Dataset statistics for notebook 00: sizes, class balance, token-length percentiles.

Compute (``compute``) writes one results file; present (``write_report``, ``plot_lengths``)
reads only that file, so restyling never reloads the data.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from rnnpaper import data, results, text
from rnnpaper.report import latex

PERCENTILES = (50, 90, 99)
LENGTH_BINS = np.unique(np.logspace(0, 6, 61).astype(int))  # 1 .. 10^6 tokens


def token_lengths(name: str, split: str) -> np.ndarray:
    """Number of tokens of each text (documents, for summarization) in one split."""
    s = data.spec(name)
    field = "text" if s.task == "classification" else "document"
    rows = data.load(name)[split]
    texts = rows[field] if len(rows) else []
    return np.array([len(text.tokenize(t, s.pretokenized)) for t in texts], dtype=int)


def one_dataset(name: str) -> dict:
    """Split sizes, classes, balance and length statistics of one dataset."""
    s, dd = data.spec(name), data.load(name)
    row = {"dataset": name, "task": s.task, **{f"n_{k}": len(v) for k, v in dd.items()}}
    if s.task == "classification":
        test_labels = np.array(dd["test"]["label"])
        row["classes"] = len(data.label_names(name))
        row["majority_test"] = float(np.bincount(test_labels).max() / len(test_labels))
    split = "train" if len(dd["train"]) else "test"  # AG News: only its test split
    lengths = token_lengths(name, split)
    row["length_split"] = split
    row.update({f"len_p{p}": float(np.percentile(lengths, p)) for p in PERCENTILES})
    row["len_max"] = int(lengths.max())
    row["length_hist"] = np.histogram(lengths, bins=LENGTH_BINS)[0].tolist()
    row["provenance"] = data.describe(name)
    return row


def compute(names, path: Path) -> Path:
    """Statistics of every dataset in ``names`` into one JSON results file."""
    rows = [one_dataset(n) for n in names]
    payload = {
        "datasets": rows,
        "length_bins": LENGTH_BINS.tolist(),
        "validation_fraction": data.VALIDATION_FRACTION,
        "validation_seed": data.VALIDATION_SEED,
        **results.provenance(),
        "environment": results.environment(),
    }
    return results.write_json(path, payload)


def stats_table(stats: dict) -> pd.DataFrame:
    """The paper's dataset table from a results file's contents."""
    rows = []
    for r in stats["datasets"]:
        maj = r.get("majority_test")
        rows.append(
            {
                "Dataset": r["dataset"],
                "Train": r["n_train"],
                "Val.": r["n_validation"],
                "Test": r["n_test"],
                "Classes": r.get("classes", "--"),
                "Majority (%)": "--" if maj is None else f"{100 * maj:.1f}",
                **{f"p{p} len.": int(round(r[f"len_p{p}"])) for p in PERCENTILES},
            }
        )
    return pd.DataFrame(rows)


def macros(stats: dict) -> dict:
    """Numbers of the data section that the paper quotes in prose."""
    by = {r["dataset"]: r for r in stats["datasets"]}
    out = {
        "data validation percent": int(round(100 * stats["validation_fraction"])),
        "data validation seed": str(stats["validation_seed"]),
    }
    for name, r in by.items():
        for split in ("train", "validation", "test"):
            out[f"data {name} {split}"] = r[f"n_{split}"]
        out[f"data {name} median length"] = int(round(r["len_p50"]))
    return out


def write_report(results_path: Path, generated: Path, producer: str) -> list[Path]:
    """Table and macros of notebook 00 from its results file (and nothing else)."""
    stats = results.read_json(results_path)
    stem = Path(producer).stem
    return [
        latex.table(stats_table(stats), generated / f"{stem}_stats.tex", producer, digits=0),
        latex.macros(macros(stats), generated / f"{stem}_macros.tex", producer, digits=0),
    ]


def plot_lengths(results_path: Path, path: Path):
    """Step histograms of token lengths per dataset, log-scaled x axis."""
    import matplotlib.pyplot as plt

    from rnnpaper.report import plotting

    stats = results.read_json(results_path)
    bins = np.array(stats["length_bins"])
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 2.8), sharex=True)
    for r in stats["datasets"]:
        ax = axes[0] if r["task"] == "classification" else axes[1]
        counts = np.array(r["length_hist"], dtype=float)
        ax.stairs(counts / counts.sum(), bins, label=r["dataset"])
    titles = ("classification (train)", "summarization (train documents)")
    for ax, title in zip(axes, titles, strict=True):
        ax.set(xscale="log", xlim=(1, 2e4), xlabel="tokens per text", title=title)
        ax.legend(fontsize=7, frameon=False)
    axes[0].set_ylabel("share of texts")
    plotting.save(fig, path)
    return fig
