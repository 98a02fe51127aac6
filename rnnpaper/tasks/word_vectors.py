"""Word vectors shared by studies: the word2vec corpus, its presets, and a cache of trained sets.

Notebook 04 trains and studies these vectors; notebook 05 feeds them to its HMMs. Both get
them here, so neither imports the other: a set is named by its word2vec settings and corpus
(:class:`VectorSet`), trained once with :func:`rnnpaper.models.word2vec_training.train` and
cached under ``build/cache/word-vectors/``.
"""

import hashlib
from dataclasses import dataclass, replace

import numpy as np

from rnnpaper import data, paths, text
from rnnpaper.models.word2vec import W2VConfig, vectors
from rnnpaper.models.word2vec_training import build_corpus, train

CORPUS = ("sst2", "imdb")  # training splits only: SST-2 sentences, then IMDB documents
CACHE = paths.BUILD / "cache" / "word-vectors"


@dataclass(frozen=True)
class VectorSet:
    """Hyperparameters shared by a profile's runs and the corpus size they train on."""

    w2v: W2VConfig
    imdb_docs: int  # IMDB training documents added to all SST-2 training sentences


PRESETS = {  # one per profile; every study using word vectors takes its profile's entry
    "smoke": VectorSet(W2VConfig(D=32, min_count=3, epochs=1), imdb_docs=150),
    "paper": VectorSet(W2VConfig(D=100, min_count=5, epochs=2), imdb_docs=5000),
}


def training_texts(datasets_: tuple[str, ...], max_docs: dict | None = None, seed: int = 0):
    """Token lists of the *training* splits only (never validation or test), shuffled."""
    out = []
    for name in datasets_:
        rows = data.load(name)["train"]["text"]
        order = np.random.default_rng(seed).permutation(len(rows))
        n = (max_docs or {}).get(name, len(rows))
        out += [text.tokenize(rows[i], data.REGISTRY[name].pretokenized) for i in order[:n]]
    return out


def corpus_texts(imdb_docs: int):
    """Token lists of the word2vec corpus: SST-2 train and the first IMDB train documents."""
    return training_texts(CORPUS, {"imdb": imdb_docs})


def cached_vectors(vs: VectorSet, arch: str, objective: str, log=print):
    """(words, X (V, D), timing) of one variant of ``vs``, trained once and cached."""
    cfg = replace(vs.w2v, arch=arch, objective=objective)
    path = CACHE / f"{arch}-{objective}-{_digest(cfg, vs.imdb_docs)}.npz"
    if not path.exists():
        log(f"training {arch}/{objective} word vectors ({cfg.D} dimensions)")
        corpus = build_corpus(corpus_texts(vs.imdb_docs), cfg.min_count)
        r = train(corpus, cfg)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:  # written whole, then renamed: never half a cache file
            np.savez(
                f,
                X=vectors(r["model"]),
                words=np.array(corpus.words),
                words_per_s=r["words_per_s"],
                seconds=r["seconds"],
            )
        tmp.replace(path)
    z = np.load(path)
    timing = {"words_per_s": float(z["words_per_s"]), "seconds": float(z["seconds"])}
    return list(z["words"]), z["X"], timing


def _digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]
