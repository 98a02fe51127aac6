"""Notebook 08's presentation: the GLR speed table and macros, from
results/08-proposed-model/speed.json only."""

from pathlib import Path

import pandas as pd

from rnnpaper import paths, results
from rnnpaper.report import latex

from .config import PRODUCER, STEM

SHORT = {  # bench_glr.py implementation -> macro key
    "GLR, sequential scan": "sequential",
    "GLR, chunked scan": "chunked",
    "GLR, fused": "fused",
}


def speed_frame(speed: dict) -> pd.DataFrame:
    """Per length and implementation: training and inference tokens per CPU-second (thousands)
    and the median per-repetition ratio to the fused LSTM."""
    rows = []
    for T, impls in speed["lengths"].items():
        for name, r in impls.items():
            rows.append(
                {
                    "T": int(T),
                    "Implementation": name,
                    "Train ktok/s": f"{r['train']['tokens_per_s'] / 1e3:.0f}",
                    "Train ratio": f"{r['train']['ratio_to_fused_lstm']:.2f}",
                    "Infer ktok/s": f"{r['infer']['tokens_per_s'] / 1e3:.0f}",
                    "Infer ratio": f"{r['infer']['ratio_to_fused_lstm']:.2f}",
                }
            )
    return pd.DataFrame(rows)


def macro_values(speed: dict) -> dict:
    cfg = speed["config"]
    v = {
        "glr bench reps": cfg["reps"],
        "glr bench batch": cfg["batch"],
        "glr bench hidden": cfg["hidden"],
        "glr bench threads": cfg["threads"],
        "glr bench processes": cfg.get("processes", 1),
    }
    for T, impls in speed["lengths"].items():
        for name, key in SHORT.items():
            if name not in impls:
                continue
            for mode in ("train", "infer"):
                r = impls[name][mode]
                k = f"glr {key} {mode} T {T}"
                v[f"{k} ratio"] = f"{r['ratio_to_fused_lstm']:.2f}"
                v[f"{k} min"], v[f"{k} max"] = f"{r['ratio_min']:.2f}", f"{r['ratio_max']:.2f}"
                medians = r.get("process_ratios", [r["ratio_to_fused_lstm"]])  # one per process
                v[f"{k} process min"], v[f"{k} process max"] = (
                    f"{min(medians):.2f}",
                    f"{max(medians):.2f}",
                )
    return v


def report(profile: str = "smoke") -> dict:
    """The speed table and the macros of one profile's results."""
    out = paths.outputs(profile)
    speed = results.read_json(Path(out.results) / STEM / "speed.json")
    g = Path(out.generated)
    return {
        "speed": latex.table(
            speed_frame(speed), g / f"{STEM}_speed.tex", PRODUCER, digits=0, align="rlrrrr"
        ),
        "macros": latex.macros(macro_values(speed), g / f"{STEM}_macros.tex", PRODUCER),
    }
