"""Notebook 05's compute: GMM-HMM classifiers on word-vector sequences, and decoded examples.

:func:`run` writes ``sweep.json`` (the (M, k) grid on validation with every restart's
likelihood curve, the chosen (M, k) repeated with fresh restarts and scored on test, the
(1, 1) reference) and ``decode.json`` (the chosen model on two test sentences). Both are
reused when their recorded study is the profile's (delete them to recompute).
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
    if (
        sweep_path.exists()
        and decode_path.exists()
        and sweep_is(sweep := results.read_json(sweep_path), study)
        and decode_is(results.read_json(decode_path), sweep)
    ):
        log("sweep.json and decode.json: their recorded study is the profile's; reused")
    else:
        feats = features(study, vs, log)
        sweep, chosen = run_sweep(study, feats, log)
        results.write_json(decode_path, run_decode(chosen, feats))
        results.write_json(sweep_path, sweep)
    return {"sweep": results.read_json(sweep_path), "decode": results.read_json(decode_path)}


def sweep_is(sweep: dict, study: Study) -> bool:
    """sweep.json records the whole study (not the word-vector preset it used)."""
    return sweep["study"] == results.to_jsonable(study)


def decode_is(decode: dict, sweep: dict) -> bool:
    """decode.json records the number of states of the model it decoded with."""
    return decode["M_shown"] == sweep["best"]["M"]


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


def _evaluate(clf, split, models=None) -> dict:
    return metrics.scores(split["labels"], clf.predict(split["seqs"], models), 2)


def run_sweep(study: Study, feats: dict, log=print) -> tuple[dict, GMMHMMClassifier]:
    """The grid on validation, the chosen (M, k) repeated, the reference: (payload, the
    chosen classifier of the first repeat)."""
    with threadpool_limits(1):  # BLAS threads on a shared 2-core CPU: slower, not faster
        return _sweep(study, feats, log)


def fit_point(study: Study, feats: dict, M: int, k: int, repeat: int = 0, restarts=None):
    """One GMM-HMM per class at (M, k): (classifier, record with validation scores, the
    likelihood curve of every restart, and each restart's own validation scores)."""
    R = restarts or study.restarts
    cfg = HMMConfig(
        M, k, study.n_iter, study.tol, repeat * R, study.var_floor, R, study.shared_start
    )
    tr, va = feats["train"], feats["validation"]
    t0 = time.perf_counter()
    clf = GMMHMMClassifier(cfg).fit(tr["seqs"], tr["labels"])
    record = {
        "M": M,
        "k": k,
        "repeat": repeat,
        "fit_s": time.perf_counter() - t0,
        "validation": _evaluate(clf, va),
        "restarts": [
            {
                "chosen": c["chosen"],
                "runs": [
                    {key: run[key] for key in ("seed", "history", "converged")} for run in c["runs"]
                ],
            }
            for c in clf.restarts
        ],
        "starts": None if clf.starts is None else [_curve(s) for s in clf.starts],
        "restart_validation": [_evaluate(clf, va, clf.restart_models(r)) for r in range(R)],
    }
    return clf, record


def _curve(run: dict) -> dict:
    return {key: run[key] for key in ("seed", "history", "converged", "frames")}


def _sweep(study: Study, feats: dict, log) -> tuple[dict, GMMHMMClassifier]:
    te = feats["test"]
    fitted = {}
    for M in study.states:
        for k in study.mixes:
            fitted[(M, k)] = fit_point(study, feats, M, k)
            log({key: fitted[(M, k)][1][key] for key in ("M", "k", "fit_s", "validation")})
    # validation accuracy; ties: the smaller model
    best = max(fitted, key=lambda mk: (fitted[mk][1]["validation"]["accuracy"], -mk[0], -mk[1]))
    repeats = [fitted[best]] + [
        fit_point(study, feats, *best, repeat=r) for r in range(1, study.repeats)
    ]
    for clf, rec in repeats:
        rec["test"] = _evaluate(clf, te)
        rec["restart_test"] = [
            _evaluate(clf, te, clf.restart_models(r)) for r in range(len(clf.restarts[0]["runs"]))
        ]
    ref_clf, ref = fit_point(study, feats, *study.reference, restarts=1)
    ref["test"] = _evaluate(ref_clf, te)
    payload = {
        "grid": [rec for _, rec in fitted.values()],
        "best": {"M": best[0], "k": best[1]},
        "repeats": [rec for _, rec in repeats],
        "reference": ref,
        "study": study,
        "label_names": data.label_names(study.dataset),
        "explained_variance": feats["explained_variance"],
        "coverage": feats["coverage"],
        "train_size": len(feats["train"]["labels"]),
        "train_tokens": int(sum(len(s) for s in feats["train"]["seqs"])),
        "environment": results.environment(),
        **results.provenance(),
    }
    return payload, fitted[best][0]


# ---------------------------------------------------------------- decoded examples


def run_decode(clf: GMMHMMClassifier, feats: dict) -> dict:
    """Examples decoded by the chosen model (its positive-class HMM)."""
    examples = decode_examples(feats, clf.models[1])
    return {
        "examples": examples,
        "M_shown": len(examples[0]["gamma"][0]),
        **results.provenance(),
    }


def decode_examples(feats: dict, model, n: int = 2) -> list[dict]:
    """Posteriors (forward-backward) and the Viterbi path of ``model`` on the first ``n``
    test sentences of 8 to 14 words, all of them known."""
    out = []
    for toks, seq in zip(feats["test"]["tokens"], feats["test"]["seqs"], strict=True):
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
