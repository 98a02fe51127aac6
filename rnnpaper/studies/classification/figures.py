"""The classification figures: learning curves, accuracy by length, confusion matrices."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

from rnnpaper import metrics
from rnnpaper.report import labels, plotting
from rnnpaper.studies.classification.config import DATASETS, DOCUMENTS, MAIN
from rnnpaper.studies.classification.frames import colour, label
from rnnpaper.studies.classification.tables import correct_by_preset

LENGTH_EDGES = {"imdb": (0, 100, 150, 250, 400, 700), "20newsgroups": (0, 25, 50, 100, 150, 300)}


def learning_curves(runs: list[dict]):
    """Validation accuracy per epoch (mean over seeds), one panel per dataset, at most three
    in a row; the legend in the first free slot (else in the last panel)."""

    ds = [d for d in list(DATASETS) + ["user"] if any(r["dataset"] == d for r in runs)]
    ncol = min(3, max(1, len(ds)))
    nrow = max(1, math.ceil(len(ds) / ncol))
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(plotting.width(1.0), 0.4 + 1.5 * nrow), squeeze=False
    )
    for ax, d in zip(axes.flat, ds, strict=False):
        for p in MAIN:
            curves = [
                [h["accuracy"] for h in r["fit"]["history"]]
                for r in runs
                if r["dataset"] == d and r["preset"] == p
            ]
            if not curves:
                continue
            n = max(map(len, curves))
            mean = [100 * np.mean([c[e] for c in curves if len(c) > e]) for e in range(n)]
            ax.plot(
                range(1, n + 1),
                mean,
                label=label(p),
                ls="--" if p.startswith("bi") else "-",
                color=colour(p),
            )
        ax.set_title(labels.dataset(d))
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[:, 0]:
        ax.set_ylabel("validation acc. (%)")
    spare = axes.flat[len(ds) :]
    for ax in spare:
        ax.axis("off")
    handles, names = axes.flat[max(0, len(ds) - 1)].get_legend_handles_labels()
    where = spare[0] if len(spare) else axes.flat[-1]
    if names:
        where.legend(handles, names, frameon=False, loc="center" if len(spare) else "best")
    fig.tight_layout()
    return fig


def bucket_frame(runs, bl, info, ds):
    y = np.asarray(info[ds]["test_labels"])
    lengths = np.asarray(info[ds]["test_full_lengths"])
    correct = correct_by_preset(ds, y, runs, bl)
    rows = []
    for p in [q for q in MAIN + ("nbsvm",) if q in correct]:
        for b in metrics.length_buckets(lengths, correct[p]["mean"], LENGTH_EDGES[ds]):
            rows.append({"preset": p, **b})
    return pd.DataFrame(rows)


def length_figure(runs, bl, info):
    """Test accuracy by untruncated document length, IMDB and 20 Newsgroups."""

    ds = [d for d in DOCUMENTS if d in info and any(r["dataset"] == d for r in runs)]
    fig, axes = plt.subplots(
        1, max(1, len(ds)), figsize=(plotting.width(1.0), 2.6), squeeze=False, layout="constrained"
    )
    for ax, d in zip(axes[0], ds, strict=False):
        f = bucket_frame(runs, bl, info, d)
        edges = LENGTH_EDGES[d]
        names = [f"{lo}-{hi}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        names.append(f"{edges[-1]}+")
        counts = f.drop_duplicates("lo").set_index("lo")["n"]
        names = [f"{n} ({counts.get(lo, 0)})" for n, lo in zip(names, edges, strict=True)]
        for p, sub in f.groupby("preset", sort=False):
            pos = [edges.index(lo) for lo in sub["lo"]]
            color = colour(p)
            ax.plot(
                pos,
                100 * sub["accuracy"],
                marker="o",
                ms=3,
                label=label(p),
                color=color,
                ls="--" if p.startswith("bi") else "-",
            )
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right", rotation_mode="anchor")
        ax.set_title(labels.dataset(d))
    fig.supxlabel("tokens before truncation (number of test documents)")
    axes[0][0].set_ylabel("test accuracy (%)")
    handles, names = axes[0][-1].get_legend_handles_labels()
    if names:  # none without a document dataset
        fig.legend(handles, names, loc="outside upper center", ncol=len(names), frameon=False)
    return fig


def confusion_figure(runs, info, datasets=("sst5", "trec")):
    """Row-normalised test confusion matrix of the best neural preset (summed over seeds)."""
    ds = [d for d in datasets if any(r["dataset"] == d for r in runs)] or sorted(
        {r["dataset"] for r in runs}
    )[:1]
    fig, axes = plt.subplots(1, len(ds), figsize=(plotting.width(0.9), 2.7), squeeze=False)
    for ax, d in zip(axes[0], ds, strict=True):
        sub = [r for r in runs if r["dataset"] == d]
        means = {
            p: np.mean([r["test"]["accuracy"] for r in sub if r["preset"] == p])
            for p in {r["preset"] for r in sub}
        }
        best = max(sorted(means), key=means.get)
        cm = np.sum([r["test"]["confusion"] for r in sub if r["preset"] == best], 0)
        cm = cm / cm.sum(1, keepdims=True).clip(min=1)
        names = info[d]["label_names"]
        sns.heatmap(
            100 * cm,
            annot=True,
            fmt=".0f",
            cmap="Blues",
            cbar=False,
            ax=ax,
            xticklabels=names,
            yticklabels=names,
            annot_kws={"fontsize": plotting.SMALLEST_FONT},
        )
        ax.set_title(f"{labels.dataset(d)}: {label(best)}")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.tick_params(labelsize=plotting.SMALLEST_FONT)
        ax.tick_params(axis="y", labelrotation=0)
        if max(map(len, names)) > 4:  # long class names: slanted, not vertical
            ax.set_xticks(ax.get_xticks(), names, rotation=35, ha="right", rotation_mode="anchor")
    fig.tight_layout()
    return fig
