"""Notebook 05's compute: GMM-HMM classifiers on word-vector sequences, and decoded examples.

:func:`run` writes ``sweep.json`` and ``decode.json`` under the profile's results folder; a
sweep whose recorded study is the profile's is reused with its decoded examples, not
recomputed (delete the files to recompute).
"""

import time

import numpy as np
from threadpoolctl import threadpool_limits

from rnnpaper import data, metrics, paths, profiles, results, text
from rnnpaper.models.hmm import (
    GMMHMMClassifier,
    HMMConfig,
    forward,
    model_arrays,
    posteriors,
    viterbi,
)
from rnnpaper.studies.hmm.config import PROFILES, STEM, Study
from rnnpaper.tasks import word_vectors


def run(profile: str, log=print) -> dict:
    """sweep.json and decode.json of ``profile`` (name -> payload), reused or recomputed."""
    study = profiles.resolve(PROFILES, profile)
    vs = profiles.resolve(word_vectors.PRESETS, profile)
    rd = paths.outputs(profile).results / STEM
    sweep_path, decode_path = rd / "sweep.json", rd / "decode.json"
    feats = None
    if sweep_path.exists() and sweep_is(results.read_json(sweep_path), study):
        log("sweep.json: its recorded study is the profile's; reused")
    else:
        feats = features(study, vs, log)
        results.write_json(sweep_path, run_sweep(study, feats, log))
    sweep = results.read_json(sweep_path)
    if feats is None and decode_path.exists() and decode_is(results.read_json(decode_path), sweep):
        log("decode.json: decoded with the reused sweep's model; reused")
    else:
        feats = features(study, vs, log) if feats is None else feats
        results.write_json(decode_path, run_decode(study, sweep, feats))
    return {"sweep": sweep, "decode": results.read_json(decode_path)}


def sweep_is(sweep: dict, study: Study) -> bool:
    """sweep.json records the whole study (not the word-vector preset it used)."""
    return sweep["study"] == results.to_jsonable(study)


def decode_is(decode: dict, sweep: dict) -> bool:
    """decode.json records the number of states of the model it decoded with."""
    return decode["M_shown"] == sweep["best_multi"]["M"]


# ---------------------------------------------------------------- features


def sequences(token_lists, index: dict, X: np.ndarray) -> list[np.ndarray]:
    """Each text as its known words' vectors (T, d); a text with none gets one zero vector."""
    out = []
    for toks in token_lists:
        ids = [index[t] for t in toks if t in index]
        out.append(X[ids] if ids else np.zeros((1, X.shape[1]), dtype=X.dtype))
    return out


def features(study: Study, vs: word_vectors.VectorSet, log=print) -> dict:
    """The dataset's splits as sequences of PCA-whitened word vectors, labels and tokens."""
    from sklearn.decomposition import PCA

    words, X, _ = word_vectors.cached_vectors(vs, *study.vectors, log=log)
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
            keep = _per_class(labels, study.train_per_class)
            toks, labels = [toks[i] for i in keep], labels[keep]
        out[split] = {"tokens": toks, "labels": labels, "seqs": sequences(toks, index, Z)}
    out["coverage"] = float(np.mean([t in index for s in out["test"]["tokens"] for t in s]))
    return out


def _per_class(labels: np.ndarray, n: int) -> np.ndarray:
    """Sorted indices of a fixed random ``n`` examples of every class (seed 0)."""
    rng = np.random.default_rng(0)
    return np.sort(
        np.concatenate(
            [rng.permutation(np.flatnonzero(labels == c))[:n] for c in np.unique(labels)]
        )
    )


# ---------------------------------------------------------------- the sweep


def _evaluate(clf, split) -> dict:
    return metrics.scores(split["labels"], clf.predict(split["seqs"]), 2)


def run_sweep(study: Study, feats: dict, log=print) -> dict:
    """Validation scores over the (M, k) grid, then the best (M, k) with several seeds."""
    with threadpool_limits(1):  # BLAS threads on a shared 2-core CPU: 10-20x slower
        return _sweep(study, feats, log)


def _sweep(study: Study, feats: dict, log) -> dict:
    tr, va, te = feats["train"], feats["validation"], feats["test"]
    grid = []
    for M in study.states:
        for k in study.mixes:
            t0 = time.perf_counter()
            clf = GMMHMMClassifier(HMMConfig(M, k, study.n_iter, seed=0))
            clf.fit(tr["seqs"], tr["labels"])
            fit_s = time.perf_counter() - t0
            grid.append({"M": M, "k": k, "fit_s": fit_s, "validation": _evaluate(clf, va)})
            log(grid[-1])
    best = max(grid, key=lambda r: r["validation"]["accuracy"])
    multi = max((r for r in grid if r["M"] > 1), key=lambda r: r["validation"]["accuracy"])
    return {
        "grid": grid,
        "best": {"M": best["M"], "k": best["k"]},
        "seeds": _seeds(study, best, tr, va, te),
        "best_multi": {"M": multi["M"], "k": multi["k"]},
        # M = 1, k = 1 has no random step; the best model with a real chain shows the spread
        "seeds_multi": _seeds(study, multi, tr, va, te),
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


# ---------------------------------------------------------------- decoded examples


def run_decode(study: Study, sweep: dict, feats: dict) -> dict:
    """Examples decoded by the best model with more than one state (M = 1 has no chain)."""
    best = sweep["best_multi"]
    examples = decode_examples(feats, best["M"], best["k"], study.n_iter)
    return {
        "examples": examples,
        "M_shown": len(examples[0]["gamma"][0]),
        **results.provenance(),
    }


def decode_examples(feats: dict, M: int, k: int, n_iter: int, n: int = 2) -> list[dict]:
    """Posteriors (forward-backward) and the Viterbi path of the positive-class HMM on the
    first ``n`` test sentences of 8 to 14 known words."""
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
