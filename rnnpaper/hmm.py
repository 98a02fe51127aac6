"""The HMM study of notebook 05 (its algorithms live in :mod:`rnnpaper.models.hmm`)."""

from dataclasses import dataclass

import numpy as np

from rnnpaper.models.hmm import (  # noqa: F401  (re-exported until the study moves)
    GMMHMMClassifier,
    HMMConfig,
    backward,
    brute_force,
    forward,
    gmm_log_emissions,
    joint_log_prob,
    model_arrays,
    posteriors,
    viterbi,
)


def sequences(token_lists, index: dict, X: np.ndarray) -> list[np.ndarray]:
    """Each text as its known words' vectors (T, d); a text with none gets one zero vector."""
    out = []
    for toks in token_lists:
        ids = [index[t] for t in toks if t in index]
        out.append(X[ids] if ids else np.zeros((1, X.shape[1]), dtype=X.dtype))
    return out


# ---------------------------------------------------------------- the study of notebook 05

STEM = "05-hmm"
PRODUCER = f"{STEM}.ipynb"


@dataclass(frozen=True)
class Study:
    """Sizes of notebook 05: features, training subset, sweep grid, seeds."""

    pca_dim: int  # word vectors projected (PCA, whitened) to this many dimensions
    train_per_class: int | None  # training sentences per class used to fit each HMM
    states: tuple  # M values swept
    mixes: tuple  # k values swept
    n_iter: int
    seeds: int  # hmmlearn random_state values for the chosen (M, k)
    vectors: tuple = ("skipgram", "neg")  # which of notebook 04's variants
    dataset: str = "sst2"


PROFILES = {
    "smoke": Study(pca_dim=8, train_per_class=150, states=(1, 2), mixes=(1, 2), n_iter=3, seeds=2),
    "paper": Study(
        pca_dim=12, train_per_class=800, states=(1, 2, 4, 8), mixes=(1, 2, 4), n_iter=10, seeds=3
    ),
}


def features(profile: str, log=print) -> dict:
    """SST-2 splits as sequences of PCA-whitened word vectors, plus labels and tokens."""
    from sklearn.decomposition import PCA

    from rnnpaper import data, profiles, text, word2vec

    study = profiles.resolve(PROFILES, profile)
    words, X, _ = word2vec.cached_vectors(profile, *study.vectors, log=log)
    pca = PCA(study.pca_dim, whiten=True, random_state=0).fit(X)
    Z = pca.transform(X)  # (V, d)
    index = {w: i for i, w in enumerate(words)}
    dd = data.load(study.dataset)
    pre = data.REGISTRY[study.dataset].pretokenized
    out = {"explained_variance": float(pca.explained_variance_ratio_.sum())}
    for split in ("train", "validation", "test"):
        toks = [text.tokenize(t, pre) for t in dd[split]["text"]]
        labels = np.asarray(dd[split]["label"])
        if split == "train" and study.train_per_class:
            rng = np.random.default_rng(0)
            keep = np.sort(
                np.concatenate(
                    [
                        rng.permutation(np.flatnonzero(labels == c))[: study.train_per_class]
                        for c in np.unique(labels)
                    ]
                )
            )
            toks, labels = [toks[i] for i in keep], labels[keep]
        out[split] = {"tokens": toks, "labels": labels, "seqs": sequences(toks, index, Z)}
    out["coverage"] = float(np.mean([t in index for s in out["test"]["tokens"] for t in s]))
    return out


def _evaluate(clf, split) -> dict:
    from rnnpaper import metrics

    return metrics.scores(split["labels"], clf.predict(split["seqs"]), 2)


def run_sweep(profile: str, feats: dict, log=print) -> dict:
    """Validation scores over the (M, k) grid, then the best (M, k) with several seeds."""
    from threadpoolctl import threadpool_limits

    from rnnpaper import profiles

    study = profiles.resolve(PROFILES, profile)
    tr, va, te = feats["train"], feats["validation"], feats["test"]
    with threadpool_limits(1):  # BLAS threads on a shared 2-core CPU: 10-20x slower
        return _sweep(study, tr, va, te, feats, log)


def _sweep(study, tr, va, te, feats, log) -> dict:
    import time

    from rnnpaper import results

    grid = []
    for M in study.states:
        for k in study.mixes:
            t0 = time.perf_counter()
            clf = GMMHMMClassifier(HMMConfig(M, k, study.n_iter, seed=0))
            clf.fit(tr["seqs"], tr["labels"])
            grid.append(
                {
                    "M": M,
                    "k": k,
                    "fit_s": time.perf_counter() - t0,
                    "validation": _evaluate(clf, va),
                }
            )
            log(grid[-1])
    best = max(grid, key=lambda r: r["validation"]["accuracy"])
    multi = max((r for r in grid if r["M"] > 1), key=lambda r: r["validation"]["accuracy"])
    seeds = _seeds(study, best, tr, va, te)
    # M = 1, k = 1 has no random step; the best model with a real chain shows the seed spread
    seeds_multi = _seeds(study, multi, tr, va, te)
    return {
        "grid": grid,
        "best": {"M": best["M"], "k": best["k"]},
        "seeds": seeds,
        "best_multi": {"M": multi["M"], "k": multi["k"]},
        "seeds_multi": seeds_multi,
        "study": study,
        "explained_variance": feats["explained_variance"],
        "coverage": feats["coverage"],
        "train_size": len(tr["labels"]),
        "environment": results.environment(),
        **results.provenance(),
    }


def _seeds(study, cfg_row, tr, va, te) -> list[dict]:
    """Refit one (M, k) with each hmmlearn random_state; validation and test scores."""
    out = []
    for seed in range(study.seeds):
        clf = GMMHMMClassifier(HMMConfig(cfg_row["M"], cfg_row["k"], study.n_iter, seed=seed))
        clf.fit(tr["seqs"], tr["labels"])
        out.append({"seed": seed, "validation": _evaluate(clf, va), "test": _evaluate(clf, te)})
    return out


def decode_examples(feats: dict, M: int, k: int, n_iter: int, n: int = 2) -> list[dict]:
    """Posteriors (forward-backward) and the Viterbi path of the positive-class HMM on the
    first ``n`` test sentences of 8 to 14 known words."""
    from threadpoolctl import threadpool_limits

    tr, te = feats["train"], feats["test"]
    with threadpool_limits(1):
        clf = GMMHMMClassifier(HMMConfig(M, k, n_iter, seed=0)).fit(tr["seqs"], tr["labels"])
    model = clf.models[1]
    out = []
    for toks, seq in zip(te["tokens"], te["seqs"], strict=True):
        if 8 <= len(seq) <= 14 and len(seq) == len(toks):
            arrays = model_arrays(model, seq)
            path, logp = viterbi(*arrays)
            out.append(
                {
                    "tokens": toks,
                    "gamma": posteriors(*arrays),
                    "viterbi": path,
                    "viterbi_logp": logp,
                    "loglik": forward(*arrays)[1],
                }
            )
            if len(out) == n:
                break
    return out


# ---------------------------------------------------------------- tables, macros, figures


def _pm(values) -> str:
    from rnnpaper.report import latex

    return latex.pm(values, scale=100.0)


def sweep_frame(sweep: dict):
    """Validation accuracy (%) of every (M, k), rows M, columns k."""
    import pandas as pd

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
    """LSTM/GRU test scores on the same split from notebook 04's runs.

    Notebook 06's tuned runs are left out on purpose: they are committed on their own schedule,
    and this table must stay a function of results that exist when notebook 05 runs."""
    from pathlib import Path

    from rnnpaper import results

    rows = []
    p = Path(results_dir) / "04-word2vec" / "inits.json"
    if p.exists():
        runs = results.read_json(p)["runs"]
        for cell in ("lstm", "gru"):
            for init, frozen, name in (
                ("random", False, "random emb."),
                ("skipgram", False, "skip-gram emb., fine-tuned"),
            ):
                sel = [
                    r
                    for r in runs
                    if (r["dataset"], r["cell"], r["init"], r["frozen"])
                    == (dataset, cell, init, frozen)
                ]
                if sel:
                    rows.append(
                        {
                            "Model": f"{cell.upper()}, {name} (nb. 04)",
                            "Accuracy": _pm([r["test"]["accuracy"] for r in sel]),
                            "Macro F1": _pm([r["test"]["macro_f1"] for r in sel]),
                            "Runs": len(sel),
                        }
                    )
    return rows


def compare_frame(sweep: dict, results_dir):
    import pandas as pd

    rows = []
    for key, seeds_key in (("best", "seeds"), ("best_multi", "seeds_multi")):
        s, b = sweep[seeds_key], sweep[key]
        rows.append(
            {
                "Model": f"GMM-HMM, M = {b['M']}, k = {b['k']}",
                "Accuracy": _pm([r["test"]["accuracy"] for r in s]),
                "Macro F1": _pm([r["test"]["macro_f1"] for r in s]),
                "Runs": len(s),
            }
        )
    return pd.DataFrame(rows + rnn_rows(results_dir))


def macro_values(sweep: dict, decode: dict) -> dict:
    s = sweep["seeds"]
    acc = [100 * r["test"]["accuracy"] for r in s]
    grid = [100 * r["validation"]["accuracy"] for r in sweep["grid"]]
    return {
        "hmm best M": sweep["best"]["M"],
        "hmm best k": sweep["best"]["k"],
        "hmm test acc": float(np.mean(acc)),
        "hmm test acc std": float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0,
        "hmm seeds": len(s),
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
        "hmm multi test acc": 100
        * float(np.mean([r["test"]["accuracy"] for r in sweep["seeds_multi"]])),
        "hmm multi test acc std": 100
        * float(np.std([r["test"]["accuracy"] for r in sweep["seeds_multi"]], ddof=1)),
        "hmm example viterbi gap": decode["examples"][0]["loglik"]
        - decode["examples"][0]["viterbi_logp"],
    }


def decode_figure(decode: dict):
    """Posterior state probabilities (forward-backward) with the Viterbi path on top."""
    import matplotlib.pyplot as plt

    from rnnpaper.report import plotting

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


def build_outputs(results_dir, generated, figures=None) -> dict:
    """Tables, macros (and the figure, if ``figures``) from committed results files only."""
    from pathlib import Path

    from rnnpaper import results
    from rnnpaper.report import latex, plotting

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
