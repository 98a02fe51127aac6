"""Notebook 01's presentation: the errata tables, the macros and the truncation figure, from
results/01-bptt/ only."""

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from rnnpaper import paths, results
from rnnpaper.report import latex, plotting

from .config import PRODUCER, STEM

R = r">{\raggedright\arraybackslash}"  # ragged-right paragraph columns (array)
ALIGN = R + "p{1.8cm}" + (R + "p{5.05cm}") * 2 + R + "p{2.3cm}"
GROUPS = {  # one table per group of the proposal's sections
    "bptt": ("BPTT",),
    "activations": ("Activations", "Gradients"),
    "lstm": ("LSTM",),
    "gru": ("GRU",),
    "hmm": ("HMM", "word2vec"),
    "structure": ("Structure",),
}
COLUMNS = ("Item", "The proposal says", "Correct form or reason", "Verdict, check")


def _cells(row: dict) -> tuple:
    """One table row: the item (plain text, number ranges with en dashes), the two LaTeX
    columns as stored, and the verdict above the test file or the source of the verdict."""
    ref = re.sub(r"(\d)-(\d)", r"\1--\2", latex.escape(row["ref"]))
    return ref, row["proposal"], row["correct"], rf"{row['verdict']}\newline {_check(row)}"


def _check(row: dict) -> str:
    return latex.escape(row["check"]) if row["decided_by"] == "computed" else row["check"]


def write_errata_tables(errata_json: Path, generated: Path) -> list:
    """One LaTeX table per section group, from the stored verdicts only."""
    rows = results.read_json(errata_json)["rows"]
    written = []
    for name, sections in GROUPS.items():
        df = pd.DataFrame([_cells(r) for r in rows if r["section"] in sections], columns=COLUMNS)
        path = Path(generated) / f"{STEM}_errata_{name}.tex"
        written.append(latex.table(df, path, PRODUCER, align=ALIGN, raw=COLUMNS))
    return written


def errata_markdown(rows: list) -> str:
    """The errata as one Markdown table for the notebook (maths stays in $...$)."""
    cell = lambda s: _markdown(s).replace("|", "\\|")  # a pipe would end the cell  # noqa: E731
    lines = ["| item | the proposal says | correct form or reason | verdict | check |"]
    lines.append("|---|---|---|---|---|")
    for r in rows:
        cells = (r["section"] + ", " + r["ref"], cell(r["proposal"]), cell(r["correct"]))
        lines.append("| " + " | ".join((*cells, r["verdict"], r["check"])) + " |")
    return "\n".join(lines)


def _markdown(tex: str) -> str:
    """A table cell's LaTeX text mode as Markdown; the maths in $...$ stays."""
    tex = re.sub(r"\\cite[tp]\{([^}]*)\}", r"[\1]", tex)
    tex = re.sub(r"\\texttt\{([^}]*)\}", r"`\1`", tex)
    for a, b in (("``", "\u201c"), ("''", "\u201d"), ("--", "\u2013"), ("\\dots{}", "\u2026")):
        tex = tex.replace(a, b)
    return tex.replace("~", " ")


def counts(errata_json: Path) -> dict:
    """How many items were checked, per verdict, and how many were not computed."""
    rows = results.read_json(errata_json)["rows"]
    return {
        "errataItems": len(rows),
        "errataWrong": sum(r["verdict"] == "wrong" for r in rows),
        "errataIncomplete": sum(r["verdict"] == "incomplete" for r in rows),
        "errataCorrect": sum(r["verdict"] == "correct" for r in rows),
        "errataComputed": sum(r["decided_by"] == "computed" for r in rows),
        "errataLiterature": sum(r["decided_by"] == "literature" for r in rows),
        "errataReading": sum(r["decided_by"] == "reading" for r in rows),
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
    fig, ax = plt.subplots(figsize=(plotting.width(0.55), 2.3))
    for s, errs in truncation.items():
        Ns = [int(n) for n in errs]
        ax.semilogy(Ns, [max(e, 1e-17) for e in errs.values()], label=f"W scaled by {s}")
    ax.set_xlabel("truncation N (steps)")
    ax.set_ylabel("relative error of dL/dW")
    ax.legend(frameon=False)
    fig.tight_layout()
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
