"""The protocol's tables (:mod:`.protocol`), from its results files only.

``report(profile)`` reads ``results/06-classification/protocol/`` and writes
``06-classification_protocol_*.tex`` into the profile's generated folder (``build/<profile>/``
until the paper adopts them): the chosen settings, convergence counts, the cut lengths,
accuracy and macro-F1 grids, all four metrics, and the paired tests against each dataset's
best row with Holm's correction over the whole table.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from rnnpaper import metrics, paths, results
from rnnpaper.models import baselines
from rnnpaper.report import labels, latex
from rnnpaper.studies.classification.config import DOCUMENTS, PRODUCER, STEM
from rnnpaper.studies.classification.frames import (
    baseline_table,
    concat,
    label,
    run_table,
    summarize,
)
from rnnpaper.studies.classification.macros import MACRO_KEYS
from rnnpaper.studies.classification.protocol import (
    CEILING,
    FOLDER,
    ORDER,
    PRESETS,
    PROFILES,
    PROPOSED,
    Protocol,
    decode_labels,
)
from rnnpaper.studies.classification.tables import grid

LINEAR = ("tfidf_lr", "nbsvm")
SENTENCES = ("trec", "sst2", "sst5")
METRICS = ("accuracy", "macro_precision", "macro_recall", "macro_f1")
SIGN_FLIP_RESAMPLES = 20000


def _read(folder: Path, pattern: str) -> list[dict]:
    return [results.read_json(p) for p in sorted(folder.glob(pattern))]


def load(res: Path, sizes: Protocol | None = None) -> dict:
    """Every protocol results file under ``res``, by kind. A dataset's test runs count only once
    every chosen model has every seed of ``sizes`` (default: the "protocol" profile); until then
    they are left out and the dataset is listed under "pending"."""
    res, sizes = Path(res), sizes or PROFILES["protocol"]
    by_name = lambda pattern: {r["dataset"]: r for r in _read(res, pattern)}
    found = {
        "runs": _read(res / "runs", "*/*.json"),
        "tuning": _read(res / "tuning", "*/*.json"),
        "baselines": by_name("baselines/*.json"),
        "data": by_name("data/*.json"),
        "chosen": by_name("chosen/*.json"),
    }
    have = {(r["dataset"], r["preset"], r["seed"]) for r in found["runs"]}
    found["pending"] = [
        d
        for d in found["chosen"]
        if any((d, p, s) not in have for p in found["chosen"][d]["chosen"] for s in sizes.seeds(d))
    ]
    found["runs"] = [r for r in found["runs"] if r["dataset"] not in found["pending"]]
    return found


def datasets_of(found: dict) -> list[str]:
    return [d for d in ORDER if d in found["data"]]


def rows_of(found: dict, ceiling: bool = True) -> list[str]:
    """Table rows: the presets that ran, then the baselines (cut text, then untruncated)."""
    ran = {r["preset"] for r in found["runs"]}
    rows = [p for p in PRESETS if p in ran] + list(baselines.FACTORIES)
    return rows + [b + CEILING for b in LINEAR] if ceiling else rows


def chosen_frame(found: dict) -> pd.DataFrame:
    """The setting each model chose per dataset on validation: lr / dropout, C, C / beta."""
    ds = [d for d in datasets_of(found) if d in found["chosen"]]
    rows = []
    for p in [p for p in PRESETS if any(p in found["chosen"][d]["chosen"] for d in ds)]:
        picks = {d: found["chosen"][d]["chosen"].get(p) for d in ds}
        cells = {d: f"{c['lr']:g} / {c['dropout']:g}" if c else "--" for d, c in picks.items()}
        rows.append(
            {"Model": label(p), "Setting": "lr / dropout"}
            | {labels.dataset(d): c for d, c in cells.items()}
        )
    for name in [b + s for s in ("", CEILING) for b in LINEAR]:
        models = {d: found["baselines"].get(d, {}).get("models", {}).get(name) for d in ds}
        beta = name.startswith("nbsvm")
        rows.append(
            {"Model": label(name), "Setting": "C / beta" if beta else "C"}
            | {labels.dataset(d): _baseline_setting(m, beta) for d, m in models.items()}
        )
    return pd.DataFrame(rows)


def _baseline_setting(m: dict | None, beta: bool) -> str:
    if m is None:
        return "--"
    return f"{m['C']:g} / {m['beta']:g}" if beta else f"{m['C']:g}"


def convergence(found: dict) -> pd.DataFrame:
    """Per dataset and in all: neural fits, those whose best epoch is before their last, the
    fraction; each fit once (the seed-0 test run is its tuning run's fit)."""
    fits = {}
    for r in found["tuning"] + found["runs"]:
        fits[r["fit"]["config_hash"]] = (r["dataset"], r["best_epoch"] < r["epochs_run"])
    frame = pd.DataFrame(list(fits.values()), columns=["dataset", "before_last"])
    rows = []
    for d in [d for d in ORDER if d in set(frame.dataset)] + ["all"]:
        sub = frame if d == "all" else frame[frame.dataset == d]
        n, k = len(sub), int(sub.before_last.sum())
        rows.append({"dataset": d, "fits": n, "best_before_last": k, "fraction": k / max(1, n)})
    return pd.DataFrame(rows)


def convergence_frame(conv: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Data": [labels.dataset(d) if d != "all" else "All" for d in conv.dataset],
            "Neural fits": conv.fits,
            "Best epoch before last": conv.best_before_last,
            "Share (%)": [f"{100 * f:.1f}" for f in conv.fraction],
        }
    )


def lengths_frame(found: dict) -> pd.DataFrame:
    """Per dataset: the cut length, the share of training texts it keeps whole, split sizes."""
    rows = []
    for d in datasets_of(found):
        info = found["data"][d]
        rows.append(
            {
                "Data": labels.dataset(d),
                "Max. length": info["max_len"],
                "Target whole (%)": f"{100 * info['whole_fraction']:.0f}",
                "Train whole (%)": f"{100 * info['train_whole_fraction']:.1f}",
                "Mean tokens": f"{info['train_mean_tokens']:.0f}",
                **{s.capitalize(): info["sizes"][s] for s in ("train", "validation", "test")},
            }
        )
    return pd.DataFrame(rows)


def summaries(found: dict, metric: str = "accuracy") -> pd.DataFrame:
    """Mean and std over seeds (percent) of ``metric``, neural runs and baselines together."""
    df, bdf = run_table(found["runs"]), baseline_table(found["baselines"])
    parts = [summarize(t, metric) for t in (df, bdf) if len(t)]
    return concat(*parts) if len(parts) == 2 else parts[0]


def metrics_frame(found: dict, datasets=None) -> pd.DataFrame:
    """Accuracy, macro precision, recall and F1 (mean ± std over seeds) of every row (of
    ``datasets``, default all)."""
    cells = {m: summaries(found, m).set_index(["dataset", "preset"]) for m in METRICS}
    names = {"accuracy": "Acc.", "macro_precision": "P", "macro_recall": "R", "macro_f1": "F1"}
    rows = []
    for d in [d for d in datasets_of(found) if datasets is None or d in datasets]:
        for p in rows_of(found):
            if (d, p) not in cells["accuracy"].index:
                continue
            row = {"Data": labels.dataset(d), "Model": label(p)}
            for m, s in cells.items():
                r = s.loc[(d, p)]
                row[names[m]] = latex.mean_pm_std(r["mean"], r["std"], int(r["count"]))
            rows.append(row)
    return pd.DataFrame(rows)


def correctness(found: dict, dataset: str) -> dict:
    """row -> per-example test correctness, averaged over seeds for a neural preset; the
    compared rows only (no majority class, no untruncated ceiling)."""
    y = decode_labels(found["data"][dataset]["test_labels"])
    by = {}
    for r in sorted((r for r in found["runs"] if r["dataset"] == dataset), key=lambda r: r["seed"]):
        by.setdefault(r["preset"], []).append(decode_labels(r["test_pred"]) == y)
    out = {p: np.mean(by[p], 0) for p in PRESETS if p in by}
    for name in LINEAR:
        if m := found["baselines"].get(dataset, {}).get("models", {}).get(name):
            out[name] = (decode_labels(m["test_pred"]) == y).astype(float)
    return out


def paired_tests(found: dict, resamples: int = SIGN_FLIP_RESAMPLES) -> list[dict]:
    """Every row against its dataset's best row (mean test accuracy; the first on a tie):
    the sign-flip test on per-example correctness averaged over seeds
    (:func:`rnnpaper.metrics.sign_flip_test`, on the examples where the two differ, which
    alone move its statistic), then Holm over all the comparisons of the table."""
    rows = []
    for d in datasets_of(found):
        correct = correctness(found, d)
        if not correct:
            continue
        best = max(correct, key=lambda p: correct[p].mean())
        for p in (p for p in correct if p != best):
            rows.append(
                {
                    "dataset": d,
                    "best": best,
                    "row": p,
                    "best_accuracy": 100 * float(correct[best].mean()),
                    "accuracy": 100 * float(correct[p].mean()),
                    "p": paired_p(correct[best], correct[p], resamples),
                }
            )
    return with_holm(rows)


def paired_p(a, b, resamples: int = SIGN_FLIP_RESAMPLES) -> float:
    """The sign-flip test's p of two rows' per-example correctness (averaged over seeds), on the
    examples where they differ, which alone move its statistic; 1 when they never differ."""
    differ = a != b
    return (
        metrics.sign_flip_test(a[differ], b[differ], resamples)["p_value"] if differ.any() else 1.0
    )


def with_holm(rows: list[dict]) -> list[dict]:
    """``rows`` with ``p_holm``: Holm's adjusted p over the whole family of ``rows``."""
    adjusted = metrics.holm([r["p"] for r in rows]) if rows else []
    return [{**r, "p_holm": a} for r, a in zip(rows, adjusted, strict=True)]


def significance_frame(tests: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Data": labels.dataset(t["dataset"]),
                "Best": label(t["best"]),
                "Acc.": f"{t['best_accuracy']:.1f}",
                "Row": label(t["row"]),
                "Acc. row": f"{t['accuracy']:.1f}",
                "p": f"{t['p']:.4f}",
                "Holm p": f"{t['p_holm']:.4f}",
            }
            for t in tests
        ]
    )


def macro_values(found: dict, tests: list[dict] | None = None) -> dict:
    """Every protocol number the paper's prose quotes, keyed for latex.macro_name ("prot ...").
    ``tests``: :func:`paired_tests` of ``found`` when the caller has them already."""
    acc = summaries(found).set_index(["dataset", "preset"])
    tests = paired_tests(found) if tests is None else tests
    conv = convergence(found).set_index("dataset")
    per_dataset = ["best", "best acc", "best neural", "best neural acc", "best neural holm p"]
    per_dataset += ["max len", "train"]
    models = PROFILES["protocol"].presets  # the protocol's models (not the ablations)
    per_dataset += [f"{p} {s}" for p in models for s in ("acc", "std")]
    per_dataset += [f"glr {s}" for s in ("best", "best acc", "rank", "gap", "holm p")]
    v = {f"prot {MACRO_KEYS.get(d, d)} {key}": "--" for d in ORDER for key in per_dataset}
    v["prot fits"] = int(conv.fits["all"])  # (a dataset not yet run keeps "--" above)
    v["prot fits before last"] = int(conv.best_before_last["all"])
    v["prot share before last"] = 100 * conv.fraction["all"]
    per = conv.fraction.drop("all")
    v["prot min share before last"] = 100 * per.min()
    v["prot min share data"] = labels.dataset(per.idxmin())
    v["prot lr grid"] = ", ".join(f"{x:g}" for x in sorted({r["lr"] for r in found["tuning"]}))
    first = [r["dropout"] for r in found["tuning"]]
    v["prot dropout first"] = f"{max(set(first), key=first.count):g}" if first else "--"
    whole = {found["data"][d]["whole_fraction"] for d in DOCUMENTS if d in found["data"]}
    v["prot whole target"] = ", ".join(f"{100 * w:g}" for w in sorted(whole))
    v["prot dropout grid"] = ", ".join(
        f"{x:g}" for x in sorted({r["dropout"] for r in found["tuning"]})
    )
    patience = {r["dataset"]: r["fit"]["train_config"]["patience"] for r in found["tuning"]}
    caps = {r["dataset"]: r["max_epochs"] for r in found["tuning"]}
    for kind, group in (("sentences", SENTENCES), ("documents", DOCUMENTS)):
        v[f"prot patience {kind}"] = "/".join(
            sorted({str(patience[d]) for d in group if d in patience})
        )
        v[f"prot max epochs {kind}"] = "/".join(sorted({str(caps[d]) for d in group if d in caps}))
        seeds = {r["seed"] for r in found["runs"] if r["dataset"] in group}
        v[f"prot seeds {kind}"] = len(seeds)
    fits = {
        r["fit"]["config_hash"]: r["fit"].get("cpu_s", 0.0) for r in found["tuning"] + found["runs"]
    }
    v["prot cpu hours"] = sum(fits.values()) / 3600
    v["prot significant"] = sum(t["p_holm"] < 0.05 for t in tests)
    v["prot comparisons"] = len(tests)
    ran = {r["preset"] for r in found["runs"]}
    neural = [p for p in PRESETS if p in ran]
    glr_top = linear_top = glr_top_neural = 0  # datasets whose best row is a GLR, a linear
    # baseline; whose best recurrent row is a GLR
    compared = []  # datasets with test runs
    for d in datasets_of(found):
        k = MACRO_KEYS.get(d, d)
        rows = [p for p in rows_of(found, ceiling=False) if (d, p) in acc.index and p != "majority"]
        nn = [p for p in neural if (d, p) in acc.index]
        if not rows or not nn:  # a dataset without test runs yet is left out of the counts
            continue
        compared.append(d)
        best = max(rows, key=lambda p: acc.loc[(d, p), "mean"])
        v[f"prot {k} best"], v[f"prot {k} best acc"] = label(best), acc.loc[(d, best), "mean"]
        linear_top += int(best in LINEAR)
        top_nn = max(nn, key=lambda p: acc.loc[(d, p), "mean"])
        v[f"prot {k} best neural"] = label(top_nn)
        glr_top_neural += int(top_nn in PROPOSED)
        t = [t for t in tests if t["dataset"] == d and t["row"] == top_nn]
        v[f"prot {k} best neural holm p"] = f"{t[0]['p_holm']:.3f}" if t else "--"
        v[f"prot {k} best neural acc"] = acc.loc[(d, top_nn), "mean"]
        for p in nn:
            v[f"prot {k} {p} acc"] = acc.loc[(d, p), "mean"]
            v[f"prot {k} {p} std"] = acc.loc[(d, p), "std"]
        glr = [p for p in PROPOSED if p in nn]
        if glr:
            g = max(glr, key=lambda p: acc.loc[(d, p), "mean"])
            glr_top += int(g == best)
            v[f"prot {k} glr best"], v[f"prot {k} glr best acc"] = label(g), acc.loc[(d, g), "mean"]
            v[f"prot {k} glr rank"] = 1 + int(
                sum(acc.loc[(d, p), "mean"] > acc.loc[(d, g), "mean"] for p in rows)
            )
            v[f"prot {k} glr gap"] = acc.loc[(d, best), "mean"] - acc.loc[(d, g), "mean"]
            t = [t for t in tests if t["dataset"] == d and t["row"] == g]
            v[f"prot {k} glr holm p"] = f"{t[0]['p_holm']:.3f}" if t else "--"
    v["prot glr top"] = glr_top
    v["prot glr top neural"] = glr_top_neural
    for r in found["tuning"] + found["runs"]:  # recurrent parameters (embedding size as run)
        v[f"prot {r['preset']} params"] = r["recurrent_parameters"]
    v["prot linear top"] = linear_top
    v["prot datasets"] = len(compared)
    pending = [labels.dataset(d) for d in datasets_of(found) if d not in compared]
    v["prot pending"] = (
        f" ({', '.join(pending)}: test runs not finished; counted nowhere)" if pending else ""
    )
    for d in datasets_of(found):
        info, k = found["data"][d], MACRO_KEYS.get(d, d)
        v[f"prot {k} max len"] = info["max_len"]
        v[f"prot {k} train"] = info["sizes"]["train"]
    return v


def build_tables(res: Path, generated: Path, sizes: Protocol | None = None) -> dict:
    """Every protocol table from the results under ``res`` (those that have data)."""
    found = load(res, sizes)
    if not found["data"]:
        return {}
    ds, g = datasets_of(found), Path(generated)
    w = lambda frame, name, **kw: latex.table(
        frame, g / f"{STEM}_{FOLDER}_{name}.tex", PRODUCER, **kw
    )
    out = {"lengths": w(lengths_frame(found), "lengths", digits=0)}
    if found["chosen"]:
        frame = chosen_frame(found)
        out["chosen"] = w(frame, "chosen", align="ll" + "r" * (len(frame.columns) - 2))
    if found["runs"] or found["tuning"]:
        out["convergence"] = w(convergence_frame(convergence(found)), "convergence", digits=0)
    if found["runs"] and found["baselines"]:
        out["accuracy"] = w(grid(summaries(found), rows_of(found), ds), "accuracy")
        for part, group in (("sentences", SENTENCES), ("documents", DOCUMENTS)):
            frame = metrics_frame(found, group)
            if len(frame):
                out[f"metrics_{part}"] = w(frame, f"metrics_{part}", align="llrrrr")
        tests = paired_tests(found)  # 20,000 resamples per comparison: computed once
        out["significance"] = w(significance_frame(tests), "significance", align="llrlrrr")
        out["macros"] = latex.macros(
            macro_values(found, tests), g / f"{STEM}_{FOLDER}_macros.tex", PRODUCER
        )
    return out


def report(profile: str = "protocol-smoke") -> dict:
    """The protocol's tables of one profile, into its generated folder."""
    out = paths.outputs(profile)
    return build_tables(out.results / STEM / FOLDER, out.generated, PROFILES[profile])
