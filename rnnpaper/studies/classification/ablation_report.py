"""The proposed cell's ablation (issue 11 item 6; shown in notebook 08 and the paper's
proposed-model section): BiGLR against itself with one ingredient removed, eqs. (A1)-(A3) of
:mod:`rnnpaper.models.glr`, from committed results only.

The runs are the classification protocol's: BiGLR's own in ``results/06-classification/
protocol/``, the ablations' in ``.../ablation/`` (same search, seeds, data and budget; the
"ablation" profile of :mod:`.protocol`). A dataset enters
only when BiGLR and every ablation that ran on it have every seed of the protocol.
Each ablation is compared with BiGLR on the same test examples by the protocol's sign-flip
test on per-example correctness averaged over seeds, with Holm's correction over the table.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from rnnpaper import results
from rnnpaper.report import labels, latex, plotting
from rnnpaper.studies.classification import protocol, protocol_report
from rnnpaper.studies.classification.config import PRODUCER, STEM
from rnnpaper.studies.classification.frames import label, run_table, summarize

NAME = f"{STEM}_ablation"  # generated/<NAME>_*.tex, figures/<NAME>.pdf

FULL = protocol.ABLATED  # "biglr"
REMOVED = {  # ablation preset -> the ingredient it removes, as the paper names it
    "biglr_untied": "tied input gate $i_t=1-f_t$ (A1)",
    "biglr_linear": r"$\tanh$ of the candidate (A2)",
    "biglr_fixed": "input-dependent decay $f_t$ (A3)",
}
KEYS = {"biglr_untied": "untied", "biglr_linear": "linear", "biglr_fixed": "fixed"}  # macros


def _complete(runs: list[dict], presets, sizes: protocol.Protocol) -> list[dict]:
    """The runs of ``presets`` on the datasets where each of them has every seed."""
    have = {(r["dataset"], r["preset"], r["seed"]) for r in runs}
    ok = {
        d
        for d in {r["dataset"] for r in runs}
        if all((d, p, s) in have for p in presets for s in sizes.seeds(d))
    }
    return [r for r in runs if r["dataset"] in ok and r["preset"] in presets]


def load(results_root: Path) -> dict:
    """BiGLR's runs and the ablations' on the datasets where all of them are complete."""
    root = Path(results_root) / STEM
    sizes = protocol.PROFILES["protocol"]
    full = protocol_report._read(root / protocol.FOLDER / "runs", f"*/{FULL}-s*.json")
    folder = root / protocol.PROFILES["ablation"].folder
    ablated = protocol_report._read(folder / "runs", "*/*.json")
    ran = [p for p in REMOVED if any(r["preset"] == p for r in ablated)]
    runs = _complete(full + ablated, [FULL, *ran], sizes)
    data = {
        d: results.read_json(root / protocol.FOLDER / "data" / f"{d}.json")
        for d in sorted({r["dataset"] for r in runs})
    }
    datasets = [d for d in protocol.ORDER if d in data]
    return {"runs": runs, "data": data, "baselines": {}, "datasets": datasets, "ablations": ran}


def tests(found: dict, resamples: int = protocol_report.SIGN_FLIP_RESAMPLES) -> list[dict]:
    """Each ablation against BiGLR per dataset: accuracies, difference, sign-flip p, Holm p."""
    rows = []
    for d in found["datasets"]:
        correct = protocol_report.correctness(found, d)  # preset -> mean correctness (n,)
        for p in found["ablations"]:
            p_value = protocol_report.paired_p(correct[FULL], correct[p], resamples)
            full, ablated = 100 * correct[FULL].mean(), 100 * correct[p].mean()
            rows.append({"dataset": d, "row": p, "full": full, "ablated": ablated, "p": p_value})
    return protocol_report.with_holm(rows)


def accuracy_frame(found: dict) -> pd.DataFrame:
    """Test accuracy (mean ± std over seeds, percent) and recurrent parameters of each row."""
    s = summarize(run_table(found["runs"])).set_index(["dataset", "preset"])
    params = {r["preset"]: r["recurrent_parameters"] for r in found["runs"]}
    rows = []
    for p in [FULL, *found["ablations"]]:
        row = {"Model": label(p)}  # what each removes: the difference table
        row["Rec. params"] = int(params[p])
        for d in found["datasets"]:
            r = s.loc[(d, p)]
            row[labels.dataset(d)] = latex.mean_pm_std(r["mean"], r["std"], int(r["count"]))
        rows.append(row)
    return pd.DataFrame(rows)


def difference_frame(found: dict, tested: list[dict], plain: bool = False) -> pd.DataFrame:
    """Per ablation and dataset: accuracy minus BiGLR's (points) with the Holm-adjusted p;
    ``plain``: the ingredients named without LaTeX (for a notebook's HTML table)."""
    by = {(t["dataset"], t["row"]): t for t in tested}
    rows = []
    for p in found["ablations"]:
        row = {"Removed": (REMOVED_PLAIN if plain else REMOVED)[p]}
        for d in found["datasets"]:
            t = by[(d, p)]
            row[labels.dataset(d)] = f"{t['ablated'] - t['full']:+.1f} ({_p(t['p_holm'])})"
        rows.append(row)
    return pd.DataFrame(rows)


def _p(p: float) -> str:
    return "<0.001" if p < 1e-3 else f"{p:.3f}"


def per_seed_differences(found: dict) -> pd.DataFrame:
    """Per dataset, ablation and seed: its test accuracy minus BiGLR's of the same seed (points)."""
    acc = {(r["dataset"], r["preset"], r["seed"]): r["test"]["accuracy"] for r in found["runs"]}
    rows = [
        {"dataset": d, "preset": p, "seed": s, "delta": 100 * (a - acc[(d, FULL, s)])}
        for (d, p, s), a in sorted(acc.items())
        if p != FULL
    ]
    order = {p: i for i, p in enumerate(found["ablations"])}
    key = lambda r: (found["datasets"].index(r["dataset"]), order[r["preset"]], r["seed"])  # noqa: E731
    return pd.DataFrame(sorted(rows, key=key))


def figure(found: dict, path: Path) -> Path:
    """Accuracy change when each ingredient is removed: one dot per seed, the mean as a bar."""
    import matplotlib.pyplot as plt

    plotting.use_style()
    deltas = per_seed_differences(found)
    fig, ax = plt.subplots(figsize=(6.0, 2.6))
    k = len(found["ablations"])
    width = 0.8 / k
    for j, p in enumerate(found["ablations"]):
        cell = protocol.PRESETS[p].cell
        for i, d in enumerate(found["datasets"]):
            v = deltas[(deltas.dataset == d) & (deltas.preset == p)]["delta"].to_numpy()
            x = i - 0.4 + width * (j + 0.5)
            ax.bar(x, v.mean(), width * 0.9, color=labels.colour(cell), alpha=0.45,
                   label=REMOVED_PLAIN[p] if i == 0 else None)  # fmt: skip
            ax.scatter(np.full(len(v), x), v, s=9, color=labels.colour(cell), zorder=3)
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xticks(range(len(found["datasets"])), [labels.dataset(d) for d in found["datasets"]])
    ax.set_ylabel("accuracy minus BiGLR's (points)")
    ax.legend(fontsize=8, frameon=False, loc="lower left", title="removed", title_fontsize=8)
    ax.tick_params(labelsize=8)
    ax.yaxis.label.set_size(8)
    out = plotting.save(fig, path)
    plt.close(fig)
    return out


REMOVED_PLAIN = {  # the legend's names (no LaTeX)
    "biglr_untied": "tied input gate (A1)",
    "biglr_linear": "tanh of the candidate (A2)",
    "biglr_fixed": "input-dependent decay (A3)",
}


def macro_values(found: dict, tested: list[dict]) -> dict:
    """The numbers the paper's ablation paragraph quotes."""
    v = {"abl datasets": len(found["datasets"]), "abl comparisons": len(tested)}
    significant = [t for t in tested if t["p_holm"] < 0.05]  # counts as ints, not numpy's
    v["abl significant"] = len(significant)
    v["abl significant drops"] = sum(1 for t in significant if t["ablated"] < t["full"])
    v["abl significant gains"] = sum(1 for t in significant if t["ablated"] > t["full"])
    v["abl data"] = ", ".join(labels.dataset(d) for d in found["datasets"])
    pending = [labels.dataset(d) for d in protocol.ORDER if d not in found["datasets"]]
    v["abl pending"] = (
        f"The ablation runs on {' and '.join(pending)} are not finished; they are counted nowhere."
        if pending
        else ""
    )
    for p in found["ablations"]:
        mine = [t for t in tested if t["row"] == p]
        v[f"abl {KEYS[p]} mean delta"] = float(np.mean([t["ablated"] - t["full"] for t in mine]))
        v[f"abl {KEYS[p]} lower"] = sum(1 for t in mine if t["ablated"] < t["full"])
        v[f"abl {KEYS[p]} significant"] = sum(1 for t in mine if t["p_holm"] < 0.05)
    return v


def build(results_root: Path, generated: Path, figures: Path) -> dict:
    """The ablation's tables, figure and macros from the runs under ``results_root`` (the
    committed results/ for the paper); nothing when no dataset has every seed yet."""
    found = load(results_root)
    if not found["datasets"] or not found["ablations"]:
        return {}
    tested = tests(found)
    g = Path(generated)
    w = lambda frame, name: latex.table(  # noqa: E731
        frame, g / f"{NAME}_{name}.tex", PRODUCER, raw=("Removed",)
    )
    return {
        "accuracy": w(accuracy_frame(found), "accuracy"),
        "difference": w(difference_frame(found, tested), "difference"),
        "figure": figure(found, Path(figures) / f"{NAME}.pdf"),
        "macros": latex.macros(macro_values(found, tested), g / f"{NAME}_macros.tex", PRODUCER),
    }
