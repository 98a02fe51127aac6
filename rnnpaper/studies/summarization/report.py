"""The summarization study's presentation: results/07-summarization/ -> tables, macros and
figures (paper/generated/, figures/; build/<profile>/... for other profiles). Never trains."""

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from rnnpaper import paths
from rnnpaper.report import latex, plotting
from rnnpaper.studies.summarization import figures
from rnnpaper.studies.summarization import tables as T
from rnnpaper.studies.summarization.config import DATASETS, PRODUCER, STEM
from rnnpaper.studies.summarization.macros import copy_macros, macro_values

EXAMPLES_MAX_SRC = {"gigaword": 30, "aeslc": 45}  # longest source shown in the examples tables


def build_tables(results_dir: Path) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Every table of the section by name, with the options :func:`latex.table` writes it with."""
    runs, records = T.load_runs(results_dir), T.load_records(results_dir)
    out = {}
    for ds in (d for d in DATASETS if d in records):
        out[ds] = T.scores_table(runs, records[ds], ds), {"digits": 1}
    if "gigaword" in records:
        out["published"] = T.published_table(runs, records), {"align": "lrrrrl"}
    for ds, max_src in EXAMPLES_MAX_SRC.items():
        if ds in records:
            n = records[ds]["profile"]["n_examples"]
            df = T.examples_table(results_dir, records[ds], ds, n, max_src)
            align = latex.ragged("4.2cm") + latex.ragged("2.3cm") * (len(df.columns) - 1)
            out[f"examples_{ds}"] = df, {"align": align}
    all_runs = T.load_runs(results_dir, copy=None)
    if not all_runs.empty and (~all_runs["copy"]).any():
        ds = all_runs[~all_runs["copy"]].dataset.iloc[0]
        out["copy"] = T.copy_table(all_runs, ds), {"align": "llrrrrrr"}
    return out


def write_report(results_dir: Path, generated: Path) -> list[Path]:
    """Every generated LaTeX file of the section, from the results files alone."""
    g = Path(generated)
    written = [
        latex.table(df, g / f"{STEM}_{name}.tex", PRODUCER, **options)
        for name, (df, options) in build_tables(results_dir).items()
    ]
    runs, records = T.load_runs(results_dir), T.load_records(results_dir)
    values = {**macro_values(runs, records), **copy_macros(T.load_runs(results_dir, copy=None))}
    written.append(latex.macros(values, g / f"{STEM}_macros.tex", PRODUCER))
    return written


def write_figures(results_dir: Path, figures_dir: Path) -> list[Path]:
    """Every figure of the section (PDF beside PNG), from the results files alone."""
    plotting.use_style()
    records = T.load_records(results_dir)
    out = []
    for name, fig in (
        ("length", figures.plot_length(results_dir, records)),
        ("attention", figures.plot_attention(results_dir)),
        ("curves", figures.plot_curves(results_dir, records)),
    ):
        out.append(plotting.save(fig, Path(figures_dir) / f"{STEM}_{name}.pdf"))
        plt.close(fig)
    return out


def dataframes(profile: str) -> dict[str, pd.DataFrame]:
    """The section's tables of ``profile``'s results, for display."""
    results_dir = paths.outputs(profile).results / STEM
    return {name: df for name, (df, _) in build_tables(results_dir).items()}


def report(profile: str) -> dict[str, Path]:
    """Write every table, macro file and figure of ``profile``'s results; name -> path."""
    out = paths.outputs(profile)
    results_dir = out.results / STEM
    written = write_report(results_dir, out.generated) + write_figures(results_dir, out.figures)
    return {p.stem.removeprefix(f"{STEM}_"): p for p in written}
