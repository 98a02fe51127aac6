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

LOW_F1 = 50  # validation macro F1 (%) below which a two-class classifier is called one-sided
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
        written["em"] = plotting.save(em_figure(sweep), Path(figures) / f"{STEM}_em")
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


def _scores_row(model: str, runs: list[dict]) -> dict:
    return {
        "Model": model,
        "Accuracy": latex.pm([r["accuracy"] for r in runs], scale=100.0),
        "Macro F1": latex.pm([r["macro_f1"] for r in runs], scale=100.0),
        "Runs": len(runs),
    }


def compare_frame(sweep: dict, results_dir) -> pd.DataFrame:
    """Test scores of the chosen GMM-HMM (best restart per class, and single restarts), the
    (1, 1) reference, then notebook 04's tuned RNNs on the same split."""
    b, reps, ref = sweep["best"], sweep["repeats"], sweep["reference"]
    rows = [
        _scores_row(f"GMM-HMM, M = {b['M']}, k = {b['k']}", [r["test"] for r in reps]),
        _scores_row(
            f"GMM-HMM, M = {b['M']}, k = {b['k']}, single restarts",
            [t for r in reps for t in r["restart_test"]],
        ),
        _scores_row(f"reference: M = {ref['M']}, k = {ref['k']} (bag of vectors)", [ref["test"]]),
    ]
    return pd.DataFrame(rows + rnn_rows(results_dir))


# ---------------------------------------------------------------- macros


def convergence(sweep: dict) -> dict:
    """EM runs (grid, repeats, reference; every class and restart) and those stopped by
    the tolerance, with their iteration counts."""
    records = sweep["grid"] + sweep["repeats"][1:] + [sweep["reference"]]
    runs = [run for rec in records for c in rec["restarts"] for run in c["runs"]]
    runs += [s for rec in records for s in rec.get("starts") or []]
    iters = [len(r["history"]) - 1 for r in runs]
    return {
        "runs": len(runs),
        "converged": sum(r["converged"] for r in runs),
        "iter median": float(np.median(iters)),
        "iter max": max(iters),
    }


def macro_values(sweep: dict, decode: dict) -> dict:
    """Every number notebook 05's paper section quotes (the order is the file's)."""
    st, reps, conv = sweep["study"], sweep["repeats"], convergence(sweep)
    acc = [100 * r["test"]["accuracy"] for r in reps]
    single = [100 * t["accuracy"] for r in reps for t in r["restart_test"]]
    grid = [100 * r["validation"]["accuracy"] for r in sweep["grid"]]
    grid_f1 = [100 * r["validation"]["macro_f1"] for r in sweep["grid"]]
    ex = decode["examples"][0]
    return {
        "hmm best M": sweep["best"]["M"],
        "hmm best k": sweep["best"]["k"],
        "hmm test acc": float(np.mean(acc)),
        "hmm test acc std": float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0,
        "hmm repeats": len(reps),
        "hmm restarts": st["restarts"],
        "hmm single test acc": float(np.mean(single)),
        "hmm single test acc std": float(np.std(single, ddof=1)) if len(single) > 1 else 0.0,
        "hmm reference test acc": 100 * sweep["reference"]["test"]["accuracy"],
        "hmm reference val acc": 100 * sweep["reference"]["validation"]["accuracy"],
        "hmm val acc min": min(grid),
        "hmm val acc max": max(grid),
        # grid points whose classifier put nearly every sentence in one class
        "hmm low f1 points": sum(f < LOW_F1 for f in grid_f1),
        "hmm low f1 threshold": LOW_F1,
        "hmm val f1 min": min(grid_f1),
        "hmm states grid": ", ".join(map(str, st["states"])),
        "hmm mixes grid": ", ".join(map(str, st["mixes"])),
        "hmm pca dim": st["pca_dim"],
        "hmm train size": sweep["train_size"],
        "hmm train tokens": sweep["train_tokens"],
        "hmm n iter": st["n_iter"],
        "hmm tol": f"{st['tol']:g}",
        "hmm var floor": f"{st['var_floor']:g}",
        "hmm em runs": conv["runs"],
        "hmm em converged": conv["converged"],
        "hmm em iter median": conv["iter median"],
        "hmm em iter max": conv["iter max"],
        "hmm explained variance": 100 * sweep["explained_variance"],
        "hmm coverage": 100 * sweep["coverage"],
        "hmm fit s max": max(r["fit_s"] for r in sweep["grid"]),
        "hmm fit min total": sum(
            r["fit_s"] for r in sweep["grid"] + reps[1:] + [sweep["reference"]]
        )
        / 60,
        "hmm decode M": decode["M_shown"],
        "hmm example viterbi gap": ex["loglik"] - ex["viterbi_logp"],
    }


# ---------------------------------------------------------------- figure


def decode_figure(decode: dict):
    """Posterior state probabilities (forward-backward) with the Viterbi path on top."""
    import matplotlib.pyplot as plt

    plotting.use_style()
    ex = decode["examples"]
    fig, axes = plt.subplots(
        len(ex), 1, figsize=(plotting.width(0.8), 1.6 * len(ex)), squeeze=False
    )
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
        ticks = range(len(e["tokens"]))
        ax.set_xticks(ticks, e["tokens"], rotation=40, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(gamma.shape[1]))
        ax.set_ylabel("state")
        fig.colorbar(im, ax=ax, pad=0.01, label="posterior")  # p(z_t = j | X): the caption
    axes[0, 0].legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def em_figure(sweep: dict):
    """Log-likelihood per token at every EM iteration of every restart of the chosen (M, k):
    the shared start fitted to all texts (if any), then one panel per class; the restart kept
    is drawn bold."""
    import matplotlib.pyplot as plt

    plotting.use_style()
    rec, b = sweep["repeats"][0], sweep["best"]
    panels = [
        (f"{n} class", c["runs"], c["chosen"])
        for n, c in zip(sweep["label_names"], rec["restarts"], strict=True)
    ]
    if rec.get("starts"):
        panels.insert(0, ("shared start (all texts)", rec["starts"], rec["restarts"][0]["chosen"]))
    fig, axes = plt.subplots(1, len(panels), figsize=(plotting.width(1.0), 2.3))
    for ax, (title, runs, chosen) in zip(axes, panels, strict=True):
        for r, run in enumerate(runs):
            kept = r == chosen
            note = (" (kept)" if kept else "") + ("" if run["converged"] else ", cut")
            ax.plot(
                run["history"],
                lw=1.6 if kept else 0.9,
                alpha=1.0 if kept else 0.7,
                label=f"restart {r}{note}",
            )
        ax.set_title(f"{title}\nM = {b['M']}, k = {b['k']}")
        ax.set_xlabel("EM iteration")
        ax.legend(frameon=False)
    axes[0].set_ylabel("log p(X) per token")
    fig.tight_layout()
    return fig
