"""The summarization study: data, metrics, extractive baselines, the runner, tables, figures.

Data (Gigaword headlines, AESLC subject lines) come through ``rnnpaper.data``; sources are
truncated, targets truncated for training only (metrics use the full references). One shared
source/target vocabulary per dataset, from the training split. Unknown words: Gigaword's
``UNK`` and every out-of-vocabulary word map to <unk>; a generated <unk> is written ``unk``,
so it counts as a match against a reference ``UNK`` (rouge-score lowercases). Copied source
OOVs are written as the source word.

Metrics: ROUGE-1/2/L F1 (rouge-score, Porter stemming on, per-example F1 averaged) and
corpus BLEU (sacrebleu, lowercased). AESLC test rows carry three human subject lines
(``annotations``): we score against each and average the three F1 values per example; we also
report ROUGE against the email's original subject line.
"""

import argparse
import re
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import sacrebleu
import torch
from rouge_score import rouge_scorer

from rnnpaper import data, paths, profiles, results, seeding, train
from rnnpaper.seq2seq import (
    Seq2Seq,
    Seq2SeqConfig,
    decode_ids,
    extend_source,
    extend_target,
)
from rnnpaper.text import EOS, Vocab, bucket_batches, pad_batch, tokenize

STEM = "07-summarization"
PRODUCER = f"{STEM}.ipynb"
DATASETS = ("gigaword", "aeslc")
ROUGE_KEYS = ("rouge1", "rouge2", "rougeL")


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class TaskSizes:
    """Per-dataset truncation and budget."""

    src_len: int  # source tokens kept
    tgt_len: int  # target tokens trained on (before <eos>)
    max_decode: int  # longest generated output
    epochs: int
    n_train: int | None = None  # None: the whole training split
    n_eval: int | None = None  # validation and test rows used; None: all


@dataclass(frozen=True)
class Profile:
    """Sizes of one run of the whole study."""

    cells: tuple = ("rnn", "lstm", "gru")
    seeds: tuple = (1, 2, 3)
    gigaword: TaskSizes = TaskSizes(src_len=50, tgt_len=20, max_decode=20, epochs=4)
    aeslc: TaskSizes = TaskSizes(src_len=60, tgt_len=15, max_decode=15, epochs=3)
    vocab_size: int = 5000  # words besides the 4 specials
    min_freq: int = 2
    embed_dim: int = 64
    hidden_size: int = 96
    attn_dim: int = 96
    copy: bool = True
    batch_size: int = 64
    lr: float = 2e-3
    beam: int = 4
    alpha: float = 1.0  # length normalisation exponent
    n_examples: int = 3  # rows of the examples table per dataset


PROFILES = {
    "smoke": Profile(
        cells=("rnn", "lstm", "gru"),
        seeds=(1,),
        gigaword=TaskSizes(src_len=30, tgt_len=10, max_decode=10, epochs=1, n_train=256, n_eval=64),
        aeslc=TaskSizes(src_len=30, tgt_len=8, max_decode=8, epochs=1, n_train=256, n_eval=64),
        vocab_size=1000,
        embed_dim=16,
        hidden_size=24,
        attn_dim=24,
        beam=2,
        n_examples=2,
    ),
    "paper": Profile(),
}


def sizes(profile: Profile, dataset: str) -> TaskSizes:
    return getattr(profile, dataset)


# ---------------------------------------------------------------- data


def first_sentence(text: str) -> str:
    """The text up to its first sentence end (., !, ?) or line break."""
    for piece in re.split(r"(?<=[.!?])\s+|\n+", text.strip()):
        if piece.strip():
            return piece.strip()
    return ""


def references(row: dict, dataset: str) -> list[str]:
    """The reference(s) metrics use: AESLC's three annotations, else the summary."""
    if dataset == "aeslc" and row.get("annotations"):
        return list(row["annotations"])
    return [row["summary"]]


def prepare(dataset: str, profile: Profile) -> dict:
    """Tokenized, truncated splits and the vocabulary of one dataset."""
    ts, pretok = sizes(profile, dataset), data.REGISTRY[dataset].pretokenized
    dd = data.load(dataset)
    splits = {}
    for split in ("train", "validation", "test"):
        rows = list(dd[split])
        limit = ts.n_train if split == "train" else ts.n_eval
        rows = rows[:limit] if limit else rows
        splits[split] = [
            {
                "src": tokenize(r["document"], pretok)[: ts.src_len],
                "src_len_full": len(tokenize(r["document"], pretok)),
                "tgt": tokenize(r["summary"], pretok)[: ts.tgt_len],
                "document": r["document"],
                "summary": r["summary"],
                "refs": references(r, dataset),
            }
            for r in rows
        ]
    train_tokens = [ex["src"] + ex["tgt"] for ex in splits["train"]]
    vocab = Vocab.build(train_tokens, min_freq=profile.min_freq, max_size=profile.vocab_size)
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
    n_oov = max(len(e["oovs"]) for e in encoded)
    return {
        "src": src,
        "src_mask": src_mask,
        "tgt": tgt,
        "tgt_mask": tgt_mask.float(),
        "n_oov": n_oov,
        "oovs": [e["oovs"] for e in encoded],
    }


def eval_batches(encoded: list[dict], batch_size: int) -> list[tuple[list[int], dict]]:
    """Batches in length order (fast), each with the indices of its examples."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]["src"]))
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [(c, collate([encoded[i] for i in c])) for c in chunks]


# ---------------------------------------------------------------- metrics


_SCORER = None


def scorer() -> rouge_scorer.RougeScorer:
    global _SCORER
    if _SCORER is None:
        _SCORER = rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)
    return _SCORER


def rouge_per_example(hyps: list[str], refs: list[list[str]]) -> dict[str, list[float]]:
    """Per-example ROUGE F1 x100, averaged over each example's references."""
    out = {k: [] for k in ROUGE_KEYS}
    for hyp, rs in zip(hyps, refs, strict=True):
        scores = [scorer().score(r, hyp) for r in rs]  # score(target, prediction)
        for k in ROUGE_KEYS:
            out[k].append(100 * statistics.fmean(s[k].fmeasure for s in scores))
    return out


def bleu(hyps: list[str], refs: list[list[str]]) -> tuple[float, str]:
    """Corpus BLEU (sacrebleu, lowercased) against one or more references; and its signature."""
    n_refs = max(len(r) for r in refs)
    streams = [[r[i] if i < len(r) else r[0] for r in refs] for i in range(n_refs)]
    metric = sacrebleu.metrics.BLEU(lowercase=True)
    return metric.corpus_score(hyps, streams).score, str(metric.get_signature())


def evaluate_outputs(hyps: list[str], refs: list[list[str]]) -> dict:
    """Mean ROUGE-1/2/L F1 and BLEU of ``hyps``, plus per-example ROUGE-L."""
    per = rouge_per_example(hyps, refs)
    b, sig = bleu(hyps, refs)
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


# ---------------------------------------------------------------- baselines


def baseline_outputs(split: list[dict], dataset: str, k: int) -> dict[str, list[str]]:
    """Extractive baselines: the first k source words; for AESLC also the first sentence."""
    pretok = data.REGISTRY[dataset].pretokenized
    outs = {f"first-{k} words": [" ".join(tokenize(ex["document"], pretok)[:k]) for ex in split]}
    if dataset == "aeslc":
        outs["first sentence"] = [
            " ".join(tokenize(first_sentence(ex["document"]), pretok)) for ex in split
        ]
    return outs


def baseline_k(train_split: list[dict]) -> int:
    """k of the first-k baseline: the median training reference length in tokens."""
    return int(statistics.median(len(ex["tgt"]) for ex in train_split))


# ---------------------------------------------------------------- training and decoding


def model_config(profile: Profile, kind: str, vocab: Vocab) -> Seq2SeqConfig:
    return Seq2SeqConfig(
        kind=kind,
        vocab_size=len(vocab),
        embed_dim=profile.embed_dim,
        hidden_size=profile.hidden_size,
        attn_dim=profile.attn_dim,
        copy=profile.copy,
    )


def loss_fn(model: Seq2Seq, batch: dict):
    """Mean target-token NLL of a batch and its token count (for train.fit)."""
    loss = model(batch["src"], batch["src_mask"], batch["tgt"], batch["tgt_mask"], batch["n_oov"])
    return loss, int(batch["tgt_mask"].sum())


def validation_loss(model: Seq2Seq, batches: list) -> float:
    total, n = 0.0, 0.0
    for _, b in batches:
        tokens = float(b["tgt_mask"].sum())
        total += loss_fn(model, b)[0].item() * tokens
        n += tokens
    return total / n


def generate(
    model: Seq2Seq, batches: list, vocab: Vocab, n: int, ts: TaskSizes, profile: Profile, beam: bool
) -> list[str]:
    """Decoded outputs (strings) for every example, in the original order."""
    model.eval()
    outs = [""] * n
    for idx, b in batches:
        if beam:
            ids = model.beam_search(
                b["src"],
                b["src_mask"],
                b["n_oov"],
                beam=profile.beam,
                max_len=ts.max_decode,
                alpha=profile.alpha,
            )
        else:
            ids, _ = model.greedy(b["src"], b["src_mask"], b["n_oov"], max_len=ts.max_decode)
        for i, row, oovs in zip(idx, ids.tolist(), b["oovs"], strict=True):
            outs[i] = " ".join(decode_ids(row, vocab.itos, oovs))
    return outs


def attention_example(model: Seq2Seq, ex: dict, vocab: Vocab, ts: TaskSizes) -> dict:
    """Greedy output and its attention matrix (L, S) for one example (the heatmap)."""
    b = collate([encode(ex, vocab)])
    ids, attn = model.greedy(b["src"], b["src_mask"], b["n_oov"], max_len=ts.max_decode)
    words = decode_ids(ids[0].tolist(), vocab.itos, b["oovs"][0])
    L = len(words) + 1  # with <eos>
    return {
        "source": ex["src"],
        "output": words + ["<eos>"],
        "attention": [[round(a, 4) for a in row] for row in attn[0, :L].tolist()],
    }


def run_path(out: paths.Outputs, dataset: str, kind: str, seed: int) -> Path:
    return out.results / STEM / f"{dataset}_{kind}_seed{seed}.json"


def train_one(
    prep: dict, profile: Profile, kind: str, seed: int, out: paths.Outputs, progress: bool = False
) -> dict:
    """Train one model, decode the test set (beam and greedy), score it; returns the payload."""
    dataset, vocab = prep["dataset"], prep["vocab"]
    ts = sizes(profile, dataset)
    encoded = {s: [encode(ex, vocab) for ex in prep[s]] for s in ("train", "validation", "test")}
    lengths = [len(e["src"]) for e in encoded["train"]]

    def train_batches(epoch):
        g = torch.Generator().manual_seed(seed * 1000 + epoch)
        return [
            collate([encoded["train"][i] for i in b])
            for b in bucket_batches(lengths, profile.batch_size, g)
        ]

    val = eval_batches(encoded["validation"], 128)
    seeding.seed_everything(seed)
    mcfg = model_config(profile, kind, vocab)
    model = Seq2Seq(mcfg)
    tcfg = train.TrainConfig(
        epochs=ts.epochs,
        lr=profile.lr,
        weight_decay=0.0,
        clip_norm=2.0,
        patience=0,
        schedule="cosine",
        seed=seed,
        progress=progress,
    )
    meta = {"model": asdict(mcfg), "sizes": asdict(ts), "dataset": dataset}
    run_dir = paths.BUILD / "runs" / STEM / out.profile / f"{dataset}_{kind}_seed{seed}"
    fit = train.fit(
        model,
        tcfg,
        train_batches,
        loss_fn,
        lambda m: {"val_loss": validation_loss(m, val)},
        monitor="val_loss",
        mode="min",
        run_dir=run_dir,
        meta=meta,
    )
    test = eval_batches(encoded["test"], 128)
    t0 = time.perf_counter()
    beam_out = generate(model, test, vocab, len(encoded["test"]), ts, profile, beam=True)
    beam_s = time.perf_counter() - t0
    greedy_out = generate(model, test, vocab, len(encoded["test"]), ts, profile, beam=False)
    return {
        "dataset": dataset,
        "cell": kind,
        "seed": seed,
        "profile": out.profile,
        "model": asdict(mcfg),
        "sizes": asdict(ts),
        "train": fit.payload,
        "n_parameters": fit.n_parameters,
        "decode_beam_s": beam_s,
        "beam": score_split(beam_out, prep["test"], dataset),
        "greedy": score_split(greedy_out, prep["test"], dataset),
        "outputs_beam": beam_out,
        "attention_example": attention_example(model, prep["test"][0], vocab, ts),
    }


def dataset_record(prep: dict, profile: Profile) -> dict:
    """Baselines, data provenance and per-example source lengths of one dataset."""
    dataset, test = prep["dataset"], prep["test"]
    k = baseline_k(prep["train"])
    bases = {
        name: {"outputs": outs, **score_split(outs, test, dataset)}
        for name, outs in baseline_outputs(test, dataset, k).items()
    }
    return {
        "dataset": dataset,
        "profile": asdict(profile),
        "describe": data.describe(dataset),
        "n": {s: len(prep[s]) for s in ("train", "validation", "test")},
        "vocab_size": len(prep["vocab"]),
        "baseline_k": k,
        "baselines": bases,
        "test_src_len": [ex["src_len_full"] for ex in test],
        "test_examples": [
            {"source": ex["document"], "refs": ex["refs"], "summary": ex["summary"]} for ex in test
        ],
        "environment": results.environment(),
        "git_commit": results.git_commit(),
    }


def run_study(profile_name: str, datasets=DATASETS, progress: bool = False) -> dict:
    """Run (or reuse) every dataset x cell x seed of a profile; returns the result paths."""
    profile = profiles.resolve(PROFILES, profile_name)
    out = paths.outputs(profile_name)
    done = {}
    for dataset in datasets:
        prep = prepare(dataset, profile)
        rec_path = out.results / STEM / f"{dataset}_data.json"
        if not rec_path.exists():
            results.write_json(rec_path, dataset_record(prep, profile))
        for kind in profile.cells:
            for seed in profile.seeds:
                path = run_path(out, dataset, kind, seed)
                if not path.exists():
                    t0 = time.perf_counter()
                    payload = train_one(prep, profile, kind, seed, out, progress)
                    payload["wall_s"] = time.perf_counter() - t0
                    results.write_json(path, payload)
                done[(dataset, kind, seed)] = path
    return done


def main(argv=None):
    p = argparse.ArgumentParser(description="Run the summarization study (notebook 07).")
    p.add_argument("--profile", default="smoke", choices=sorted(PROFILES))
    p.add_argument("--dataset", action="append", choices=DATASETS)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    run_study(a.profile, tuple(a.dataset or DATASETS), progress=False)


if __name__ == "__main__":
    main()
