"""Every number the classification section's prose quotes, as LaTeX macros."""

from pathlib import Path

import pandas as pd
from scipy import stats

from rnnpaper import results
from rnnpaper.models import baselines, registry
from rnnpaper.models.classifier import recurrent_parameters
from rnnpaper.report import labels
from rnnpaper.studies.classification.config import DATASETS, DOCUMENTS, MAIN, PRESETS, SMALL
from rnnpaper.studies.classification.figures import LENGTH_EDGES, bucket_frame
from rnnpaper.studies.classification.frames import compute_seconds, concat, label
from rnnpaper.studies.classification.tables import SIGN_FLIP_RESAMPLES

MACRO_KEYS = {"20newsgroups": "newsgroups"}  # macro names cannot start from digits nicely


def _k(ds: str) -> str:
    return MACRO_KEYS.get(ds, ds)


def values(runs, bl, info, df, summaries, sig, results_dir) -> dict:
    """Every number the paper's prose quotes, keyed for latex.macro_name. ``summaries``:
    accuracy and macro-F1 summaries of the neural runs and of the baselines."""
    acc, f1, bacc, bf1 = summaries
    v = {}
    for r in concat(acc, bacc).itertuples():
        v[f"cls {_k(r.dataset)} {r.preset} acc"] = r.mean
        v[f"cls {_k(r.dataset)} {r.preset} std"] = r.std
    for r in concat(f1, bf1).itertuples():
        v[f"cls {_k(r.dataset)} {r.preset} f one"] = r.mean
    for s in sig:
        ds = _k(s["dataset"])
        v[f"cls {ds} mcnemar p"] = f"{s['mcnemar_p']:.3f}"
        v[f"cls {ds} signflip p"] = f"{s['sign_flip_p']:.3f}"
        v[f"cls {ds} best"] = label(s["best"])
        v[f"cls {ds} second"] = label(s["second"])
    neural = acc[acc.preset.isin(MAIN)]
    for ds, sub in neural.groupby("dataset"):
        best = sub.loc[sub["mean"].idxmax()]
        v[f"cls {_k(ds)} best neural"] = label(best["preset"])
        v[f"cls {_k(ds)} best neural acc"] = best["mean"]
        worst = sub.loc[sub["mean"].idxmin()]
        v[f"cls {_k(ds)} worst neural"] = label(worst["preset"])
        v[f"cls {_k(ds)} worst neural acc"] = worst["mean"]
        v[f"cls {_k(ds)} max std"] = sub["std"].max()
    top = concat(acc, bacc).sort_values("mean").groupby("dataset").tail(1)
    v["cls linear best"] = int(top.preset.isin(list(baselines.FACTORIES)).sum())
    for r in top.itertuples():
        v[f"cls {_k(r.dataset)} top"] = label(r.preset)
        v[f"cls {_k(r.dataset)} top acc"] = r.mean
    v["cls datasets"] = len(top)
    v.update(_budget_macros(df, info, results_dir, runs, bl))
    v.update(_length_macros(runs, bl, info))
    v.update(_comparison_macros(df, acc))
    return v


def equal_params_deltas(df):
    """Per dataset and cell: accuracy at equal parameters minus at equal hidden size (points),
    and Welch's t-test over seeds (two-sided, uncorrected)."""
    rows = []
    for (ds, preset), eqp in df[df.preset.str.endswith("-eqp")].groupby(["dataset", "preset"]):
        base = df[(df.dataset == ds) & (df.preset == preset.removesuffix("-eqp"))]["accuracy"]
        if len(base) < 2 or len(eqp) < 2:
            continue
        t = stats.ttest_ind(eqp["accuracy"], base, equal_var=False)
        delta = 100 * (eqp["accuracy"].mean() - base.mean())
        rows.append({"dataset": ds, "preset": preset, "delta": delta, "p": float(t.pvalue)})
    return pd.DataFrame(rows, columns=["dataset", "preset", "delta", "p"])


def _comparison_macros(df, acc) -> dict:
    """Summaries across datasets: the equal-parameter deltas and the pooling ablation."""
    v = {}
    d = equal_params_deltas(df)
    if len(d):
        v["cls eqp pairs"] = len(d)
        v["cls eqp significant gains"] = int(((d.p < 0.05) & (d.delta > 0)).sum())
        v["cls eqp significant losses"] = int(((d.p < 0.05) & (d.delta < 0)).sum())
        elman, gru = d[d.preset.str.contains("rnn")], d[d.preset.str.contains("gru")]
        v["cls eqp elman pairs"] = len(elman)
        v["cls eqp elman losses"] = int((elman.delta < 0).sum())
        v["cls eqp gru pairs"] = len(gru)
        v["cls eqp gru gains"] = int((gru.delta > 0).sum())
        lr = df.groupby("preset")["lr"].first() if "lr" in df else None
        if lr is not None:  # pairs whose two presets were tuned to different learning rates
            differs = [p for p in sorted(set(d.preset)) if lr[p] != lr[p.removesuffix("-eqp")]]
            v["cls eqp lr differs"] = len(differs)
            v["cls eqp lr differs models"] = " and ".join(
                label(p.removesuffix("-eqp")) for p in differs
            )
            same = d[~d.preset.isin(differs)]
            if len(same):
                v["cls eqp same lr max gain"] = max(0.0, same.delta.max())
                v["cls eqp same lr max loss"] = max(0.0, -same.delta.min())
        for name, part in (("max gain", d[d.delta > 0]), ("max loss", d[d.delta < 0])):
            if len(part):
                row = part.loc[part.delta.abs().idxmax()]
                v[f"cls eqp {name}"] = abs(row.delta)
                v[f"cls eqp {name} model"] = label(row.preset.removesuffix("-eqp"))
                v[f"cls eqp {name} data"] = labels.dataset(row.dataset)
    mean = acc.set_index(["dataset", "preset"])["mean"]
    spreads = [  # the widest gap between the one-direction cells on a sentence-level set
        max(mean[(ds, c)] for c in registry.COMPARED)
        - min(mean[(ds, c)] for c in registry.COMPARED)
        for ds in SMALL
        if all((ds, c) in mean for c in registry.COMPARED)
    ]
    if spreads:
        v["cls sentence uni spread"] = max(spreads)
    pooled = [ds for ds in DATASETS if (ds, "bilstm-last") in mean and (ds, "bilstm") in mean]
    if pooled:
        v["cls pool datasets"] = len(pooled)
        v["cls pool mean beats last"] = sum(
            bool(mean[(ds, "bilstm")] > mean[(ds, "bilstm-last")]) for ds in pooled
        )
        maxed = [ds for ds in pooled if (ds, "bilstm-max") in mean]
        v["cls pool max beats mean"] = sum(
            bool(mean[(ds, "bilstm-max")] > mean[(ds, "bilstm")]) for ds in maxed
        )
    return v


def _length_macros(runs, bl, info) -> dict:
    """Accuracy in the shortest and the longest length bucket, per cell, on the documents."""
    v = {}
    for ds in DOCUMENTS:
        if ds not in info or not any(r["dataset"] == ds for r in runs):
            continue
        f = bucket_frame(runs, bl, info, ds)
        for p, sub in f.groupby("preset"):
            v[f"cls {_k(ds)} {p} shortest"] = 100 * sub["accuracy"].iloc[0]
            v[f"cls {_k(ds)} {p} longest"] = 100 * sub["accuracy"].iloc[-1]
        edges = LENGTH_EDGES[ds]
        v[f"cls {_k(ds)} shortest below"] = edges[1]
        v[f"cls {_k(ds)} longest from"] = edges[-1]
    return v


def _c_grid(bl: dict) -> list[float]:
    """The C values the linear baselines were tuned over, as their results record them."""
    grid = next(iter(bl.values()))["models"]["tfidf_lr"]["grid"] if bl else []
    return sorted({g["C"] if isinstance(g, dict) else g for g in grid})


def _budget_macros(df, info, results_dir, runs, bl) -> dict:
    v = {}
    study = Path(results_dir) / "study.json"
    if study.exists():
        sizes = results.read_json(study)["sizes"]
        v["cls max len"] = sizes["max_len"]
        v["cls vocab size"] = sizes["vocab_size"]
        v["cls seeds small"] = sizes["seeds_small"]
        v["cls seeds documents"] = sizes["seeds_documents"]
        v["cls imdb train"] = sizes["train_limit"].get("imdb") or 0
        v["cls newsgroups train"] = sizes["train_limit"].get("20newsgroups") or 0
        v["cls lr grid"] = ", ".join(f"{lr:g}" for lr in sizes["lr_grid"])
        v["cls lr values"] = len(sizes["lr_grid"])
        v["cls patience"] = sizes["patience"]
        for ds, e in sizes["epochs"].items():
            v[f"cls {_k(ds)} epochs"] = e
        v["cls batch sentences"] = 64
        v["cls batch documents"] = sizes["batch_size"].get("imdb", 64)
        v["cls quantum"] = sizes["length_quantum"].get("imdb", 1)
        v["cls workers"] = sizes.get("workers", 1)
        v["cls study minutes"] = results.read_json(study)["wall_s_total"] / 60
        v["cls compute minutes"] = compute_seconds(Path(results_dir), runs, bl) / 60
    v["cls neural runs"] = len(df)
    tc = df.attrs.get("train_config") or {}
    v["cls weight decay"] = f"{tc.get('weight_decay', 0.01):g}"
    v["cls clip"] = f"{tc.get('clip_norm', 1.0):g}"
    v["cls beta grid"] = ", ".join(f"{b:g}" for b in baselines.BETA_GRID)
    v["cls c grid"] = ", ".join(f"{c:g}" for c in _c_grid(bl))
    v["cls resamples"] = SIGN_FLIP_RESAMPLES
    base = PRESETS["bilstm"]
    v["cls embed"], v["cls hidden"] = base.embed_dim, base.hidden_size
    v["cls dropout"] = f"{base.dropout:.1f}"
    for bi in ("", "bi"):
        for cell in ("rnn", "gru"):
            v[f"cls {bi}{cell} eqp hidden"] = PRESETS[f"{bi}{cell}-eqp"].hidden_size
        v[f"cls {bi}lstm params"] = recurrent_parameters(PRESETS[f"{bi}lstm"])
    chosen = Path(results_dir) / "tuning" / "chosen.json"
    if chosen.exists():
        ch = results.read_json(chosen)
        v["cls tuning runs"] = len(list((Path(results_dir) / "tuning").glob("*-lr*.json")))
        v["cls tuned presets"] = len(ch["lr"])
        v["cls tuned at top"] = sum(lr == max(ch["lr_grid"]) for lr in ch["lr"].values())
        v["cls tuned at bottom"] = sum(lr == min(ch["lr_grid"]) for lr in ch["lr"].values())
    for ds, d in info.items():
        pre = d["provenance"]["preprocessing"]
        v[f"cls {_k(ds)} truncated pct"] = 100 * pre["train_truncated_fraction"]
        v[f"cls {_k(ds)} test size"] = pre["sizes"]["test"]
        v[f"cls {_k(ds)} validation size"] = pre["sizes"]["validation"]
        v[f"cls {_k(ds)} train size"] = pre["sizes"]["train"]
        v[f"cls {_k(ds)} mean tokens"] = pre["train_mean_tokens"]
    for ds in ("imdb", "sst2"):
        for p in ("rnn", "lstm", "bilstm"):
            t = df[(df.dataset == ds) & (df.preset == p)]["tokens_per_s"]
            if len(t):
                v[f"cls {_k(ds)} {p} ktok"] = t.mean() / 1e3
    return v
