"""Notebook 01's presentation: the four errata tables, the macros and the truncation figure,
from results/01-bptt/ only."""

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from rnnpaper import paths, results
from rnnpaper.report import latex, plotting

from .config import PRODUCER, STEM

R = r">{\raggedright\arraybackslash}"  # ragged-right paragraph columns (array)
GROUPS = {  # one table per group of sections
    "bptt": ("BPTT",),
    "activations": ("Activations", "Gradients"),
    "gates": ("LSTM", "GRU"),
    "hmm": ("HMM", "word2vec"),
}
COLUMNS = {
    "ref": "Item",
    "proposal": "The proposal says",
    "correct": "Correct form",
    "check": "Check",
    "verdict": "Verdict",
}


def write_errata_tables(errata_json: Path, generated: Path) -> list:
    """One LaTeX table per section group, from the stored verdicts only."""
    rows = pd.DataFrame(results.read_json(errata_json)["rows"])
    rows["verdict"] = rows["verdict"] + rows["decided_by"].map({"literature": "*", "computed": ""})
    written = []
    for name, sections in GROUPS.items():
        df = rows[rows["section"].isin(sections)][list(COLUMNS)].rename(columns=COLUMNS)
        path = latex.table(
            df,
            Path(generated) / f"{STEM}_errata_{name}.tex",
            producer=PRODUCER,
            align=(R + "p{1.5cm}") + (R + "p{4.6cm}") * 2 + (R + "p{2.1cm}") + "l",
        )
        written.append(path)
    return written


def counts(errata_json: Path) -> dict:
    """How many items were checked, hold, are wrong, and were decided from the literature."""
    rows = results.read_json(errata_json)["rows"]
    return {
        "errataItems": len(rows),
        "errataWrong": sum(r["verdict"] == "wrong" for r in rows),
        "errataHolds": sum(r["verdict"] == "holds" for r in rows),
        "errataLiterature": sum(r["decided_by"] == "literature" for r in rows),
    }


def _sci(x: float) -> str:
    """A tiny difference as the paper prints it, e.g. 2e-16."""
    return f"{x:.0e}".replace("e-0", "e-")


def write_tables(results_dir: Path, generated: Path) -> list:
    """The errata tables and the macros, from the results files only."""
    results_dir = Path(results_dir)
    written = write_errata_tables(results_dir / "errata.json", generated)
    checks = results.read_json(results_dir / "checks.json")
    values = counts(results_dir / "errata.json")
    values |= {f"bptt {k}": _sci(v) for k, v in checks["max_abs_diff"].items()}
    values |= {
        f"trunc err {s} N {n}": 100 * e
        for s, errs in checks["truncation"].items()
        for n, e in errs.items()
        if n in ("0", "5", "10")
    }
    written.append(latex.macros(values, Path(generated) / f"{STEM}_macros.tex", PRODUCER, 0))
    return written


def plot_truncation(truncation: dict, path: Path) -> Path:
    """Relative error of the truncated dL/dW against N, one line per scale of W."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for s, errs in truncation.items():
        Ns = [int(n) for n in errs]
        ax.semilogy(Ns, [max(e, 1e-17) for e in errs.values()], label=f"W scaled by {s}")
    ax.set_xlabel("truncation N (steps)")
    ax.set_ylabel("relative error of dL/dW")
    ax.legend()
    out = plotting.save(fig, path)
    plt.close(fig)
    return out


def report(profile: str) -> dict:
    """Tables, macros and the figure of notebook 01 from its results -> name: written path."""
    out = paths.outputs(profile)
    res_dir = out.results / STEM
    *tables, macros = write_tables(res_dir, out.generated)
    plotting.use_style()
    truncation = results.read_json(res_dir / "checks.json")["truncation"]
    figure = plot_truncation(truncation, out.figures / f"{STEM}_truncation")
    return {**{p.stem: p for p in tables}, "macros": macros, "truncation": figure}
