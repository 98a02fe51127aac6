"""The classification report: tables, macros and figures from the results files only.

``report(profile)`` reads ``results/06-classification/`` (or ``build/<profile>/results/...``)
and writes ``paper/generated/06-classification_*.tex`` and ``figures/06-classification_*``.
"""

from pathlib import Path

import matplotlib.pyplot as plt

from rnnpaper import paths
from rnnpaper.models import baselines
from rnnpaper.report import latex, plotting
from rnnpaper.studies.classification import (
    ablation_report,
    figures,
    macros,
    protocol,
    protocol_report,
)
from rnnpaper.studies.classification.config import (
    EQUAL_PARAMS_ROWS,
    MAIN,
    POOLING_ROWS,
    PRODUCER,
    STEM,
)
from rnnpaper.studies.classification.frames import (
    baseline_table,
    concat,
    datasets_present,
    load_baselines,
    load_data_info,
    load_runs,
    rows_present,
    run_table,
    summarize,
)
from rnnpaper.studies.classification.tables import (
    cost_frame,
    grid,
    presets_frame,
    published_frame,
    significance,
    significance_frame,
)


def report(profile: str = "smoke") -> dict:
    """Tables, macros and figures of one profile's results (``user-<profile>`` for own data)."""
    if profile in protocol.PROFILES:  # the protocol's own tables, into build/<profile>/
        return protocol_report.report(profile)
    out = paths.outputs(profile)
    res = out.results / STEM
    tables = build_tables(res, out.generated)
    if profile == "paper":  # the tuned protocol's committed results, beside the first study
        tables |= {
            f"protocol_{k}": v
            for k, v in protocol_report.build_tables(res / protocol.FOLDER, out.generated).items()
        }
        tables |= {  # and the proposed cell's ablation under that protocol
            f"ablation_{k}": v
            for k, v in ablation_report.build(out.results, out.generated, out.figures).items()
        }
    return {**tables, **build_figures(res, out.figures)}


def build_tables(results_dir: Path, generated: Path) -> dict:
    """Every table and the macros file of the study, from the results files only."""
    runs, bl = load_runs(results_dir), load_baselines(results_dir)
    info = load_data_info(results_dir)
    df, bdf = run_table(runs), baseline_table(bl)
    df.attrs["train_config"] = runs[0]["fit"]["train_config"] if runs else {}
    acc, f1 = summarize(df), summarize(df, "macro_f1")
    bacc, bf1 = summarize(bdf), summarize(bdf, "macro_f1")
    ds = datasets_present(df)
    rows = rows_present(df, MAIN) + list(baselines.FACTORIES)
    g = Path(generated)
    w = lambda frame, name, **kw: latex.table(frame, g / f"{STEM}_{name}.tex", PRODUCER, **kw)
    out = {
        "main": w(grid(concat(acc, bacc), rows, ds), "accuracy"),
        "f1": w(grid(concat(f1, bf1), rows, ds), "macro_f1"),
        "presets": w(presets_frame(), "presets", digits=0),
        "published": w(
            published_frame(acc, bacc),
            "published",
            align=f"llr{latex.ragged('2.6cm')}l{latex.ragged('3.0cm')}",
        ),
    }
    eq_rows = rows_present(df, EQUAL_PARAMS_ROWS)
    eq_ds = [d for d in ds if not df[(df.dataset == d) & df.preset.str.endswith("-eqp")].empty]
    if eq_ds:
        frame = grid(acc, eq_rows, eq_ds)
        first = df.groupby("preset")[["hidden_size", "recurrent_parameters", "lr"]].first()
        frame.insert(1, "Hidden", [int(first.hidden_size[p]) for p in eq_rows])
        frame.insert(2, "Rec. params", [int(first.recurrent_parameters[p]) for p in eq_rows])
        frame.insert(3, "lr", [f"{first.lr[p]:g}" for p in eq_rows])
        out["eqp"] = w(frame, "equal_params", digits=0)
    pool_rows = rows_present(df, POOLING_ROWS)
    if len(pool_rows) > 1:
        frame = grid(acc, pool_rows, ds)
        pooling = df.groupby("preset")["pooling"].first()
        frame.insert(1, "Pooling", [pooling[p] for p in pool_rows])
        out["pooling"] = w(frame, "pooling")
    sig = significance(runs, bl, info)
    out["significance"] = w(significance_frame(sig), "significance")
    out["cost"] = w(cost_frame(df, ds), "cost", digits=0)
    out["macros"] = latex.macros(
        macros.values(runs, bl, info, df, (acc, f1, bacc, bf1), sig, results_dir),
        g / f"{STEM}_macros.tex",
        PRODUCER,
    )
    return out


def build_figures(results_dir: Path, figures_dir: Path) -> dict:
    """The study's three figures, from the results files only."""
    plotting.use_style()
    runs, bl = load_runs(results_dir), load_baselines(results_dir)
    info = load_data_info(results_dir)
    out = {}
    for name, make in (
        ("curves", lambda: figures.learning_curves(runs)),
        ("length", lambda: figures.length_figure(runs, bl, info)),
        ("confusion", lambda: figures.confusion_figure(runs, info)),
    ):
        fig = make()
        out[name] = plotting.save(fig, Path(figures_dir) / f"{STEM}_{name}")
        plt.close(fig)
    return out
