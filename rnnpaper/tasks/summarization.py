"""One summarization task, written once: prepare a dataset, train one encoder-decoder,
decode (greedy or beam), score.

Data (Gigaword headlines, AESLC subject lines) come through ``rnnpaper.data``; sources are
truncated, targets truncated for training only (metrics use the full references). One shared
source/target vocabulary per dataset, from the training split. Unknown words: Gigaword's
``UNK`` and every out-of-vocabulary word map to <unk>; a generated <unk> is written ``unk``,
so it counts as a match against a reference ``UNK`` (rouge-score lowercases). Copied source
OOVs are written as the source word.

Scores: :func:`rnnpaper.metrics.rouge_per_example` and :func:`rnnpaper.metrics.bleu`. AESLC
test rows carry three human subject lines (``annotations``): we score against each and
average the three F1 values per example; we also score against the email's original subject.
"""

from dataclasses import dataclass

import numpy as np
import torch

from rnnpaper import data, metrics, seeding, train
from rnnpaper.models.seq2seq import (
    Seq2Seq,
    Seq2SeqConfig,
    decode_ids,
    extend_source,
    extend_target,
)
from rnnpaper.text import EOS, Vocab, bucket_batches, pad_batch, tokenize

EVAL_BATCH = 128  # validation and test batch size


@dataclass(frozen=True)
class TaskSizes:
    """Per-dataset truncation and budget."""

    src_len: int  # source tokens kept
    tgt_len: int  # target tokens trained on (before <eos>)
    max_decode: int  # longest generated output
    epochs: int
    n_train: int | None = None  # None: the whole training split
    n_eval: int | None = None  # validation and test rows used; None: all


# ---------------------------------------------------------------- data


def references(row: dict, dataset: str) -> list[str]:
    """The reference(s) metrics use: AESLC's three annotations, else the summary."""
    if dataset == "aeslc" and row.get("annotations"):
        return list(row["annotations"])
    return [row["summary"]]


def _example(r: dict, dataset: str, ts: TaskSizes, pretok: bool) -> dict:
    src = tokenize(r["document"], pretok)
    return {
        "src": src[: ts.src_len],
        "src_len_full": len(src),
        "tgt": tokenize(r["summary"], pretok)[: ts.tgt_len],
        "document": r["document"],
        "summary": r["summary"],
        "refs": references(r, dataset),
    }


def prepare(dataset: str, ts: TaskSizes, vocab_size: int, min_freq: int) -> dict:
    """Tokenized, truncated splits and the vocabulary (train sources and targets) of a dataset."""
    pretok, dd = data.REGISTRY[dataset].pretokenized, data.load(dataset)
    splits = {}
    for split in ("train", "validation", "test"):
        rows = list(dd[split])
        limit = ts.n_train if split == "train" else ts.n_eval
        rows = rows[:limit] if limit else rows
        splits[split] = [_example(r, dataset, ts, pretok) for r in rows]
    train_tokens = [ex["src"] + ex["tgt"] for ex in splits["train"]]
    vocab = Vocab.build(train_tokens, min_freq=min_freq, max_size=vocab_size)
    return {"dataset": dataset, "vocab": vocab, **splits}


def encode(ex: dict, vocab: Vocab) -> dict:
    """Extended-vocabulary ids of one example; the target ends in <eos>."""
    src, oovs = extend_source(ex["src"], vocab.stoi)
    tgt = extend_target(ex["tgt"], vocab.stoi, oovs) + [vocab.stoi[EOS]]
    return {"src": src, "tgt": tgt, "oovs": oovs}


def collate(encoded: list[dict]) -> dict:
    """Pad a list of encoded examples into one batch."""
    src, src_mask = pad_batch([e["src"] for e in encoded])  # (B,S)
    tgt, tgt_mask = pad_batch([e["tgt"] for e in encoded])  # (B,T)
    return {
        "src": src,
        "src_mask": src_mask,
        "tgt": tgt,
        "tgt_mask": tgt_mask.float(),  # (B,T)
        "n_oov": max(len(e["oovs"]) for e in encoded),
        "oovs": [e["oovs"] for e in encoded],
    }


def eval_batches(encoded: list[dict], batch_size: int = EVAL_BATCH) -> list[tuple[list, dict]]:
    """Batches in length order (fast), each with the indices of its examples."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]["src"]))
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [(c, collate([encoded[i] for i in c])) for c in chunks]


def train_batches(encoded: list[dict], batch_size: int, seed: int):
    """``epoch -> batches`` of similar source length, shuffled by (seed, epoch)."""
    lengths = [len(e["src"]) for e in encoded]

    def batches(epoch: int) -> list[dict]:
        g = torch.Generator().manual_seed(seed * 1000 + epoch)
        return [collate([encoded[i] for i in b]) for b in bucket_batches(lengths, batch_size, g)]

    return batches


# ---------------------------------------------------------------- training


def loss_fn(model: Seq2Seq, batch: dict):
    """Mean target-token NLL of a batch and its token count (for train.fit)."""
    loss = model(batch["src"], batch["src_mask"], batch["tgt"], batch["tgt_mask"], batch["n_oov"])
    return loss, int(batch["tgt_mask"].sum())


def validation_loss(model: Seq2Seq, batches: list) -> float:
    """NLL per target token over ``batches`` (from :func:`eval_batches`)."""
    total, n = 0.0, 0.0
    for _, b in batches:
        tokens = float(b["tgt_mask"].sum())
        total += loss_fn(model, b)[0].item() * tokens
        n += tokens
    return total / n


def train_seq2seq(
    prep: dict,
    cfg: Seq2SeqConfig,
    tcfg: train.TrainConfig,
    batch_size: int = 64,
    run_dir=None,
    meta: dict | None = None,
    init: dict | None = None,
) -> tuple[Seq2Seq, train.FitResult]:
    """Train one encoder-decoder on ``prep`` (best epoch by validation loss) -> (model, fit).

    ``run_dir`` and ``meta``: checkpoint and cache of :func:`rnnpaper.train.fit`. ``init``: a
    state dict to start from; only parameters the model has and it lacks (the coverage weight
    w_k of a model trained without coverage) keep their initial values.
    """
    vocab = prep["vocab"]
    encoded = {s: [encode(ex, vocab) for ex in prep[s]] for s in ("train", "validation")}
    val = eval_batches(encoded["validation"])
    seeding.seed_everything(tcfg.seed)
    model = Seq2Seq(cfg)
    if init is not None:
        missing, unexpected = model.load_state_dict(init, strict=False)
        if unexpected or set(missing) - {"attention.w_k"}:
            raise ValueError(f"init does not fit: missing {missing}, unexpected {unexpected}")
    fit = train.fit(
        model,
        tcfg,
        train_batches(encoded["train"], batch_size, tcfg.seed),
        loss_fn,
        lambda m: {"val_loss": validation_loss(m, val)},
        monitor="val_loss",
        mode="min",
        run_dir=run_dir,
        meta=meta,
    )
    return model, fit


# ---------------------------------------------------------------- decoding and scoring


def generate(
    model: Seq2Seq,
    batches: list,
    vocab: Vocab,
    n: int,
    max_len: int,
    beam: int | None = None,
    alpha: float = 1.0,
    **constraints,
) -> list[str]:
    """Decoded outputs of every example, in the original order: greedy, or a beam of ``beam``;
    ``constraints`` (block_unk, no_repeat_ngram): :mod:`rnnpaper.models.seq2seq_decode`."""
    model.eval()
    outs = [""] * n
    for idx, b in batches:
        if beam:
            ids = model.beam_search(
                b["src"], b["src_mask"], b["n_oov"], beam, max_len, alpha, **constraints
            )  # (B,L)
        else:
            ids, _ = model.greedy(b["src"], b["src_mask"], b["n_oov"], max_len, **constraints)
        for i, row, oovs in zip(idx, ids.tolist(), b["oovs"], strict=True):
            outs[i] = " ".join(decode_ids(row, vocab.itos, oovs))
    return outs


def attention_example(model: Seq2Seq, ex: dict, vocab: Vocab, max_len: int, **constraints) -> dict:
    """Greedy output and its attention matrix (L, S) for one example (the heatmap)."""
    b = collate([encode(ex, vocab)])
    ids, attn = model.greedy(b["src"], b["src_mask"], b["n_oov"], max_len, **constraints)
    words = decode_ids(ids[0].tolist(), vocab.itos, b["oovs"][0])
    L = len(words) + 1  # with <eos>
    return {
        "source": ex["src"],
        "output": words + ["<eos>"],
        "attention": [[round(a, 4) for a in row] for row in attn[0, :L].tolist()],
    }


def evaluate_outputs(hyps: list[str], refs: list[list[str]]) -> dict:
    """Mean ROUGE-1/2/L F1 and BLEU of ``hyps``, plus per-example ROUGE-L."""
    per = metrics.rouge_per_example(hyps, refs)
    b, sig = metrics.bleu(hyps, refs)
    return {
        **{k: float(np.mean(v)) for k, v in per.items()},
        "bleu": b,
        "bleu_signature": sig,
        "rougeL_per_example": [round(x, 2) for x in per["rougeL"]],
    }


def score_split(hyps: list[str], split: list[dict], dataset: str) -> dict:
    """Metrics against the references, and (AESLC) against the original subject too."""
    scores = {"refs": evaluate_outputs(hyps, [ex["refs"] for ex in split])}
    if dataset == "aeslc":
        scores["original"] = evaluate_outputs(hyps, [[ex["summary"]] for ex in split])
    return scores
