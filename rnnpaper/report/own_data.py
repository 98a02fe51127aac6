"""The short report of a run on your own data (``python -m rnnpaper classify``), from the
classification study's results files only: a table of accuracy and macro P/R/F1 per model,
and one confusion matrix per model in a figure.
"""

from pathlib import Path

import numpy as np

from rnnpaper import results

BASELINE_NAMES = {"majority": "majority class", "tfidf_lr": "TF-IDF + LR", "nbsvm": "NBSVM"}
METRICS = ("accuracy", "macro_precision", "macro_recall", "macro_f1")


def model_rows(results_dir: Path, dataset: str = "user") -> list[dict]:
    """One row per model: its test scores (mean and sd over seeds), summed confusion matrix,
    mean validation accuracy; neural presets first, in the order of their files."""
    rows: dict[str, dict] = {}
    for p in sorted((Path(results_dir) / "runs" / dataset).glob("*.json")):
        r = results.read_json(p)
        row = rows.setdefault(r["preset"], {"model": r["preset"], "kind": "recurrent", "runs": []})
        row["runs"].append(r)
    out = [_summarise(row, [r["test"] for r in row["runs"]]) for row in rows.values()]
    for row in out:
        row["validation_accuracy"] = float(
            np.mean([r["validation"]["accuracy"] for r in row.pop("runs")])
        )
    path = Path(results_dir) / "baselines" / f"{dataset}.json"
    if path.exists():
        for name, m in results.read_json(path)["models"].items():
            row = {
                "model": name,
                "kind": "baseline",
                "validation_accuracy": m["validation_accuracy"],
            }
            out.append(_summarise(row, [m["test"]]))
    return out


def _summarise(row: dict, tests: list[dict]) -> dict:
    row = dict(row)
    row["seeds"] = len(tests)
    for k in METRICS:
        v = np.array([t[k] for t in tests])
        row[k], row[f"{k}_sd"] = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
    row["confusion"] = np.sum([t["confusion"] for t in tests], axis=0).tolist()
    return row


def display(model: str) -> str:
    return BASELINE_NAMES.get(model, model)


def markdown_table(rows: list[dict]) -> str:
    """Markdown table: model, seeds, test accuracy and macro P/R/F1 in % (mean ± sd)."""
    head = "| model | seeds | accuracy | macro P | macro R | macro F1 | val. accuracy |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        cells = [_pct(r[k], r[f"{k}_sd"], r["seeds"]) for k in METRICS]
        val = f"{100 * r['validation_accuracy']:.1f}"
        lines.append(
            f"| {display(r['model'])} | {r['seeds']} | " + " | ".join(cells) + f" | {val} |"
        )
    return "\n".join(lines)


def _pct(mean: float, sd: float, n: int) -> str:
    return f"{100 * mean:.1f} ± {100 * sd:.1f}" if n > 1 else f"{100 * mean:.1f}"


def confusion_figure(rows: list[dict], label_names: list[str]):
    """One row-normalised confusion matrix (%, true class by row) per model."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    n = len(rows)
    cols = min(n, 3)
    size = 1.2 + 0.45 * len(label_names)
    fig, axes = plt.subplots(
        -(-n // cols), cols, figsize=(size * cols, size * -(-n // cols)), squeeze=False
    )
    for ax, r in zip(axes.flat, rows, strict=False):
        cm = np.asarray(r["confusion"], float)
        cm = 100 * cm / cm.sum(1, keepdims=True).clip(min=1)
        sns.heatmap(
            cm,
            annot=True,
            fmt=".0f",
            cmap="Blues",
            cbar=False,
            vmin=0,
            vmax=100,
            ax=ax,
            xticklabels=label_names,
            yticklabels=label_names,
            annot_kws={"fontsize": 7},
        )
        ax.set_title(f"{display(r['model'])}: {100 * r['accuracy']:.1f} %", fontsize=8)
        ax.set_xlabel("predicted", fontsize=7)
        ax.set_ylabel("true", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig
