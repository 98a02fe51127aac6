"""Notebook 04's presentation: tables, macros and the cost figure from its results files only."""

import math
from pathlib import Path

import numpy as np
import pandas as pd

from rnnpaper import paths, results
from rnnpaper.models.word2vec_cost import cost_q
from rnnpaper.report import labels, latex, plotting
from rnnpaper.studies.word2vec.config import INITS, PRODUCER, STEM

LABEL = {
    ("cbow", "hs"): "CBOW, hier. softmax",
    ("cbow", "neg"): "CBOW, neg. sampling",
    ("skipgram", "hs"): "Skip-gram, hier. softmax",
    ("skipgram", "neg"): "Skip-gram, neg. sampling",
}
INIT_LABEL = {
    ("random", False): "random, trained",
    ("cbow", True): "CBOW, frozen",
    ("cbow", False): "CBOW, fine-tuned",
    ("skipgram", True): "skip-gram, frozen",
    ("skipgram", False): "skip-gram, fine-tuned",
}


def report(profile: str) -> dict:
    """Tables, macros and the figure of ``profile`` from its results files: name -> path."""
    out = paths.outputs(profile)
    return build_outputs(out.results, out.generated, out.figures)


def build_outputs(results_dir, generated, figures=None) -> dict:
    """Tables, macros (and the figure, if ``figures``) from the results files only."""
    rd = Path(results_dir) / STEM
    q, cost = results.read_json(rd / "quality.json"), results.read_json(rd / "cost.json")
    inits = results.read_json(rd / "inits.json")
    g = Path(generated)
    written = {
        "cost": latex.table(cost_frame(cost), g / f"{STEM}_cost.tex", PRODUCER, digits=2),
        "quality": latex.table(quality_frame(q), g / f"{STEM}_quality.tex", PRODUCER, digits=2),
        "neighbours": latex.table(
            neighbours_frame(q), g / f"{STEM}_neighbours.tex", PRODUCER, align="lll"
        ),
        "inits": latex.table(init_frame(inits), g / f"{STEM}_inits.tex", PRODUCER),
        "macros": latex.macros(
            macro_values(q, cost, inits), g / f"{STEM}_macros.tex", PRODUCER, digits=2
        ),
    }
    if figures is not None:
        written["figure"] = plotting.save(cost_figure(cost), Path(figures) / f"{STEM}_cost")
    return written


# ---------------------------------------------------------------- tables


def cost_frame(cost: dict) -> pd.DataFrame:
    """Per variant: timed configurations, the fitted slope and both fits' R^2."""
    return pd.DataFrame(
        [
            {
                "Variant": LABEL[(f["arch"], f["objective"])],
                "Configs": f["n"],
                "ns per op (formula)": f["formula_slope"] * 1e9,
                "R2 formula": f["formula_r2"],
                "R2 measured L, N": f["measured_r2"],
            }
            for f in cost["fits"]
        ]
    )


def quality_frame(q: dict) -> pd.DataFrame:
    """Words per second and neighbour overlap with gensim, plus gensim against itself."""
    rows = [
        {
            "Variant": LABEL[(r["arch"], r["objective"])],
            "ours kw/s": r["ours_words_per_s"] / 1e3,
            "gensim kw/s": r["gensim_words_per_s"] / 1e3,
            "probes @10": r["overlap_probes"],
            "band @10": r["overlap_band"],
        }
        for r in q["variants"]
    ]
    sg = next(r for r in q["variants"] if (r["arch"], r["objective"]) == ("skipgram", "neg"))
    rows.append(
        {
            "Variant": "gensim seed 0 vs 1 (SG, neg.)",
            "ours kw/s": float("nan"),
            "gensim kw/s": float("nan"),
            "probes @10": sg["gensim_seed_overlap_probes"],
            "band @10": sg["gensim_seed_overlap_band"],
        }
    )
    return pd.DataFrame(rows)


def neighbours_frame(q: dict, n: int = 6) -> pd.DataFrame:
    """The five nearest words of the first ``n`` probes, ours and gensim's."""
    return pd.DataFrame(
        [
            {
                "Probe": p,
                "ours (skip-gram, neg.)": ", ".join(v["ours"]),
                "gensim (same settings)": ", ".join(v["gensim"]),
            }
            for p, v in list(q["neighbours"].items())[:n]
        ]
    )


def init_frame(inits: dict, metric: str = "accuracy") -> pd.DataFrame:
    """Test ``metric`` (%, mean ± sd over seeds) per embedding init, dataset and cell."""
    runs, st = inits["runs"], inits["study"]
    cols = [(d, c) for d in st["clf_datasets"] for c in st["clf_cells"]]
    rows = []
    for init, frozen in INITS:
        row = {"Embedding": INIT_LABEL[(init, frozen)]}
        for d, c in cols:
            v = [
                r["test"][metric]
                for r in runs
                if (r["dataset"], r["cell"], r["init"], r["frozen"]) == (d, c, init, frozen)
            ]
            row[f"{labels.dataset(d)} {labels.cell(c)}"] = latex.pm(v, scale=100.0) if v else "--"
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- macros


def macro_values(q: dict, cost: dict, inits: dict) -> dict:
    """Every number notebook 04's paper section quotes (the order is the file's)."""
    return (
        _headline_macros(q, cost, inits)
        | _setting_macros(q, inits["study"])
        | _cost_macros(cost, inits["study"])
        | _overlap_macros(q)
        | _accuracy_macros(inits)
    )


def _headline_macros(q: dict, cost: dict, inits: dict) -> dict:
    speed = [r["gensim_words_per_s"] / r["ours_words_per_s"] for r in q["variants"]]
    st = inits["study"]
    return {
        "w2v corpus tokens": q["corpus"]["tokens"],
        "w2v vocab": q["corpus"]["V"],
        "w2v imdb docs": q["corpus"]["imdb_docs"],
        "w2v dim": q["config"]["D"],
        "w2v epochs": q["config"]["epochs"],
        "w2v gensim speedup min": min(speed),
        "w2v gensim speedup max": max(speed),
        "w2v gensim seed overlap band": next(
            r["gensim_seed_overlap_band"] for r in q["variants"] if "gensim_seed_overlap_band" in r
        ),
        "w2v timing configs": len(cost["rows"]),
        "w2v clf seeds": st["clf_seeds"],
        "w2v clf epochs": st["clf_epochs"],
        "w2v clf patience": st.get("clf_patience", 0),
        "w2v clf imdb train": st["clf_train_limit"].get("imdb", 0),
        "w2v clf fits": len(inits["runs"]),
        "w2v clf before last": sum(  # runs whose best epoch came before their last
            r["best_epoch"] < r.get("epochs_run", st["clf_epochs"]) for r in inits["runs"]
        ),
    }


def _setting_macros(q: dict, st: dict) -> dict:
    cfg = q["config"]
    return {
        "w2v window": cfg["window"],
        "w2v negative": cfg["negative"],
        "w2v sample": str(cfg["sample"]),
        "w2v min count": cfg["min_count"],
        "w2v batch": cfg["batch_size"],
        "w2v clf hidden": st["clf_hidden"],
        "w2v clf max len": st["clf_max_len"],
        "w2v probes count": len(q["probes"]),
        "w2v band lo": q["band"][0],
        "w2v band hi": q["band"][1],
        **{f"w2v clf batch {d}": b for d, b in st.get("clf_batch", [])},
        "w2v clf lr": str(st["clf_lr"]),
    }


def _cost_macros(cost: dict, st: dict) -> dict:
    base = next(r for r in cost["rows"] if r["varied"] == "D")
    out = {
        "w2v mean path len": base["path_len"],
        "w2v log two V": math.log2(base["V"]),
        "w2v cost V": base["V"],
        "w2v mean context": base["mean_context"],
        "w2v cost window": base["window"],
        "w2v clf eval limit": st.get("clf_eval_limit") or 0,
    }
    for f in cost["fits"]:
        key = f"w2v cost {f['arch']} {f['objective']}"
        out |= {f"{key} r2": f["formula_r2"], f"{key} r2 measured": f["measured_r2"]}
    return out


def _overlap_macros(q: dict) -> dict:
    return {
        f"w2v overlap band {r['arch']} {r['objective']}": r["overlap_band"] for r in q["variants"]
    }


def _accuracy_macros(inits: dict) -> dict:
    """Range of the per-cell mean accuracies per dataset, then the mean per init (%)."""
    cells, acc = {}, {}
    for r in inits["runs"]:
        key = (r["dataset"], r["cell"], r["init"], r["frozen"])
        cells.setdefault(key, []).append(100 * r["test"]["accuracy"])
        acc.setdefault((r["dataset"], r["init"], r["frozen"]), []).append(r["test"]["accuracy"])
    out = {}
    for d in inits["study"]["clf_datasets"]:
        means = [float(np.mean(v)) for k, v in cells.items() if k[0] == d]
        out |= {f"w2v {d} cell acc min": min(means), f"w2v {d} cell acc max": max(means)}
    for (d, init, frozen), v in acc.items():
        out[f"w2v acc {d} {init} {'frozen' if frozen else 'tuned'}"] = 100 * float(np.mean(v))
    return out


# ---------------------------------------------------------------- figure


def cost_figure(cost: dict):
    """Measured microseconds per word against eq. 40/41's Q, one panel per variant."""
    import matplotlib.pyplot as plt

    plotting.use_style()
    fig, axes = plt.subplots(1, 4, figsize=(plotting.width(1.0), 2.2), layout="constrained")
    for ax, f in zip(axes, cost["fits"], strict=True):
        _cost_panel(ax, f, cost["rows"])
    axes[0].set_ylabel("µs per training word")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside upper center", ncol=3, frameon=False)
    fig.supxlabel("Q (eq. 40/41), operations per word")
    return fig


VARIED_COLOURS = {"D": "#1f77b4", "window": "#d62728", "V": "#2ca02c"}


def _cost_panel(ax, f: dict, rows: list) -> None:
    """One variant: timed rows coloured by what was varied, and the fitted line."""
    sel = [r for r in rows if (r["arch"], r["objective"]) == (f["arch"], f["objective"])]
    q = np.array(
        [cost_q(r["arch"], r["objective"], r["D"], r["window"], r["V"], r["negative"]) for r in sel]
    )
    for varied, c in VARIED_COLOURS.items():
        m = [r["varied"] == varied for r in sel]
        ax.scatter(
            q[m],
            [r["seconds_per_word"] * 1e6 for r, k in zip(sel, m, strict=True) if k],
            s=14,
            color=c,
            label=f"vary {varied}",
        )
    xs = np.linspace(0, q.max() * 1.05, 50)
    ax.plot(xs, (f["formula_intercept"] + f["formula_slope"] * xs) * 1e6, "k--", lw=0.8)
    ax.set_title(LABEL[(f["arch"], f["objective"])].replace(", ", "\n"))
    ax.text(0.97, 0.04, f"R² = {f['formula_r2']:.2f}", ha="right", transform=ax.transAxes)
    ax.locator_params(axis="x", nbins=3)
