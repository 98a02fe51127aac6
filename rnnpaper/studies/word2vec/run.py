"""Notebook 04's compute: ours against gensim, the cost sweep, word2vec in the classifiers.

:func:`run` writes ``quality.json``, ``cost.json`` and ``inits.json`` under the profile's
results folder; a file whose recorded configuration is the profile's is reused, not
recomputed (delete it to recompute).
"""

from dataclasses import replace

import numpy as np
import torch

from rnnpaper import data, metrics, paths, profiles, results, text, train
from rnnpaper.models.classifier import ModelConfig
from rnnpaper.models.word2vec import VARIANTS, neighbours, overlap_at_k
from rnnpaper.models.word2vec_cost import cost_sweep, fit_cost
from rnnpaper.models.word2vec_training import build_corpus, gensim_train
from rnnpaper.studies.word2vec.config import INITS, PROBES, PROFILES, STEM, Study
from rnnpaper.tasks import classification
from rnnpaper.tasks.word_vectors import VectorSet, cached_vectors, corpus_texts

PARTS = ("quality", "cost", "inits")


def run(profile: str, parts: tuple = PARTS, log=print) -> dict:
    """The results ``parts`` of ``profile`` (name -> payload), each reused or recomputed."""
    study = profiles.resolve(PROFILES, profile)
    rd = paths.outputs(profile).results / STEM
    compute = {
        "quality": lambda: run_quality(study, log),
        "cost": lambda: run_cost(study),
        "inits": lambda: run_inits(study, log),
    }
    out = {}
    for name in parts:
        fn = compute[name]
        path = rd / f"{name}.json"
        if path.exists() and RECORDS[name](results.read_json(path), study):
            log(f"{name}.json: its recorded configuration is the profile's; reused")
        else:
            results.write_json(path, fn())
        out[name] = results.read_json(path)
    return out


# ---------------------------------------------------------------- is a results file the study's?


def quality_is(q: dict, study: Study) -> bool:
    """quality.json records the word2vec settings and the corpus size it ran with."""
    return (q["config"], q["corpus"]["imdb_docs"]) == (_json(study.w2v), study.imdb_docs)


def cost_is(cost: dict, study: Study) -> bool:
    """cost.json records the word2vec settings and the configuration of every timed row.

    A row varying V has min(V, the corpus's vocabulary) words; the tokens timed per row are
    not recorded exactly (whole sentences up to ``cost_tokens``), so they are not compared.
    """
    rows = cost["rows"]
    fields = ("varied", "arch", "objective", "D", "window", "V", "negative")
    got = [tuple(r[f] for f in fields) for r in rows]
    return cost["config"] == _json(study.w2v) and got == _cost_rows(study, rows[0]["V"])


def _cost_rows(study: Study, V_full: int) -> list[tuple]:
    """The row configurations :func:`cost_sweep` times for ``study``, in its order."""
    w = study.w2v
    grid = (
        [("D", D, w.window, V_full) for D in study.cost_D]
        + [("window", w.D, c, V_full) for c in study.cost_windows]
        + [("V", w.D, w.window, min(V, V_full)) for V in study.cost_V]
    )
    return [(g[0], a, o, *g[1:], w.negative) for a, o in VARIANTS for g in grid]


def inits_is(inits: dict, study: Study) -> bool:
    """inits.json records the whole study."""
    return inits["study"] == _json(study)


def _json(obj):
    return results.to_jsonable(obj)


RECORDS = {"quality": quality_is, "cost": cost_is, "inits": inits_is}


# ---------------------------------------------------------------- ours against gensim


def frequent_probes(words, start: int = 50, n: int = 500) -> list[str]:
    """A frequency band of the vocabulary (skipping the top ``start`` function words)."""
    return list(words[start : start + n])


def run_quality(study: Study, log=print) -> dict:
    """Ours against gensim for all four variants, in one run: words/s and neighbour overlap."""
    torch.set_num_threads(1)  # one core each, as gensim workers=1: a fair, stable timing
    vs = VectorSet(study.w2v, study.imdb_docs)
    corpus = build_corpus(corpus_texts(study.imdb_docs), study.w2v.min_count)
    band = frequent_probes(corpus.words)
    probes = [p for p in PROBES if p in corpus.words]
    rows, neighbours_ = [], {}
    for arch, objective in VARIANTS:
        cfg = replace(study.w2v, arch=arch, objective=objective)
        words, X, timing = cached_vectors(vs, arch, objective, log)
        g = gensim_train(corpus, cfg)
        row = {
            "arch": arch,
            "objective": objective,
            "ours_words_per_s": timing["words_per_s"],
            "gensim_words_per_s": g["words_per_s"],
            "overlap_probes": overlap_at_k(words, X, corpus.words, g["vectors"], probes).mean(),
            "overlap_band": overlap_at_k(words, X, corpus.words, g["vectors"], band).mean(),
        }
        if (arch, objective) == ("skipgram", "neg"):  # calibration: gensim against itself
            row |= _gensim_calibration(corpus, cfg, g["vectors"], probes, band)
            neighbours_ = {
                p: {
                    "ours": neighbours(words, X, p, 5),
                    "gensim": neighbours(corpus.words, g["vectors"], p, 5),
                }
                for p in probes
            }
        log(row)
        rows.append(row)
    return {
        "variants": rows,
        "neighbours": neighbours_,
        "probes": probes,
        "band": [50, 550],
        "corpus": {
            "tokens": corpus.n_tokens,
            "V": len(corpus.words),
            "sentences": len(corpus.sentences),
            "imdb_docs": study.imdb_docs,
            "data": {d: data.describe(d) for d in ("sst2", "imdb")},
        },
        "config": study.w2v,
        "environment": results.environment(),
        **results.provenance(),
    }


def _gensim_calibration(corpus, cfg, X_gensim, probes, band) -> dict:
    """Overlap@10 of gensim with itself under another seed: what two good runs share."""
    X1 = gensim_train(corpus, replace(cfg, seed=1))["vectors"]
    w = corpus.words
    return {
        "gensim_seed_overlap_probes": overlap_at_k(w, X_gensim, w, X1, probes).mean(),
        "gensim_seed_overlap_band": overlap_at_k(w, X_gensim, w, X1, band).mean(),
    }


def run_cost(study: Study) -> dict:
    """The eqs. 40-41 timing sweep and its least-squares fits."""
    torch.set_num_threads(1)  # one core each, as gensim workers=1: a fair, stable timing
    rows = cost_sweep(
        corpus_texts(study.imdb_docs),
        study.w2v,
        study.cost_D,
        study.cost_windows,
        study.cost_V,
        study.cost_tokens,
    )
    return {
        "rows": rows,
        "fits": fit_cost(rows),
        "config": study.w2v,
        "environment": results.environment(),
        **results.provenance(),
    }


# ---------------------------------------------------------------- word2vec in the classifiers


def pretrained_matrix(itos, words, X, seed: int = 0):
    """Embedding matrix (len(itos), D): word2vec rows where known, N(0, std(X)) else, pad 0.

    Returns the matrix and the fraction of the classifier's (non-special) vocabulary covered.
    """
    index = {w: i for i, w in enumerate(words)}
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, X.std(), size=(len(itos), X.shape[1])).astype(np.float32)  # (V, D)
    known = [(i, index[t]) for i, t in enumerate(itos) if t in index]
    if known:
        rows, src = map(list, zip(*known, strict=True))
        W[rows] = X[src]
    W[0] = 0.0  # <pad>
    return torch.from_numpy(W), len(known) / max(1, len(itos) - len(text.SPECIALS))


def run_classifier(prep, cell: str, init: str, freeze: bool, seed: int, study: Study, W) -> dict:
    """Train one classifier (tasks.classification) with the given embedding init; its scores."""
    cfg = ModelConfig(cell=cell, embed_dim=study.w2v.D, hidden_size=study.clf_hidden)
    tcfg = train.TrainConfig(
        epochs=study.clf_epochs,
        lr=study.clf_lr,
        patience=study.clf_patience,
        schedule=study.clf_schedule,
        seed=seed,
        progress=False,
        checkpoint=False,
    )
    batch = dict(study.clf_batch).get(prep.name, 64)
    quantum = 8 if prep.name == "imdb" else 1
    model, fit = classification.train_classifier(
        prep, cfg, tcfg, batch, quantum, embedding=W, freeze=freeze
    )
    te = prep.splits["test"]
    test = metrics.scores(te.labels, classification.predict(model, te), len(prep.label_names))
    return {
        "dataset": prep.name,
        "cell": cell,
        "init": init,
        "frozen": freeze,
        "seed": seed,
        "validation": fit.best,
        "test": test,
        "wall_s": fit.wall_s,
        "best_epoch": fit.best_epoch,
        "epochs_run": len(fit.history),
    }


def run_inits(study: Study, log=print) -> dict:
    """Random vs CBOW vs skip-gram embeddings, frozen and fine-tuned, LSTM and GRU."""
    torch.set_num_threads(1)
    vs = VectorSet(study.w2v, study.imdb_docs)
    vecs = {a: cached_vectors(vs, a, "neg", log)[:2] for a in ("cbow", "skipgram")}
    sizes = classification.DataSizes(
        max_len=study.clf_max_len,
        train_limit=study.clf_train_limit,
        eval_limit=study.clf_eval_limit,
    )
    runs, coverage = [], {}
    for name in study.clf_datasets:
        prep = classification.prepare(name, sizes)
        mats = {a: pretrained_matrix(prep.vocab.itos, *vecs[a]) for a in vecs}
        coverage[name] = {a: m[1] for a, m in mats.items()}
        for cell in study.clf_cells:
            for init, freeze in INITS:
                for seed in range(study.clf_seeds):
                    W = mats[init][0] if init in mats else None
                    runs.append(run_classifier(prep, cell, init, freeze, seed, study, W))
                    log(
                        {k: runs[-1][k] for k in ("dataset", "cell", "init", "frozen", "seed")}
                        | {"test_acc": round(runs[-1]["test"]["accuracy"], 4)}
                    )
    return {
        "runs": runs,
        "coverage": coverage,
        "sizes": sizes,
        "study": study,
        "data": {d: data.describe(d) for d in study.clf_datasets},
        "environment": results.environment(),
        **results.provenance(),
    }
