"""Notebook 05's presentation: tables, macros and the decoding figure from results files only.

Besides its own results it reads notebook 04's results file (the LSTM/GRU rows of the
comparison table), never notebook 04's code.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from rnnpaper import paths, results
from rnnpaper.report import labels, latex, plotting
from rnnpaper.studies.hmm.config import PRODUCER, RNN_RESULTS, STEM

RNN_INITS = (  # notebook 04's embedding inits shown beside the HMM: (init, frozen, name)
    ("random", False, "random emb."),
    ("skipgram", False, "skip-gram emb., fine-tuned"),
)


def report(profile: str) -> dict:
    """Tables, macros and the figure of ``profile`` from its results files: name -> path."""
    out = paths.outputs(profile)
    return build_outputs(out.results, out.generated, out.figures)


def build_outputs(results_dir, generated, figures=None) -> dict:
    """Tables, macros (and the figure, if ``figures``) from the results files only."""
    rd = Path(results_dir) / STEM
    sweep, decode = results.read_json(rd / "sweep.json"), results.read_json(rd / "decode.json")
    g = Path(generated)
    written = {
        "sweep": latex.table(sweep_frame(sweep), g / f"{STEM}_sweep.tex", PRODUCER),
        "compare": latex.table(
            compare_frame(sweep, results_dir), g / f"{STEM}_compare.tex", PRODUCER
        ),
        "macros": latex.macros(
            macro_values(sweep, decode), g / f"{STEM}_macros.tex", PRODUCER, digits=1
        ),
    }
    if figures is not None:
        written["figure"] = plotting.save(decode_figure(decode), Path(figures) / f"{STEM}_decode")
    return written


# ---------------------------------------------------------------- tables


def sweep_frame(sweep: dict) -> pd.DataFrame:
    """Validation accuracy (%) of every (M, k), rows M, columns k."""
    ks = sorted({r["k"] for r in sweep["grid"]})
    rows = []
    for M in sorted({r["M"] for r in sweep["grid"]}):
        row = {"M (states)": str(M)}
        for k in ks:
            r = next(r for r in sweep["grid"] if (r["M"], r["k"]) == (M, k))
            row[f"k = {k}"] = 100 * r["validation"]["accuracy"]
        rows.append(row)
    return pd.DataFrame(rows)


def rnn_rows(results_dir, dataset: str = "sst2") -> list[dict]:
    """LSTM/GRU test scores on the same split from notebook 04's results file.

    Notebook 06's tuned runs are left out on purpose: they are committed on their own schedule,
    and this table must stay a function of results that exist when notebook 05 runs."""
    p = Path(results_dir) / RNN_RESULTS
    if not p.exists():
        return []
    inits = results.read_json(p)
    rows = []
    for cell in inits["study"]["clf_cells"]:
        for init, frozen, name in RNN_INITS:
            key = (dataset, cell, init, frozen)
            sel = [
                r for r in inits["runs"] if (r["dataset"], r["cell"], r["init"], r["frozen"]) == key
            ]
            if sel:
                rows.append(
                    {
                        "Model": f"{labels.cell(cell)}, {name} (nb. 04)",
                        "Accuracy": latex.pm([r["test"]["accuracy"] for r in sel], scale=100.0),
                        "Macro F1": latex.pm([r["test"]["macro_f1"] for r in sel], scale=100.0),
                        "Runs": len(sel),
                    }
                )
    return rows


def compare_frame(sweep: dict, results_dir) -> pd.DataFrame:
    """Test scores of the chosen and the best multi-state GMM-HMM, then notebook 04's RNNs."""
    rows = []
    for key, seeds_key in (("best", "seeds"), ("best_multi", "seeds_multi")):
        s, b = sweep[seeds_key], sweep[key]
        rows.append(
            {
                "Model": f"GMM-HMM, M = {b['M']}, k = {b['k']}",
                "Accuracy": latex.pm([r["test"]["accuracy"] for r in s], scale=100.0),
                "Macro F1": latex.pm([r["test"]["macro_f1"] for r in s], scale=100.0),
                "Runs": len(s),
            }
        )
    return pd.DataFrame(rows + rnn_rows(results_dir))


# ---------------------------------------------------------------- macros


def macro_values(sweep: dict, decode: dict) -> dict:
    """Every number notebook 05's paper section quotes (the order is the file's)."""
    acc = [100 * r["test"]["accuracy"] for r in sweep["seeds"]]
    multi = [r["test"]["accuracy"] for r in sweep["seeds_multi"]]
    grid = [100 * r["validation"]["accuracy"] for r in sweep["grid"]]
    ex = decode["examples"][0]
    return {
        "hmm best M": sweep["best"]["M"],
        "hmm best k": sweep["best"]["k"],
        "hmm test acc": float(np.mean(acc)),
        "hmm test acc std": float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0,
        "hmm seeds": len(acc),
        "hmm val acc min": min(grid),
        "hmm val acc max": max(grid),
        "hmm pca dim": sweep["study"]["pca_dim"],
        "hmm train size": sweep["train_size"],
        "hmm n iter": sweep["study"]["n_iter"],
        "hmm explained variance": 100 * sweep["explained_variance"],
        "hmm coverage": 100 * sweep["coverage"],
        "hmm fit s max": max(r["fit_s"] for r in sweep["grid"]),
        "hmm decode M": decode["M_shown"],
        "hmm multi M": sweep["best_multi"]["M"],
        "hmm multi k": sweep["best_multi"]["k"],
        "hmm multi test acc": 100 * float(np.mean(multi)),
        "hmm multi test acc std": 100 * float(np.std(multi, ddof=1)),
        "hmm example viterbi gap": ex["loglik"] - ex["viterbi_logp"],
    }


# ---------------------------------------------------------------- figure


def decode_figure(decode: dict):
    """Posterior state probabilities (forward-backward) with the Viterbi path on top."""
    import matplotlib.pyplot as plt

    plotting.use_style()
    ex = decode["examples"]
    fig, axes = plt.subplots(len(ex), 1, figsize=(7, 1.9 * len(ex)), squeeze=False)
    for ax, e in zip(axes[:, 0], ex, strict=True):
        gamma = np.asarray(e["gamma"])  # (T, M)
        im = ax.imshow(gamma.T, aspect="auto", cmap="Blues", vmin=0, vmax=1, origin="lower")
        ax.plot(
            range(len(e["viterbi"])),
            e["viterbi"],
            "o-",
            color="#d62728",
            ms=4,
            lw=1,
            label="Viterbi path",
        )
        ax.set_xticks(range(len(e["tokens"])), e["tokens"], rotation=40, ha="right", fontsize=7)
        ax.set_yticks(range(gamma.shape[1]))
        ax.set_ylabel("state")
        fig.colorbar(im, ax=ax, pad=0.01, label=r"$p(z_t=j\mid X)$")
    axes[0, 0].legend(fontsize=7, frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig
