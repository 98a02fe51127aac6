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
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import sacrebleu
import torch
from rouge_score import rouge_scorer

from rnnpaper import data, paths, profiles, results, seeding, train
from rnnpaper.models.seq2seq import (
    Seq2Seq,
    Seq2SeqConfig,
    decode_ids,
    extend_source,
    extend_target,
)
from rnnpaper.report import latex, published
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
    ablation_dataset: str = "gigaword"  # where every cell is also trained without copying
    ablation_seeds: tuple = (1,)


PROFILES = {
    "smoke": Profile(
        cells=("rnn", "lstm", "gru"),
        seeds=(1,),
        gigaword=TaskSizes(src_len=30, tgt_len=10, max_decode=10, epochs=1, n_train=128, n_eval=48),
        aeslc=TaskSizes(src_len=30, tgt_len=8, max_decode=8, epochs=1, n_train=128, n_eval=48),
        vocab_size=1000,
        embed_dim=16,
        hidden_size=24,
        attn_dim=24,
        beam=2,
        n_examples=2,
        ablation_seeds=(1,),
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


def run_name(dataset: str, kind: str, seed: int, copy: bool = True) -> str:
    """File stem of one run; the copy-mechanism ablation is marked '-nocopy'."""
    return f"{dataset}_{kind}{'' if copy else '-nocopy'}_seed{seed}"


def run_path(out: paths.Outputs, dataset: str, kind: str, seed: int, copy: bool = True) -> Path:
    return out.results / STEM / f"{run_name(dataset, kind, seed, copy)}.json"


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
    name = run_name(dataset, kind, seed, profile.copy)
    run_dir = paths.BUILD / "runs" / STEM / out.profile / name
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


def target_oov(split: list[dict], vocab: Vocab) -> dict:
    """Percent of (truncated) target tokens outside the vocabulary, and of those in the source."""
    pairs = [(t, ex["src"]) for ex in split for t in ex["tgt"]]
    oov = [(t, src) for t, src in pairs if t not in vocab.stoi]
    return {
        "oov": 100 * len(oov) / len(pairs),
        "copyable": 100 * sum(t in src for t, src in oov) / len(pairs),
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
        "target_oov": {s: target_oov(prep[s], prep["vocab"]) for s in ("train", "test")},
        "baseline_k": k,
        "baselines": bases,
        "test_src_len": [ex["src_len_full"] for ex in test],
        "test_examples": [  # sources cut to 40 words: the examples table shows 30
            {
                "source": " ".join(ex["document"].split()[:40]),
                "refs": ex["refs"],
                "summary": ex["summary"],
            }
            for ex in test
        ],
        "environment": results.environment(),
        **results.provenance(),
    }


def run_study(
    profile_name: str,
    datasets=DATASETS,
    progress: bool = False,
    seeds=None,
    ablation: bool = True,
    cells=None,
) -> dict:
    """Run (or reuse) every dataset x cell x seed of a profile; returns the result paths.

    ``seeds`` restricts the main runs (so several processes can share the work) and
    ``ablation=False`` skips the no-copy runs."""
    profile = profiles.resolve(PROFILES, profile_name)
    out = paths.outputs(profile_name)
    done = {}
    for dataset in datasets:
        prep = prepare(dataset, profile)
        rec_path = out.results / STEM / f"{dataset}_data.json"
        if not rec_path.exists():
            results.write_json(rec_path, dataset_record(prep, profile))
        for seed in seeds or profile.seeds:  # seed-major: all cells get a seed before a second
            for kind in cells or profile.cells:
                path = run_path(out, dataset, kind, seed)
                if not path.exists():
                    t0 = time.perf_counter()
                    payload = train_one(prep, profile, kind, seed, out, progress)
                    payload["wall_s"] = time.perf_counter() - t0
                    results.write_json(path, payload)
                done[(dataset, kind, seed)] = path
        if ablation and dataset == profile.ablation_dataset:
            done.update(run_ablation(prep, profile, out, progress))
    return done


def run_ablation(prep: dict, profile: Profile, out: paths.Outputs, progress: bool) -> dict:
    """The same models without the copy mechanism (eq. 7.5 off: P(w) = P_vocab(w))."""
    nocopy, done = replace(profile, copy=False), {}
    for seed in profile.ablation_seeds:
        for kind in profile.cells:
            path = run_path(out, prep["dataset"], kind, seed, copy=False)
            if not path.exists():
                t0 = time.perf_counter()
                payload = train_one(prep, nocopy, kind, seed, out, progress)
                payload["wall_s"] = time.perf_counter() - t0
                results.write_json(path, payload)
            done[(prep["dataset"], f"{kind}-nocopy", seed)] = path
    return done


def main(argv=None):
    p = argparse.ArgumentParser(description="Run the summarization study (notebook 07).")
    p.add_argument("--profile", default="smoke", choices=sorted(PROFILES))
    p.add_argument("--dataset", action="append", choices=DATASETS)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--ablation-only", action="store_true", help="only the no-copy runs")
    p.add_argument("--seed", type=int, action="append", help="main runs of these seeds only")
    p.add_argument("--cell", action="append", help="main runs of these cells only")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.ablation_only:
        profile = profiles.resolve(PROFILES, a.profile)
        prep = prepare(profile.ablation_dataset, profile)
        run_ablation(prep, profile, paths.outputs(a.profile), progress=False)
    else:
        run_study(
            a.profile,
            tuple(a.dataset or DATASETS),
            progress=False,
            seeds=a.seed,
            ablation=a.seed is None and a.cell is None,
            cells=a.cell,
        )


if __name__ == "__main__":
    main()


# ---------------------------------------------------------------- results -> tables, macros

CELL_NAMES = {"rnn": "Elman RNN", "lstm": "LSTM", "gru": "GRU"}
METRIC_COLS = {"rouge1": "R-1", "rouge2": "R-2", "rougeL": "R-L", "bleu": "BLEU"}



def unk_rate(outputs: list[str]) -> float:
    """Percentage of generated tokens that are 'unk'."""
    tokens = [t for o in outputs for t in o.split()]
    return 100 * sum(t == "unk" for t in tokens) / max(1, len(tokens))


def load_runs(results_dir: Path, copy: bool | None = True) -> pd.DataFrame:
    """One row per trained model (with copy mechanism, without, or both if ``copy`` is None):
    test metrics (beam; greedy R-L), cost, best epoch."""
    rows = []
    for path in sorted(Path(results_dir).glob("*_seed*.json")):
        r = results.read_json(path)
        if copy is not None and r["model"]["copy"] != copy:
            continue
        row = {
            "dataset": r["dataset"],
            "cell": r["cell"],
            "seed": r["seed"],
            "copy": r["model"]["copy"],
            "unk_rate": unk_rate(r["outputs_beam"]),
        }
        row.update({k: r["beam"]["refs"][k] for k in METRIC_COLS})
        row["greedy_rougeL"] = r["greedy"]["refs"]["rougeL"]
        if "original" in r["beam"]:
            row.update({f"orig_{k}": r["beam"]["original"][k] for k in METRIC_COLS})
        row.update(
            {
                "train_s": r["train"]["train_s"],
                "wall_s": r["train"]["wall_s"] + r["decode_beam_s"],  # across resumes
                "best_epoch": r["train"]["best_epoch"],
                "val_loss": r["train"]["best"]["val_loss"],
                "n_parameters": r["n_parameters"],
                "tokens_per_s": r["train"]["tokens_per_s"],
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def load_records(results_dir: Path) -> dict:
    """The per-dataset records (baselines, provenance) by dataset name."""
    paths_ = {ds: Path(results_dir) / f"{ds}_data.json" for ds in DATASETS}
    return {ds: results.read_json(p) for ds, p in paths_.items() if p.exists()}


def _mean_sd(values) -> str:
    """'mean (sd)' over seeds; just the value for a single seed."""
    values = list(values)
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.fmean(values):.1f} ({statistics.stdev(values):.1f})"


def scores_table(runs: pd.DataFrame, record: dict, dataset: str) -> pd.DataFrame:
    """Baselines and the three cells (mean (sd) over seeds) on one test set."""
    orig = dataset == "aeslc"
    cols = ["Model", *METRIC_COLS.values(), "R-L greedy"] + (["R-L orig."] if orig else [])
    rows = []
    for name, b in record["baselines"].items():
        row = [f"Extractive: {name}"] + [f"{b['refs'][k]:.1f}" for k in METRIC_COLS] + ["--"]
        rows.append(row + ([f"{b['original']['rougeL']:.1f}"] if orig else []))
    sub = runs[runs.dataset == dataset]
    for cell in CELLS_ORDER:
        g = sub[sub.cell == cell]
        if g.empty:
            continue
        label = f"{CELL_NAMES[cell]} ({len(g)} seed{'s' * (len(g) > 1)})"
        row = [label] + [_mean_sd(g[k]) for k in METRIC_COLS]
        row.append(_mean_sd(g["greedy_rougeL"]))
        rows.append(row + ([_mean_sd(g["orig_rougeL"])] if orig else []))
    return pd.DataFrame(rows, columns=cols)


CELLS_ORDER = ("rnn", "lstm", "gru")


def best_cell(runs: pd.DataFrame, dataset: str) -> str:
    """The cell with the highest mean test ROUGE-L."""
    return runs[runs.dataset == dataset].groupby("cell")["rougeL"].mean().idxmax()


def published_table(runs: pd.DataFrame, records: dict) -> pd.DataFrame:
    """Published Gigaword numbers beside ours; none is comparable (3.8M vs our pairs)."""
    ours_n = records["gigaword"]["n"]["train"]
    rows = [
        [name, published.SUMMARIZATION_TRAIN[ds], f"{r1:.2f}", f"{r2:.2f}", f"{rl:.2f}", "no"]
        for ds, name, _key, r1, r2, rl, _src in published.SUMMARIZATION
        if ds == "gigaword"
    ]
    sub = runs[runs.dataset == "gigaword"]
    for cell in CELLS_ORDER:
        g = sub[sub.cell == cell]
        if not g.empty:
            rows.append(
                [
                    f"Ours: {CELL_NAMES[cell]} + copy",
                    f"{ours_n:,}",
                    *[_mean_sd(g[k]) for k in ("rouge1", "rouge2", "rougeL")],
                    "--",
                ]
            )
    return pd.DataFrame(rows, columns=["Model", "Train pairs", "R-1", "R-2", "R-L", "Comparable"])


def copy_table(all_runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Each cell with and without the copy mechanism, on the seeds both were trained with."""
    sub = all_runs[all_runs.dataset == dataset]
    seeds = set(sub[~sub["copy"]].seed)
    sub = sub[sub.seed.isin(seeds)]
    rows = []
    for cell in CELLS_ORDER:
        for copy in (True, False):
            g = sub[(sub.cell == cell) & (sub["copy"] == copy)]
            if g.empty:
                continue
            rows.append(
                [CELL_NAMES[cell], "yes" if copy else "no", len(g)]
                + [_mean_sd(g[k]) for k in ("rouge1", "rouge2", "rougeL", "unk_rate")]
            )
    return pd.DataFrame(rows, columns=["Cell", "Copy", "Seeds", "R-1", "R-2", "R-L", "unk %"])


def _clip(text: str, n: int) -> str:
    """At most n words, ASCII only and no backslashes (they go into a LaTeX table)."""
    words = text.encode("ascii", "ignore").decode().replace("\\", "/").split()
    return " ".join(words[:n]) + (" ..." if len(words) > n else "")


def example_indices(record: dict, n: int, max_src: int) -> list[int]:
    """The first n test examples whose source has at most max_src tokens (readable rows)."""
    return [i for i, L in enumerate(record["test_src_len"]) if L <= max_src][:n]


def examples_table(
    results_dir: Path, record: dict, dataset: str, n: int, max_src: int
) -> pd.DataFrame:
    """Source, reference and each cell's beam output (seed 1) for a few test examples."""
    idx = example_indices(record, n, max_src)
    outs = {}
    for cell in CELLS_ORDER:
        path = Path(results_dir) / f"{dataset}_{cell}_seed{min(_seeds(results_dir))}.json"
        if path.exists():
            outs[cell] = results.read_json(path)["outputs_beam"]
    rows = []
    for i in idx:
        ex = record["test_examples"][i]
        texts = [ex["source"], ex["refs"][0]] + [outs[c][i] for c in outs]
        rows.append([_clip(t, 30) for t in texts])
    return pd.DataFrame(rows, columns=["Source", "Reference"] + [CELL_NAMES[c] for c in outs])


def _seeds(results_dir: Path) -> list[int]:
    return sorted({int(p.stem.rsplit("seed", 1)[1]) for p in Path(results_dir).glob("*_seed*")})


def macro_values(runs: pd.DataFrame, records: dict) -> dict:
    """Every number the section quotes in prose."""
    v = {}
    for ds in DATASETS:
        if ds not in records:
            continue
        rec, sub, name = records[ds], runs[runs.dataset == ds], ds.capitalize()
        v[f"Sum{name}Train"] = rec["n"]["train"]
        v[f"Sum{name}Test"] = rec["n"]["test"]
        v[f"Sum{name}Vocab"] = rec["vocab_size"]
        v[f"Sum{name}BaselineK"] = rec["baseline_k"]
        v[f"Sum{name}BleuSignature"] = next(iter(rec["baselines"].values()))["refs"][
            "bleu_signature"
        ]
        v[f"Sum{name}TestOOV"] = round(rec["target_oov"]["test"]["oov"], 1)
        v[f"Sum{name}TestCopyable"] = round(rec["target_oov"]["test"]["copyable"], 1)
        v[f"Sum{name}SrcLen"] = rec["profile"][ds]["src_len"]
        v[f"Sum{name}Epochs"] = rec["profile"][ds]["epochs"]
        for bname, b in rec["baselines"].items():
            tag = "FirstK" if bname.startswith("first-") else "FirstSentence"
            v[f"Sum{name}{tag}RL"] = round(b["refs"]["rougeL"], 1)
        for cell in CELLS_ORDER:
            g = sub[sub.cell == cell]
            if g.empty:
                continue
            for k, col in (
                ("rouge1", "ROne"),
                ("rouge2", "RTwo"),
                ("rougeL", "RL"),
                ("bleu", "BLEU"),
            ):
                v[f"Sum{name}{cell.upper()}{col}"] = round(g[k].mean(), 1)
            v[f"Sum{name}{cell.upper()}RLsd"] = round(g["rougeL"].std(), 1)
            v[f"Sum{name}{cell.upper()}GreedyRL"] = round(g["greedy_rougeL"].mean(), 1)
            v[f"Sum{name}{cell.upper()}TrainMin"] = round(g["train_s"].mean() / 60, 1)
    if not runs.empty:
        means = runs.groupby(["dataset", "cell"])[["rougeL", "greedy_rougeL"]].mean()
        gain = means["rougeL"] - means["greedy_rougeL"]
        v["SumBeamGainMin"], v["SumBeamGainMax"] = round(gain.min(), 1), round(gain.max(), 1)
    giga = runs[runs.dataset == "gigaword"] if not runs.empty else runs
    if not giga.empty:
        ours = giga.groupby("cell")["rougeL"].mean().max()
        rouge_l = [row[5] for row in published.SUMMARIZATION if row[0] == "gigaword"]
        v["SumPublishedGapMin"] = round(min(rouge_l) - ours, 1)
        v["SumPublishedGapMax"] = round(max(rouge_l) - ours, 1)
    if "gigaword" in records:
        v["SumGigawordTrainPercent"] = round(100 * records["gigaword"]["n"]["train"] / 3803957, 2)
    if records:
        prof = next(iter(records.values()))["profile"]
        v.update(
            {
                "SumEmbed": prof["embed_dim"],
                "SumHidden": prof["hidden_size"],
                "SumAttn": prof["attn_dim"],
                "SumBeam": prof["beam"],
                "SumAlpha": f"{prof['alpha']:g}",
                "SumBatch": prof["batch_size"],
                "SumLR": f"{prof['lr']:g}",
                "SumVocabWords": prof["vocab_size"],
                "SumMinFreq": prof["min_freq"],
            }
        )
    if not runs.empty:
        v["SumSeeds"] = int(runs.groupby(["dataset", "cell"]).size().min())
        v["SumTotalMin"] = round(runs["wall_s"].sum() / 60, 1)
        v["SumParamsLSTMGigaword"] = int(
            runs[(runs.dataset == "gigaword") & (runs.cell == "lstm")]["n_parameters"].iloc[0]
        )
    return v


def copy_macros(all_runs: pd.DataFrame) -> dict:
    """Mean R-L and unk rate with and without copying, per cell (ablation seeds only)."""
    if all_runs.empty or all_runs["copy"].all():
        return {}
    sub = all_runs[all_runs.seed.isin(set(all_runs[~all_runs["copy"]].seed))]
    sub = sub[sub.dataset == sub[~sub["copy"]].dataset.iloc[0]]
    v = {"SumAblationSeeds": int(sub[~sub["copy"]].groupby("cell").size().min())}
    for (cell, copy), g in sub.groupby(["cell", "copy"]):
        tag = f"Sum{'Copy' if copy else 'NoCopy'}{cell.upper()}"
        v[f"{tag}RL"] = round(g["rougeL"].mean(), 1)
        v[f"{tag}Unk"] = round(g["unk_rate"].mean(), 1)
    return v


def bleu_signature(results_dir: Path) -> str:
    path = next(Path(results_dir).glob("*_data.json"))
    rec = results.read_json(path)
    return next(iter(rec["baselines"].values()))["refs"]["bleu_signature"]


def write_report(results_dir: Path, generated: Path) -> list[Path]:
    """Every generated LaTeX file of the section, from the results files alone."""
    runs, records = load_runs(results_dir), load_records(results_dir)
    g = Path(generated)
    written = []
    for ds in DATASETS:
        if ds in records:
            written.append(
                latex.table(
                    scores_table(runs, records[ds], ds), g / f"{STEM}_{ds}.tex", PRODUCER, digits=1
                )
            )
    if "gigaword" in records:
        written.append(
            latex.table(
                published_table(runs, records),
                g / f"{STEM}_published.tex",
                PRODUCER,
                align="lrrrrl",
            )
        )
    for ds, max_src in (("gigaword", 30), ("aeslc", 45)):
        if ds in records:
            n = records[ds]["profile"]["n_examples"]
            df = examples_table(results_dir, records[ds], ds, n, max_src)
            align = "p{4.2cm}p{2.3cm}" + "p{2.3cm}" * (len(df.columns) - 2)
            written.append(latex.table(df, g / f"{STEM}_examples_{ds}.tex", PRODUCER, align=align))
    all_runs = load_runs(results_dir, copy=None)
    if not all_runs.empty and (~all_runs["copy"]).any():
        ds = all_runs[~all_runs["copy"]].dataset.iloc[0]
        written.append(
            latex.table(copy_table(all_runs, ds), g / f"{STEM}_copy.tex", PRODUCER, align="llrrrrr")
        )
    values = {**macro_values(runs, records), **copy_macros(all_runs)}
    written.append(latex.macros(values, g / f"{STEM}_macros.tex", PRODUCER))
    return written


# ---------------------------------------------------------------- results -> figures


def length_curve(results_dir: Path, record: dict, dataset: str, n_bins: int = 5) -> pd.DataFrame:
    """Mean test ROUGE-L per source-length quintile: each cell (all seeds) and each baseline."""
    lengths = np.asarray(record["test_src_len"])
    edges = np.unique(np.quantile(lengths, np.linspace(0, 1, n_bins + 1)))
    bins = np.clip(np.searchsorted(edges, lengths, side="right") - 1, 0, len(edges) - 2)
    series = {
        f"baseline: {k}": [v["refs"]["rougeL_per_example"]] for k, v in record["baselines"].items()
    }
    for cell in CELLS_ORDER:
        runs = [
            results.read_json(p)["beam"]["refs"]["rougeL_per_example"]
            for p in sorted(Path(results_dir).glob(f"{dataset}_{cell}_seed*.json"))
        ]
        if runs:
            series[CELL_NAMES[cell]] = runs
    rows = []
    for name, per_seed in series.items():
        for b in range(len(edges) - 1):
            sel = bins == b
            means = [float(np.mean(np.asarray(s)[sel])) for s in per_seed]
            rows.append(
                {
                    "model": name,
                    "bin": b,
                    "length": float(np.median(lengths[sel])),
                    "label": f"{int(edges[b])}-{int(edges[b + 1])}",
                    "rougeL": float(np.mean(means)),
                    "sd": float(np.std(means, ddof=1)) if len(means) > 1 else 0.0,
                }
            )
    return pd.DataFrame(rows)


BASELINE_COLORS = ("#2ca02c", "#8c564b")


def plot_length(results_dir: Path, records: dict):
    """ROUGE-L against source length, one panel per dataset."""
    import matplotlib.pyplot as plt

    from rnnpaper.report import plotting

    fig, axes = plt.subplots(1, len(records), figsize=(3.4 * len(records), 2.8), squeeze=False)
    colors = {**{CELL_NAMES[c]: plotting.CELL_COLORS[c] for c in CELLS_ORDER}}
    for ax, (ds, rec) in zip(axes[0], records.items(), strict=True):
        df = length_curve(results_dir, rec, ds)
        for j, (name, g) in enumerate(df.groupby("model", sort=False)):
            base = name.startswith("baseline")
            ax.errorbar(
                g["bin"],
                g["rougeL"],
                yerr=g["sd"],
                label=name,
                capsize=2,
                color=colors.get(name, BASELINE_COLORS[j % 2]),
                ls=":" if base else "-",
                marker="o^sDv"[j % 5],
                ms=3,
            )
        labels = df.drop_duplicates("bin")["label"]
        ax.set_xticks(range(len(labels)), labels, fontsize=7)
        ax.set_xlabel("source length (tokens, test quintiles)")
        ax.set_ylabel("ROUGE-L F1")
        ax.set_title(ds.capitalize() if ds != "aeslc" else "AESLC")
        ax.legend(fontsize=6, frameon=False)
    return fig


def plot_attention(results_dir: Path, dataset: str = "gigaword"):
    """The attention weights a_tj of each cell (seed 1) on the first test example."""
    import matplotlib.pyplot as plt

    seed = min(_seeds(results_dir))
    exs = {
        c: results.read_json(p)["attention_example"]
        for c in CELLS_ORDER
        if (p := Path(results_dir) / f"{dataset}_{c}_seed{seed}.json").exists()
    }
    fig, axes = plt.subplots(len(exs), 1, figsize=(7, 1.9 * len(exs)), squeeze=False)
    for ax, (cell, ex) in zip(axes[:, 0], exs.items(), strict=True):
        a = np.asarray(ex["attention"])  # (L, S)
        im = ax.imshow(a, aspect="auto", cmap="Greys", vmin=0, vmax=a.max())
        fig.colorbar(im, ax=ax, pad=0.01, fraction=0.03)
        ax.set_xticks(range(len(ex["source"])), ex["source"], rotation=90, fontsize=6)
        ax.set_yticks(range(len(ex["output"])), ex["output"], fontsize=6)
        ax.set_title(CELL_NAMES[cell], fontsize=8)
    fig.tight_layout()
    return fig


def plot_curves(results_dir: Path, records: dict):
    """Validation loss per epoch, mean over seeds, per cell and dataset."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from rnnpaper.report import plotting

    fig, axes = plt.subplots(1, len(records), figsize=(3.4 * len(records), 2.5), squeeze=False)
    for ax, ds in zip(axes[0], records, strict=True):
        for cell in CELLS_ORDER:
            hists = [
                results.read_json(p)["train"]["history"]
                for p in sorted(Path(results_dir).glob(f"{ds}_{cell}_seed*.json"))
            ]
            if not hists:
                continue
            loss = np.mean([[h["val_loss"] for h in hist] for hist in hists], axis=0)
            ax.plot(
                range(1, len(loss) + 1),
                loss,
                marker="o",
                ms=3,
                color=plotting.CELL_COLORS[cell],
                label=CELL_NAMES[cell],
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation NLL per token")
        ax.set_title(ds.capitalize() if ds != "aeslc" else "AESLC")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7, frameon=False)
    return fig


def write_figures(results_dir: Path, figures: Path) -> list[Path]:
    """Every figure of the section, from the results files alone."""
    import matplotlib.pyplot as plt

    from rnnpaper.report import plotting

    plotting.use_style()
    records = load_records(results_dir)
    out = []
    for name, fig in (
        ("length", plot_length(results_dir, records)),
        ("attention", plot_attention(results_dir)),
        ("curves", plot_curves(results_dir, records)),
    ):
        out.append(plotting.save(fig, Path(figures) / f"{STEM}_{name}.pdf"))
        plt.close(fig)
    return out
