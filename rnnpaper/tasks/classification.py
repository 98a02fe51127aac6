"""One classification task, written once: prepare a dataset, batch it, train one classifier,
predict. Every study that trains a classifier (notebooks 03, 04, 06, the user's own data)
goes through :func:`prepare` and :func:`train_classifier`.

Preparation: tokenize (:mod:`rnnpaper.text`), keep the first ``max_len`` tokens, build the
vocabulary on train only, encode every split. 20 Newsgroups loses headers, signatures and
quoted replies first. Training batches hold texts of one length (no padding), shuffled by
(seed, epoch) so a resumed run sees the same batches.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from rnnpaper import data, devices, metrics, text, train
from rnnpaper.models.classifier import Classifier, ModelConfig, init_embedding


@dataclass(frozen=True)
class DataSizes:
    """How much of a dataset a study uses (a study's own sizes may carry these fields)."""

    max_len: int = 150  # tokens kept from the start of each text
    vocab_size: int = 20000
    min_freq: int = 2
    train_limit: dict = field(default_factory=dict)  # dataset -> training examples kept
    eval_limit: int | None = None  # validation/test examples kept (smoke only)


@dataclass
class Split:
    """One split: ids (truncated), tokens (truncated), labels and untruncated lengths."""

    tokens: list
    ids: list
    labels: np.ndarray
    full_lengths: np.ndarray


@dataclass
class Prepared:
    name: str
    label_names: list
    vocab: text.Vocab
    splits: dict
    info: dict


def strip_newsgroups(t: str) -> str:
    """Remove headers, signature blocks and quoted replies (scikit-learn's functions)."""
    from sklearn.datasets._twenty_newsgroups import (
        strip_newsgroup_footer,
        strip_newsgroup_header,
        strip_newsgroup_quoting,
    )

    return strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(t)))


def _subsample(texts, labels, limit, seed=0):
    if limit is None or len(texts) <= limit:
        return texts, labels
    idx = np.sort(np.random.default_rng(seed).permutation(len(texts))[:limit])
    return [texts[i] for i in idx], [labels[i] for i in idx]


def prepare(name: str, sizes: DataSizes, dd=None, label_names=None, info=None) -> Prepared:
    """Tokenize, truncate to ``max_len``, build the vocabulary on train, encode every split.

    ``dd``, ``label_names``, ``info``: a user's table (:func:`rnnpaper.userdata.load_table`);
    ``info`` is merged into ``Prepared.info``, and its file hash (``files_sha256``), columns,
    class names and split recipe enter ``info["preprocessing"]["source"]``, so that every
    configuration hash built from them changes when the data does.
    """
    user = dd is not None
    if not user:
        dd, label_names, info = data.load(name), data.label_names(name), data.describe(name)
        pretok = data.REGISTRY[name].pretokenized
    else:
        info, pretok = {"dataset": name, "origin": "user file", **(info or {})}, False
    raw = {}
    for split in ("train", "validation", "test"):
        texts, labels = list(dd[split]["text"]), list(dd[split]["label"])
        limit = sizes.train_limit.get(name) if split == "train" else sizes.eval_limit
        raw[split] = _subsample(texts, labels, limit)
    if name == "20newsgroups":
        raw = {s: ([strip_newsgroups(t) for t in x], y) for s, (x, y) in raw.items()}
    toks = {s: [text.tokenize(t, pretok) for t in x] for s, (x, _) in raw.items()}
    vocab = text.Vocab.build(toks["train"], sizes.min_freq, sizes.vocab_size)
    splits = {}
    for s, (_, y) in raw.items():
        cut = [t[: sizes.max_len] for t in toks[s]]
        ids = [vocab.encode(t) or [vocab.unk_id] for t in cut]  # an empty text: one <unk>
        splits[s] = Split(cut, ids, np.asarray(y), np.array([len(t) for t in toks[s]]))
    prep = _describe_prep(name, sizes, splits, vocab)
    if user:
        prep["source"] = {k: info.get(k) for k in SOURCE_KEYS} | {"label_names": label_names}
    info = {**info, "preprocessing": prep}
    return Prepared(name, list(label_names), vocab, splits, info)


SOURCE_KEYS = ("files_sha256", "text_column", "label_column", "splits")  # of a user's table


def _describe_prep(name, sizes, splits, vocab) -> dict:
    tr = splits["train"]
    return {
        "max_len": sizes.max_len,
        "vocab_size": len(vocab),
        "min_freq": sizes.min_freq,
        "train_limit": sizes.train_limit.get(name),
        "eval_limit": sizes.eval_limit,
        "sizes": {s: len(v.labels) for s, v in splits.items()},
        "train_mean_tokens": float(tr.full_lengths.mean()),
        "train_truncated_fraction": float((tr.full_lengths > sizes.max_len).mean()),
        "empty_texts": {s: int((v.full_lengths == 0).sum()) for s, v in splits.items()},
        "newsgroups": "headers, footers and quotes removed" if name == "20newsgroups" else None,
    }


def equal_length_batches(
    lengths, batch_size: int, generator: torch.Generator, quantum: int = 1
) -> list[list[int]]:
    """Batches whose texts share one length (rounded down to a multiple of ``quantum``)."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    groups: dict[int, list[int]] = {}
    for i in order:
        L = lengths[i]
        groups.setdefault(L if L < quantum else L // quantum * quantum, []).append(i)
    batches = [g[k : k + batch_size] for g in groups.values() for k in range(0, len(g), batch_size)]
    perm = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in perm]


def collate(split: Split, idx: list[int], trim: int | None = None):
    """ids (B, T), mask (B, T), labels (B,) for the examples ``idx``, each cut to ``trim``."""
    seqs = [split.ids[i][:trim] if trim else split.ids[i] for i in idx]
    ids, mask = text.pad_batch(seqs)
    return ids, mask, torch.as_tensor(split.labels[idx], dtype=torch.long)


def train_batches(split: Split, batch_size: int, seed: int, quantum: int = 1):
    """``epoch -> list of (ids, mask, y)``, equal-length batches shuffled by (seed, epoch)."""
    lengths = [len(s) for s in split.ids]

    def batches(epoch: int):
        g = torch.Generator().manual_seed(1000 * seed + epoch)
        out = []
        for idx in equal_length_batches(lengths, batch_size, g, quantum):
            trim = min(lengths[i] for i in idx)
            out.append(collate(split, idx, trim))
        return out

    return batches


def data_run_dir(prep: Prepared, run_dir):
    """``run_dir`` of a benchmark dataset; for a user's table ``run_dir/data-<hash>``, the hash
    of its file, columns, classes and splits: another file never meets this one's checkpoint
    (which :func:`rnnpaper.train.fit` would refuse), and switching back reuses its runs."""
    source = prep.info["preprocessing"].get("source")
    if run_dir is None or source is None:
        return run_dir
    blob = json.dumps(source, sort_keys=True, default=str).encode()
    return Path(run_dir) / f"data-{hashlib.sha256(blob).hexdigest()[:12]}"


@torch.no_grad()
def predict(model: Classifier, split: Split, batch_size: int = 256) -> np.ndarray:
    """Predicted classes of every example of ``split`` in order."""
    model.eval()
    dev = devices.of(model)
    lengths = [len(s) for s in split.ids]
    order = np.argsort(lengths, kind="stable")
    pred = np.empty(len(lengths), dtype=int)
    for k in range(0, len(order), batch_size):
        idx = order[k : k + batch_size].tolist()
        ids, mask, _ = collate(split, idx)
        pred[idx] = model(ids.to(dev), mask.to(dev)).argmax(1).cpu().numpy()
    return pred


def train_classifier(
    prep: Prepared,
    cfg: ModelConfig,
    tcfg: train.TrainConfig,
    batch_size: int = 64,
    quantum: int = 1,
    run_dir=None,
    meta: dict | None = None,
    embedding: torch.Tensor | None = None,
    freeze: bool = False,
    device=None,
) -> tuple[Classifier, train.FitResult]:
    """Train one classifier on ``prep`` (best epoch by validation accuracy) -> (model, fit).

    ``embedding``: initial vectors (V, E), frozen when ``freeze``. ``run_dir`` and ``meta``:
    checkpoint and cache of :func:`rnnpaper.train.fit` (for a user's table, a subfolder of
    ``run_dir`` per data: see :func:`data_run_dir`). ``device``: where it trains (default
    ``RNNPAPER_DEVICE``, else cuda when present: :func:`rnnpaper.devices.resolve`); the
    model is returned on the CPU, so code using it afterwards needs no device.
    """
    run_dir = data_run_dir(prep, run_dir)
    train.seed_everything(tcfg.seed)
    model = Classifier(len(prep.vocab), len(prep.label_names), cfg, prep.vocab.pad_id)
    if embedding is not None:
        init_embedding(model, embedding, freeze)
    va, C = prep.splits["validation"], len(prep.label_names)

    def loss_fn(m, batch):
        ids, mask, y = batch
        return F.cross_entropy(m(ids, mask), y), int(mask.sum())

    fit = train.fit(
        model,
        tcfg,
        train_batches(prep.splits["train"], batch_size, tcfg.seed, quantum),
        loss_fn,
        lambda m: metrics.scores(va.labels, predict(m, va), C),
        monitor="accuracy",
        mode="max",
        run_dir=run_dir,
        meta=meta,
        device=devices.resolve(device),
    )
    return model.cpu(), fit
