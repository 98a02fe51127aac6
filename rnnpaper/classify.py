"""Text classification with any recurrent cell: model, named configurations, data, the study.

The classifier (notebook 06, eqs. 1-4):

    x_t = E[w_t]                                   embedding, dropout p          (1)
    h_1..h_T = Recurrent(x_1..x_T)                 rnn / lstm / gru, D directions (2)
    z = pool(h_1..h_T)   last: [h_T^fwd; h_1^bwd], mean or max over real tokens   (3)
    p(y | w) = softmax(W_z dropout(z) + b_z)                                       (4)

Configurations are frozen dataclasses: :class:`ModelConfig` (the proposal's "model
configuration": cell, layers, hidden units, direction, activation, dropout, pooling) with
named presets in :data:`PRESETS`, and :class:`Sizes` (data and budget of one profile) in
:data:`PROFILES`. :func:`run_study` trains and writes results; the report builders
(:func:`build_outputs`) read only the results files.
"""

import dataclasses
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from rnnpaper import data, metrics, paths, profiles, results, text, train
from rnnpaper.models import baselines
from rnnpaper.models.recurrent import Recurrent
from rnnpaper.report import latex, published

STEM = "06-classification"
PRODUCER = f"{STEM}.ipynb"
SMALL = ("sst2", "sst5", "trec")  # sentence-level: more seeds
DOCUMENTS = ("imdb", "20newsgroups")
DATASETS = SMALL + DOCUMENTS


# ---------------------------------------------------------------- model


@dataclass(frozen=True)
class ModelConfig:
    """One classifier architecture (eqs. 1-4)."""

    cell: str = "lstm"  # rnn | lstm | gru
    embed_dim: int = 64
    hidden_size: int = 64
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.3  # on embeddings, between layers and before the output layer
    pooling: str = "mean"  # last | mean | max
    nonlinearity: str = "tanh"  # Elman RNN only: tanh | relu
    impl: str = "auto"  # rnnpaper.recurrent.Recurrent: fused torch.nn where possible

    def __post_init__(self):
        if self.pooling not in ("last", "mean", "max"):
            raise ValueError(f"pooling {self.pooling!r} not in last/mean/max")


def pool(y, final, mask, how: str, D: int) -> torch.Tensor:
    """Eq. (3): y (B, T, D*H), final h_n (L*D, B, H), mask (B, T) -> z (B, D*H)."""
    if how == "last":
        h_n = final[0] if isinstance(final, tuple) else final  # (L*D, B, H)
        return torch.cat(list(h_n[-D:]), dim=-1)  # (B, D*H): top layer, every direction
    m = mask.unsqueeze(-1)  # (B, T, 1)
    if how == "mean":
        return (y * m).sum(1) / m.sum(1).clamp(min=1)  # (B, D*H)
    return y.masked_fill(~m, float("-inf")).max(1).values  # (B, D*H)


class Classifier(nn.Module):
    """Embedding, recurrent stack, pooling, linear layer (eqs. 1-4)."""

    def __init__(self, vocab_size: int, n_classes: int, cfg: ModelConfig, pad_id: int = 0):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(vocab_size, cfg.embed_dim, padding_idx=pad_id)
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = Recurrent(
            cfg.cell,
            cfg.embed_dim,
            cfg.hidden_size,
            cfg.num_layers,
            cfg.bidirectional,
            cfg.dropout if cfg.num_layers > 1 else 0.0,
            cfg.impl,
            cfg.nonlinearity,
        )
        self.head = nn.Linear(self.encoder.output_size, n_classes)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids (B, T), mask (B, T) bool -> logits (B, C)."""
        x = self.drop(self.embedding(ids))  # (B, T, E)
        # equal-length batches need no packing: torch's unpacked path is much faster
        y, final = self.encoder(x, None if bool(mask.all()) else mask)  # (B, T, D*H)
        z = pool(y, final, mask, self.cfg.pooling, self.encoder.D)  # (B, D*H)
        return self.head(self.drop(z))  # (B, C)


def recurrent_parameters(cfg: ModelConfig) -> int:
    """Parameters of the recurrent stack alone (the embedding is the same for every cell)."""
    enc = Recurrent(
        cfg.cell,
        cfg.embed_dim,
        cfg.hidden_size,
        cfg.num_layers,
        cfg.bidirectional,
        impl=cfg.impl,
        nonlinearity=cfg.nonlinearity,
    )
    return sum(p.numel() for p in enc.parameters())


def equal_parameter_hidden(cfg: ModelConfig, target: int) -> int:
    """Hidden size whose recurrent parameter count is closest to ``target``."""
    best = min(
        range(8, 1025),
        key=lambda H: abs(recurrent_parameters(replace(cfg, hidden_size=H)) - target),
    )
    return best


def _presets() -> dict[str, ModelConfig]:
    base = {}
    for cell in ("rnn", "lstm", "gru"):
        base[cell] = ModelConfig(cell=cell)
        base[f"bi{cell}"] = ModelConfig(cell=cell, bidirectional=True)
    for bi in ("", "bi"):  # equal parameter budget: the LSTM's recurrent parameters
        target = recurrent_parameters(base[f"{bi}lstm"])
        for cell in ("rnn", "gru"):
            c = base[f"{bi}{cell}"]
            base[f"{bi}{cell}-eqp"] = replace(c, hidden_size=equal_parameter_hidden(c, target))
    base["bilstm-last"] = replace(base["bilstm"], pooling="last")
    base["bilstm-max"] = replace(base["bilstm"], pooling="max")
    base["lstm-2layer"] = replace(base["lstm"], num_layers=2)
    base["rnn-relu"] = replace(base["rnn"], nonlinearity="relu")
    return base


PRESETS: dict[str, ModelConfig] = _presets()
CELLS = ("rnn", "lstm", "gru")
MAIN = CELLS + tuple(f"bi{c}" for c in CELLS)
EQUAL_PARAMS = ("rnn-eqp", "gru-eqp", "birnn-eqp", "bigru-eqp")
POOLING = ("bilstm-last", "bilstm-max")
EQUAL_PARAMS_ROWS = ("rnn", "rnn-eqp", "gru", "gru-eqp", "lstm")
EQUAL_PARAMS_ROWS += tuple(f"bi{p}" for p in EQUAL_PARAMS_ROWS)
POOLING_ROWS = ("bilstm-last", "bilstm", "bilstm-max")


# ---------------------------------------------------------------- profiles


@dataclass(frozen=True)
class Sizes:
    """Data sizes and compute budget of one profile."""

    datasets: tuple = DATASETS
    presets: tuple = MAIN  # run on every dataset
    extra_presets: dict = field(default_factory=dict)  # dataset -> further presets run there
    seeds_small: int = 5
    seeds_documents: int = 3
    max_len: int = 150  # tokens kept from the start of each text
    vocab_size: int = 20000
    min_freq: int = 2
    train_limit: dict = field(default_factory=dict)  # dataset -> training examples kept
    eval_limit: int | None = None  # validation/test examples kept (smoke only)
    length_quantum: dict = field(default_factory=lambda: {"imdb": 8, "20newsgroups": 8})
    batch_size: dict = field(default_factory=lambda: {"imdb": 128, "20newsgroups": 128})
    epochs: dict = field(
        default_factory=lambda: {"sst2": 6, "sst5": 6, "trec": 8, "imdb": 8, "20newsgroups": 12}
    )
    patience: int = 2
    lr_grid: tuple = (3e-3, 1e-2, 3e-2)
    tune_dataset: str = "sst2"
    threads: int = 1  # torch threads per run
    workers: int = 1  # runs trained at once, each in its own process (see run_jobs)

    def batch(self, dataset: str) -> int:
        return self.batch_size.get(dataset, 64)

    def tuned_presets(self) -> list[str]:
        """Every preset the profile runs: each gets the same learning-rate grid."""
        extra = [p for ps in self.extra_presets.values() for p in ps]
        return list(dict.fromkeys(list(self.presets) + extra))


EXTRA = {  # dataset -> presets beyond MAIN: equal parameter budget, pooling ablation
    d: EQUAL_PARAMS + POOLING for d in DATASETS
}
PROFILES = {
    "smoke": Sizes(
        presets=("rnn", "lstm", "bigru"),
        extra_presets={"trec": ("bigru-eqp",)},
        seeds_small=2,
        seeds_documents=2,
        max_len=30,
        vocab_size=2000,
        train_limit={d: 200 for d in DATASETS},
        eval_limit=100,
        epochs={d: 2 for d in DATASETS},
        lr_grid=(1e-2,),
    ),
    # the reference run: 5 seeds on the sentence sets, 3 on document subsets, two runs at once
    "paper": Sizes(
        extra_presets=EXTRA,
        train_limit={"imdb": 5000, "20newsgroups": 6000},
        epochs={"sst2": 6, "sst5": 6, "trec": 8, "imdb": 8, "20newsgroups": 12},
        workers=2,
    ),
    # every training document and 5 seeds everywhere: for a bigger machine (not run here)
    "full": Sizes(extra_presets=EXTRA, seeds_documents=5, workers=2),
}


def seeds_for(dataset: str, sizes: Sizes) -> list[int]:
    """Seeds of one dataset: more on the cheap sentence-level sets."""
    n = sizes.seeds_documents if dataset in DOCUMENTS else sizes.seeds_small
    return list(range(n))


# ---------------------------------------------------------------- data


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


def prepare(name: str, sizes: Sizes, dd=None, label_names=None) -> Prepared:
    """Tokenize, truncate to ``max_len``, build the vocabulary on train, encode every split."""
    if dd is None:
        dd, label_names, info = data.load(name), data.label_names(name), data.describe(name)
        pretok = data.REGISTRY[name].pretokenized
    else:
        info, pretok = {"dataset": name, "origin": "user file"}, False
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
    info = {**info, "preprocessing": _describe_prep(name, sizes, splits, vocab)}
    return Prepared(name, list(label_names), vocab, splits, info)


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


@torch.no_grad()
def predict(model: Classifier, split: Split, batch_size: int = 256) -> np.ndarray:
    """Predicted classes of every example of ``split`` in order."""
    model.eval()
    lengths = [len(s) for s in split.ids]
    order = np.argsort(lengths, kind="stable")
    pred = np.empty(len(lengths), dtype=int)
    for k in range(0, len(order), batch_size):
        idx = order[k : k + batch_size].tolist()
        ids, mask, _ = collate(split, idx)
        pred[idx] = model(ids, mask).argmax(1).numpy()
    return pred


# ---------------------------------------------------------------- one run


def _outdir(out: paths.Outputs) -> Path:
    return out.results / STEM


def _ckpt_dir(profile: str) -> Path:
    return paths.BUILD / STEM / profile / "checkpoints"


def train_config(sizes: Sizes, dataset: str, lr: float, seed: int) -> train.TrainConfig:
    return train.TrainConfig(
        epochs=sizes.epochs[dataset] if dataset in sizes.epochs else 6,
        lr=lr,
        weight_decay=0.01,
        clip_norm=1.0,
        patience=sizes.patience,
        schedule="cosine",
        seed=seed,
        progress=False,
    )


def run_model(
    prep: Prepared,
    preset: str,
    cfg: ModelConfig,
    tcfg: train.TrainConfig,
    sizes: Sizes,
    result_path: Path,
    ckpt_dir: Path,
    test: bool = True,
) -> dict:
    """Train one classifier (or find it finished) and write its results JSON."""
    meta = {
        "dataset": prep.name,
        "preset": preset,
        "model": cfg,
        "data": prep.info.get("files_sha256"),
        "prep": prep.info["preprocessing"],
        "batch_size": sizes.batch(prep.name),
    }
    chash = train.config_hash(tcfg, {**meta, "test": test})  # the tuning run's weights are
    # reused by seed 0 of the same lr: train.fit finds its checkpoint folder finished
    if result_path.exists() and results.read_json(result_path).get("config_hash") == chash:
        return results.read_json(result_path)
    train.seed_everything(tcfg.seed)
    model = Classifier(len(prep.vocab), len(prep.label_names), cfg, prep.vocab.pad_id)
    tr, va, te = (prep.splits[s] for s in ("train", "validation", "test"))
    quantum = sizes.length_quantum.get(prep.name, 1)

    def loss_fn(m, batch):
        ids, mask, y = batch
        return F.cross_entropy(m(ids, mask), y), int(mask.sum())

    def evaluate(m):
        return metrics.scores(va.labels, predict(m, va), len(prep.label_names))

    fit = train.fit(
        model,
        tcfg,
        train_batches(tr, sizes.batch(prep.name), tcfg.seed, quantum),
        loss_fn,
        evaluate,
        monitor="accuracy",
        mode="max",
        run_dir=ckpt_dir / prep.name / f"{preset}-lr{tcfg.lr:g}-s{tcfg.seed}",
        meta=meta,
    )
    payload = {
        "config_hash": chash,
        "dataset": prep.name,
        "preset": preset,
        "seed": tcfg.seed,
        "model_config": cfg,
        "recurrent_parameters": recurrent_parameters(cfg),
        "fit": fit.payload,
        "validation": fit.best,
    }
    if test:
        t0 = time.perf_counter()
        pred = predict(model, te)
        payload["test_s"] = time.perf_counter() - t0
        payload["test"] = metrics.report(te.labels, pred, prep.label_names)
        payload["test_pred"] = pred.tolist()
    results.write_json(result_path, payload)
    return payload


BASELINES = "baselines"  # Job.preset of a dataset's non-neural baselines


@dataclass(frozen=True)
class Job:
    """One unit of the study: a training run (tuning when ``test`` is False) or, with
    ``preset == BASELINES``, a dataset's baselines. Its result is written to ``path``."""

    dataset: str
    preset: str
    lr: float
    seed: int
    path: Path
    test: bool = True


_WORKER: dict = {}  # what every job in this process shares, set by _init_worker


def _init_worker(preps: dict, sizes: Sizes, out: paths.Outputs, ckpt: Path) -> None:
    torch.set_num_threads(sizes.threads)
    _WORKER.update(preps=preps, sizes=sizes, out=out, ckpt=ckpt)


def _run_job(job: Job) -> dict:
    prep, sizes = _WORKER["preps"][job.dataset], _WORKER["sizes"]
    try:
        if job.preset == BASELINES:
            return run_baselines(prep, _WORKER["out"])
        tcfg = train_config(sizes, job.dataset, job.lr, job.seed)
        return run_model(
            prep, job.preset, PRESETS[job.preset], tcfg, sizes, job.path, _WORKER["ckpt"], job.test
        )
    except Exception as e:
        raise RuntimeError(f"{job.dataset} {job.preset} lr {job.lr:g} seed {job.seed}: {e}") from e


def run_jobs(
    jobs: list[Job],
    preps: dict,
    sizes: Sizes,
    out: paths.Outputs,
    ckpt: Path,
    desc: str | None = None,
):
    """Yield ``(job, result)`` as each job finishes; with ``desc``, a progress bar (and ETA)
    over the jobs.

    With ``sizes.workers > 1`` the jobs run in a pool of that many fresh (spawned) processes,
    ``sizes.threads`` torch threads each, taken in list order. Every run seeds itself, so its
    result does not depend on which process ran it or when; finished runs are files, so an
    interrupted study loses only the runs in progress. The first failure cancels the jobs not
    yet started and is raised with the job's name.
    """
    bar = tqdm(total=len(jobs), desc=desc, disable=desc is None, mininterval=5.0)
    for job, result in _run_jobs(jobs, preps, sizes, out, ckpt):
        bar.update()
        yield job, result
    bar.close()


def _run_jobs(jobs, preps, sizes, out, ckpt):
    if sizes.workers <= 1:
        _init_worker(preps, sizes, out, ckpt)
        for job in jobs:
            yield job, _run_job(job)
        return
    pool = ProcessPoolExecutor(
        sizes.workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(preps, sizes, out, ckpt),
    )
    try:
        futures = {pool.submit(_run_job, job): job for job in jobs}
        for f in as_completed(futures):
            yield futures[f], f.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def choose_learning_rates(done: dict, sizes: Sizes, out: paths.Outputs, dataset: str, log=print):
    """Learning rate of each preset: the best of ``lr_grid`` by validation accuracy (seed 0),
    the smaller on a tie. ``done``: tuning Job -> its result."""
    scores = {}
    for job, r in done.items():
        scores.setdefault(job.preset, {})[job.lr] = r["validation"]["accuracy"]
    chosen = {p: max(s, key=lambda lr: (s[lr], -lr)) for p, s in scores.items()}
    for p in chosen:
        log(f"tune {p}: {scores[p]} -> lr {chosen[p]:g}")
    results.write_json(
        _outdir(out) / "tuning" / "chosen.json",
        {"dataset": dataset, "lr_grid": sizes.lr_grid, "lr": chosen},
    )
    return chosen


def run_baselines(prep: Prepared, out: paths.Outputs) -> dict:
    """Majority, TF-IDF+LR and NBSVM on the same truncated tokens; results JSON per dataset."""
    path = _outdir(out) / "baselines" / f"{prep.name}.json"
    key = train.config_hash(
        train.TrainConfig(),
        {
            "prep": prep.info["preprocessing"],
            "grid": baselines.C_GRID,
            "data": prep.info.get("files_sha256"),
        },
    )
    if path.exists() and results.read_json(path).get("config_hash") == key:
        return results.read_json(path)
    tr, va, te = (prep.splits[s] for s in ("train", "validation", "test"))
    payload = {"config_hash": key, "dataset": prep.name, "models": {}}
    for name in baselines.FACTORIES:
        t0 = time.perf_counter()
        sel = baselines.fit_select(name, tr.tokens, tr.labels, va.tokens, va.labels)
        pred = sel["model"].predict(te.tokens)
        payload["models"][name] = {
            "C": sel["C"],
            "grid": sel["grid"],
            "validation_accuracy": sel["val_accuracy"],
            "wall_s": time.perf_counter() - t0,
            "test": metrics.report(te.labels, pred, prep.label_names),
            "test_pred": pred.tolist(),
        }
    results.write_json(path, payload)
    return payload


def write_dataset_info(prep: Prepared, out: paths.Outputs) -> None:
    """Test labels, untruncated test lengths and provenance, for figures and significance."""
    te = prep.splits["test"]
    results.write_json(
        _outdir(out) / "data" / f"{prep.name}.json",
        {
            "dataset": prep.name,
            "label_names": prep.label_names,
            "provenance": prep.info,
            "test_labels": te.labels.tolist(),
            "test_full_lengths": te.full_lengths.tolist(),
        },
    )


def presets_for(dataset: str, sizes: Sizes) -> list[str]:
    return list(sizes.presets) + list(sizes.extra_presets.get(dataset, ()))


def run_study(
    profile: str = "smoke", datasets=None, user=None, log=print, progress: bool = True
) -> dict:
    """Tune on ``tune_dataset``, then every preset x seed x dataset, plus the baselines
    (``progress``: a bar with ETA over the runs).

    ``user``: ``(DatasetDict, label_names)`` from :func:`rnnpaper.userdata.load_table`; the
    study then runs on that data alone (named "user") with the profile's sizes, into
    ``build/user-<profile>/``.
    """
    sizes = profiles.resolve(PROFILES, profile)
    out = paths.outputs(profile if user is None else f"user-{profile}")
    ckpt = _ckpt_dir(out.profile)
    t0, started = time.perf_counter(), time.time()
    names = ["user"] if user is not None else list(datasets or sizes.datasets)
    preps = {}
    for name in names:
        preps[name] = prepare(name, sizes, *(user or (None, None)))
    tune_on = "user" if user is not None else sizes.tune_dataset
    if tune_on not in preps:
        preps[tune_on] = prepare(tune_on, sizes)
    tuning = [
        Job(tune_on, p, lr, 0, _outdir(out) / "tuning" / f"{p}-lr{lr:g}.json", test=False)
        for p in sizes.tuned_presets()
        for lr in sizes.lr_grid
    ]
    bar = f"{profile}: tuning" if progress else None
    done = dict(run_jobs(tuning, {tune_on: preps[tune_on]}, sizes, out, ckpt, bar))
    lrs = choose_learning_rates(done, sizes, out, tune_on, log)
    jobs = [Job(n, BASELINES, 0.0, 0, _outdir(out) / "baselines" / f"{n}.json") for n in names]
    for name in names:
        write_dataset_info(preps[name], out)
        for seed in seeds_for(name, sizes):  # seeds outermost: a cut-short run stays usable
            for p in presets_for(name, sizes):
                path = _outdir(out) / "runs" / name / f"{p}-s{seed}.json"
                jobs.append(Job(name, p, lrs[p], seed, path))
    bar = f"{profile}: runs" if progress else None
    for job, r in run_jobs(jobs, {n: preps[n] for n in names}, sizes, out, ckpt, bar):
        if job.preset != BASELINES:
            log(
                f"{job.dataset} {job.preset} seed {job.seed}: test acc "
                f"{r['test']['accuracy']:.4f} ({r['fit']['wall_s']:.0f} s, "
                f"{r['fit']['tokens_per_s']:.0f} tok/s)"
            )
    wall = time.perf_counter() - t0
    path = _outdir(out) / "study.json"
    calls = results.read_json(path)["calls"] if path.exists() else []
    ran = sum(j.path.stat().st_mtime >= started for j in tuning + jobs)  # not found finished
    if ran == 0 and calls:  # everything was cached: nothing to add to the record
        return {"outputs": out, "wall_s": wall}
    calls.append(
        {
            "wall_s": wall,
            **results.provenance(),
            "datasets": names,
            "jobs": len(tuning + jobs),
            "ran": ran,
        }
    )
    results.write_json(
        path,
        {
            "profile": profile,
            "sizes": dataclasses.asdict(sizes),
            "calls": calls,
            "wall_s_total": sum(c["wall_s"] for c in calls),
            "environment": results.environment(),
        },
    )
    return {"outputs": out, "wall_s": wall}


def compute_seconds(results_dir: Path, runs: list[dict], bl: dict) -> float:
    """Summed time of every run (training, validation, test) and baseline (``runs``, ``bl``:
    as loaded from ``results_dir``); a tuning run whose weights seed 0 reused counts once."""
    tuning = [results.read_json(p) for p in sorted((results_dir / "tuning").glob("*-lr*.json"))]
    fits = {r["fit"]["config_hash"]: r["fit"]["wall_s"] for r in tuning + runs}
    compute = sum(fits.values()) + sum(r.get("test_s", 0.0) for r in runs)
    return compute + sum(m["wall_s"] for b in bl.values() for m in b["models"].values())


# ---------------------------------------------------------------- reading results

LABELS = {
    "rnn": "RNN",
    "lstm": "LSTM",
    "gru": "GRU",
    "birnn": "BiRNN",
    "bilstm": "BiLSTM",
    "bigru": "BiGRU",
    "majority": "Majority class",
    "tfidf_lr": "TF-IDF + LR",
    "nbsvm": "NBSVM",
}
DATASET_LABELS = {
    "sst2": "SST-2",
    "sst5": "SST-5",
    "trec": "TREC-6",
    "imdb": "IMDB",
    "20newsgroups": "20NG",
    "user": "user",
}


def label(preset: str) -> str:
    """Display name of a preset or baseline, e.g. 'bigru-eqp' -> 'BiGRU (eq. params)'."""
    base, _, rest = preset.partition("-")
    name = LABELS.get(base, base)
    return name + {"": "", "eqp": " (eq. params)"}.get(rest, f" ({rest})")


def load_runs(results_dir: Path) -> list[dict]:
    """Every neural run JSON under ``results_dir/runs``, sorted by path."""
    return [results.read_json(p) for p in sorted((Path(results_dir) / "runs").glob("*/*.json"))]


def load_baselines(results_dir: Path) -> dict:
    return {
        p.stem: results.read_json(p)
        for p in sorted((Path(results_dir) / "baselines").glob("*.json"))
    }


def load_data_info(results_dir: Path) -> dict:
    return {
        p.stem: results.read_json(p) for p in sorted((Path(results_dir) / "data").glob("*.json"))
    }


def run_table(runs: list[dict]):
    """One row per neural run: dataset, preset, seed, test scores, size and cost."""
    import pandas as pd

    rows = [
        {
            "dataset": r["dataset"],
            "preset": r["preset"],
            "seed": r["seed"],
            **{
                k: r["test"][k] for k in ("accuracy", "macro_precision", "macro_recall", "macro_f1")
            },
            "n_parameters": r["fit"]["n_parameters"],
            "recurrent_parameters": r["recurrent_parameters"],
            "epochs": len(r["fit"]["history"]),
            "best_epoch": r["fit"]["best_epoch"],
            "wall_s": r["fit"]["wall_s"],
            "tokens_per_s": r["fit"]["tokens_per_s"],
            "lr": r["fit"]["train_config"]["lr"],
        }
        for r in runs
    ]
    return pd.DataFrame(rows)


def baseline_table(bl: dict):
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "dataset": ds,
                "preset": name,
                "seed": 0,
                **{
                    k: m["test"][k]
                    for k in ("accuracy", "macro_precision", "macro_recall", "macro_f1")
                },
                "C": m["C"],
                "wall_s": m["wall_s"],
            }
            for ds, b in bl.items()
            for name, m in b["models"].items()
        ]
    )


def summarize(df, metric: str = "accuracy"):
    """Mean and std (over seeds) of ``metric`` per dataset and preset, in percent."""
    g = df.groupby(["dataset", "preset"])[metric]
    out = g.agg(["mean", "count"]).reset_index()
    out["std"] = g.std(ddof=1).fillna(0.0).values
    out[["mean", "std"]] *= 100
    return out


# ---------------------------------------------------------------- tables

CITE_KEYS = {
    "Tai et al. (2015)": "tai2015",
    "Kim (2014)": "kim2014",
    "Dai and Le (2015)": "dai2015",
    "Wang and Manning (2012)": "wang2012",
    "Dieng et al. (2017)": "dieng2017",
}


def _grid(summary, rows, datasets):
    """Rows x datasets of 'mean ± std' strings ('--' where a run is missing)."""
    import pandas as pd

    cell = {
        (r.dataset, r.preset): latex.mean_pm_std(r.mean, r.std, r.count)
        for r in summary.itertuples()
    }
    return pd.DataFrame(
        [
            {
                "Model": label(p),
                **{DATASET_LABELS.get(d, d): cell.get((d, p), "--") for d in datasets},
            }
            for p in rows
        ]
    )


def _datasets(df) -> list[str]:
    present = set(df["dataset"])
    return [d for d in list(DATASETS) + ["user"] if d in present]


def _rows(df, wanted) -> list[str]:
    present = set(df["preset"])
    return [p for p in wanted if p in present]


def presets_frame():
    """The named presets, for the paper's configuration table."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "Preset": name,
                "Cell": c.cell.upper(),
                "Layers": c.num_layers,
                "Hidden": c.hidden_size,
                "Directions": 2 if c.bidirectional else 1,
                "Activation": c.nonlinearity if c.cell == "rnn" else "gates",
                "Dropout": f"{c.dropout:.1f}",
                "Pooling": c.pooling,
                "Rec. params": recurrent_parameters(c),
            }
            for name, c in PRESETS.items()
        ]
    )


SIGN_FLIP_RESAMPLES = 20000


def significance(runs, bl, data_info) -> list[dict]:
    """Best two rows per dataset by mean test accuracy: exact McNemar and sign-flip tests."""
    out = []
    for ds in [d for d in list(DATASETS) + ["user"] if any(r["dataset"] == d for r in runs)]:
        y = np.asarray(data_info[ds]["test_labels"])
        correct = _correct_by_preset(ds, y, runs, bl)
        ranked = sorted(correct, key=lambda p: -np.mean(correct[p]["mean"]))
        a, b = ranked[:2]
        mc = metrics.mcnemar(correct[a]["first"], correct[b]["first"])
        sf = metrics.sign_flip_test(correct[a]["mean"], correct[b]["mean"], SIGN_FLIP_RESAMPLES)
        out.append(
            {
                "dataset": ds,
                "best": a,
                "second": b,
                "best_accuracy": 100 * float(np.mean(correct[a]["mean"])),
                "second_accuracy": 100 * float(np.mean(correct[b]["mean"])),
                "mcnemar_p": mc["p_value"],
                "sign_flip_p": sf["p_value"],
            }
        )
    return out


def _correct_by_preset(ds, y, runs, bl) -> dict:
    """preset -> per-example correctness: seed 0 ('first') and averaged over seeds ('mean')."""
    by = {}
    for r in sorted((r for r in runs if r["dataset"] == ds), key=lambda r: r["seed"]):
        by.setdefault(r["preset"], []).append(np.asarray(r["test_pred"]) == y)
    out = {p: {"first": c[0], "mean": np.mean(c, 0)} for p, c in by.items()}
    for name, m in bl.get(ds, {}).get("models", {}).items():
        if name != "majority":
            c = np.asarray(m["test_pred"]) == y
            out[name] = {"first": c, "mean": c.astype(float)}
    return out


def published_frame(summary, bsum):
    """Published numbers beside ours (same dataset, closest architecture)."""
    import pandas as pd

    ours = {
        (r.dataset, r.preset): latex.mean_pm_std(r.mean, r.std, r.count)
        for r in pd.concat([summary, bsum]).itertuples()
    }
    return pd.DataFrame(
        [
            {
                "Data": DATASET_LABELS[p["dataset"]],
                "Published model": p["model"],
                "Published": f"{p['value']:.1f}",
                "Source": p["source"],
                "Ours": label(p["ours"]) + ": " + ours.get((p["dataset"], p["ours"]), "--"),
                "What differs": p["differs"],
            }
            for p in published.CLASSIFICATION
        ]
    )


def build_tables(results_dir: Path, generated: Path) -> dict:
    """Every table and the macros file of the study, from the results files only."""
    runs, bl = load_runs(results_dir), load_baselines(results_dir)
    info = load_data_info(results_dir)
    df, bdf = run_table(runs), baseline_table(bl)
    df.attrs["train_config"] = runs[0]["fit"]["train_config"] if runs else {}
    acc, f1 = summarize(df), summarize(df, "macro_f1")
    bacc, bf1 = summarize(bdf), summarize(bdf, "macro_f1")
    ds = _datasets(df)
    rows = _rows(df, MAIN) + list(baselines.FACTORIES)
    g = Path(generated)
    w = lambda frame, name, **kw: latex.table(frame, g / f"{STEM}_{name}.tex", PRODUCER, **kw)
    out = {
        "main": w(_grid(pd_concat(acc, bacc), rows, ds), "accuracy"),
        "f1": w(_grid(pd_concat(f1, bf1), rows, ds), "macro_f1"),
        "presets": w(presets_frame(), "presets", digits=0),
        "published": w(published_frame(acc, bacc), "published", align="llrp{3.0cm}lp{3.4cm}"),
    }
    eq_rows = _rows(df, EQUAL_PARAMS_ROWS)
    eq_ds = [d for d in ds if not df[(df.dataset == d) & df.preset.str.endswith("-eqp")].empty]
    if eq_ds:
        frame = _grid(acc, eq_rows, eq_ds)
        frame.insert(1, "Hidden", [PRESETS[p].hidden_size for p in eq_rows])
        frame.insert(2, "Rec. params", [recurrent_parameters(PRESETS[p]) for p in eq_rows])
        lr = df.groupby("preset")["lr"].first()
        frame.insert(3, "lr", [f"{lr[p]:g}" for p in eq_rows])
        out["eqp"] = w(frame, "equal_params", digits=0)
    pool_rows = _rows(df, POOLING_ROWS)
    if len(pool_rows) > 1:
        frame = _grid(acc, pool_rows, ds)
        frame.insert(1, "Pooling", [PRESETS[p].pooling for p in pool_rows])
        out["pooling"] = w(frame, "pooling")
    sig = significance(runs, bl, info)
    out["significance"] = w(_significance_frame(sig), "significance")
    out["cost"] = w(_cost_frame(df, ds), "cost", digits=0)
    out["macros"] = latex.macros(
        _macro_values(runs, bl, info, df, (acc, f1, bacc, bf1), sig, results_dir),
        g / f"{STEM}_macros.tex",
        PRODUCER,
    )
    return out


def pd_concat(a, b):
    import pandas as pd

    return pd.concat([a, b], ignore_index=True)


def _significance_frame(sig):
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "Data": DATASET_LABELS.get(s["dataset"], s["dataset"]),
                "Best": label(s["best"]),
                "Acc.": f"{s['best_accuracy']:.1f}",
                "Second": label(s["second"]),
                "Acc. 2": f"{s['second_accuracy']:.1f}",
                "McNemar p": f"{s['mcnemar_p']:.3f}",
                "Sign-flip p": f"{s['sign_flip_p']:.3f}",
            }
            for s in sig
        ]
    )


def _cost_frame(df, ds):
    """Training tokens per second (thousands) and mean wall time per run, per preset."""
    import pandas as pd

    rows = []
    for p in _rows(df, MAIN + EQUAL_PARAMS):
        sub = df[df.preset == p]
        row = {"Model": label(p)}
        for d in ds:
            t = sub[sub.dataset == d]["tokens_per_s"]
            row[f"{DATASET_LABELS.get(d, d)} ktok/s"] = f"{t.mean() / 1e3:.0f}" if len(t) else "--"
        row["s / run"] = f"{sub['wall_s'].mean():.0f}"
        rows.append(row)
    return pd.DataFrame(rows)


MACRO_KEYS = {"20newsgroups": "newsgroups"}  # macro names cannot start from digits nicely


def _k(ds: str) -> str:
    return MACRO_KEYS.get(ds, ds)


def _macro_values(runs, bl, info, df, summaries, sig, results_dir) -> dict:
    """Every number the paper's prose quotes, keyed for latex.macro_name. ``summaries``:
    accuracy and macro-F1 summaries of the neural runs and of the baselines."""
    acc, f1, bacc, bf1 = summaries
    v = {}
    for r in pd_concat(acc, bacc).itertuples():
        v[f"cls {_k(r.dataset)} {r.preset} acc"] = r.mean
        v[f"cls {_k(r.dataset)} {r.preset} std"] = r.std
    for r in pd_concat(f1, bf1).itertuples():
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
    top = pd_concat(acc, bacc).sort_values("mean").groupby("dataset").tail(1)
    v["cls linear best"] = int(top.preset.isin(list(baselines.FACTORIES)).sum())
    v["cls datasets"] = len(top)
    v.update(_budget_macros(df, info, results_dir, runs, bl))
    v.update(_length_macros(runs, bl, info))
    v.update(_comparison_macros(df, acc))
    return v


def equal_params_deltas(df):
    """Per dataset and cell: accuracy at equal parameters minus at equal hidden size (points),
    and Welch's t-test over seeds (two-sided, uncorrected)."""
    import pandas as pd
    from scipy import stats

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
                v[f"cls eqp {name} data"] = DATASET_LABELS.get(row.dataset, row.dataset)
    mean = acc.set_index(["dataset", "preset"])["mean"]
    spreads = [  # the widest gap between the one-direction cells on a sentence-level set
        max(mean[(ds, c)] for c in CELLS) - min(mean[(ds, c)] for c in CELLS)
        for ds in SMALL
        if all((ds, c) in mean for c in CELLS)
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
        f = _bucket_frame(runs, bl, info, ds)
        for p, sub in f.groupby("preset"):
            v[f"cls {_k(ds)} {p} shortest"] = 100 * sub["accuracy"].iloc[0]
            v[f"cls {_k(ds)} {p} longest"] = 100 * sub["accuracy"].iloc[-1]
        edges = LENGTH_EDGES[ds]
        v[f"cls {_k(ds)} shortest below"] = edges[1]
        v[f"cls {_k(ds)} longest from"] = edges[-1]
    return v


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
    v["cls nbsvm beta"] = f"{baselines.NBSVM().beta:g}"
    v["cls c grid"] = ", ".join(f"{c:g}" for c in baselines.C_GRID)
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


# ---------------------------------------------------------------- figures

LENGTH_EDGES = {"imdb": (0, 100, 150, 250, 400, 700), "20newsgroups": (0, 25, 50, 100, 150, 300)}


def learning_curves(runs: list[dict]):
    """Validation accuracy per epoch (mean over seeds), one panel per dataset."""
    import matplotlib.pyplot as plt

    from rnnpaper.report import plotting

    ds = [d for d in list(DATASETS) + ["user"] if any(r["dataset"] == d for r in runs)]
    fig, axes = plt.subplots(1, len(ds), figsize=(2.4 * len(ds), 2.3), squeeze=False)
    for ax, d in zip(axes[0], ds, strict=True):
        for p in MAIN:
            curves = [
                [h["accuracy"] for h in r["fit"]["history"]]
                for r in runs
                if r["dataset"] == d and r["preset"] == p
            ]
            if not curves:
                continue
            n = max(map(len, curves))
            mean = [100 * np.mean([c[e] for c in curves if len(c) > e]) for e in range(n)]
            ax.plot(
                range(1, n + 1),
                mean,
                label=label(p),
                ls="--" if p.startswith("bi") else "-",
                color=plotting.CELL_COLORS[p.removeprefix("bi")],
            )
        ax.set_title(DATASET_LABELS.get(d, d))
        ax.set_xlabel("epoch")
    axes[0][0].set_ylabel("validation accuracy (%)")
    axes[0][-1].legend(fontsize=6, frameon=False)
    return fig


def _bucket_frame(runs, bl, info, ds):
    import pandas as pd

    y = np.asarray(info[ds]["test_labels"])
    lengths = np.asarray(info[ds]["test_full_lengths"])
    correct = _correct_by_preset(ds, y, runs, bl)
    rows = []
    for p in [q for q in MAIN + ("nbsvm",) if q in correct]:
        for b in metrics.length_buckets(lengths, correct[p]["mean"], LENGTH_EDGES[ds]):
            rows.append({"preset": p, **b})
    return pd.DataFrame(rows)


def length_figure(runs, bl, info):
    """Test accuracy by untruncated document length, IMDB and 20 Newsgroups."""
    import matplotlib.pyplot as plt

    from rnnpaper.report import plotting

    ds = [d for d in DOCUMENTS if d in info and any(r["dataset"] == d for r in runs)]
    fig, axes = plt.subplots(
        1, max(1, len(ds)), figsize=(4.4 * max(1, len(ds)), 2.9), squeeze=False
    )
    for ax, d in zip(axes[0], ds, strict=False):
        f = _bucket_frame(runs, bl, info, d)
        edges = LENGTH_EDGES[d]
        names = [f"{lo}-{hi}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        names.append(f"{edges[-1]}+")
        counts = f.drop_duplicates("lo").set_index("lo")["n"]
        names = [f"{n} ({counts.get(lo, 0)})" for n, lo in zip(names, edges, strict=True)]
        for p, sub in f.groupby("preset", sort=False):
            pos = [edges.index(lo) for lo in sub["lo"]]
            color = plotting.CELL_COLORS.get(p.removeprefix("bi"), plotting.CELL_COLORS["baseline"])
            ax.plot(
                pos,
                100 * sub["accuracy"],
                marker="o",
                ms=3,
                label=label(p),
                color=color,
                ls="--" if p.startswith("bi") else "-",
            )
        ax.set_xticks(range(len(names)), names, fontsize=6, rotation=35, ha="right")
        ax.set_xlabel("tokens before truncation (number of test documents)", fontsize=8)
        ax.set_title(DATASET_LABELS[d])
    axes[0][0].set_ylabel("test accuracy (%)")
    axes[0][-1].legend(fontsize=6, frameon=False)
    return fig


def confusion_figure(runs, info, datasets=("sst5", "trec")):
    """Row-normalised test confusion matrix of the best neural preset (summed over seeds)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    ds = [d for d in datasets if any(r["dataset"] == d for r in runs)] or sorted(
        {r["dataset"] for r in runs}
    )[:1]
    fig, axes = plt.subplots(1, len(ds), figsize=(3.3 * len(ds), 3.0), squeeze=False)
    for ax, d in zip(axes[0], ds, strict=True):
        sub = [r for r in runs if r["dataset"] == d]
        means = {
            p: np.mean([r["test"]["accuracy"] for r in sub if r["preset"] == p])
            for p in {r["preset"] for r in sub}
        }
        best = max(sorted(means), key=means.get)
        cm = np.sum([r["test"]["confusion"] for r in sub if r["preset"] == best], 0)
        cm = cm / cm.sum(1, keepdims=True).clip(min=1)
        names = info[d]["label_names"]
        sns.heatmap(
            100 * cm,
            annot=True,
            fmt=".0f",
            cmap="Blues",
            cbar=False,
            ax=ax,
            xticklabels=names,
            yticklabels=names,
            annot_kws={"fontsize": 6},
        )
        ax.set_title(f"{DATASET_LABELS.get(d, d)}: {label(best)}")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.tick_params(labelsize=6)
    return fig


def build_figures(results_dir: Path, figures: Path) -> dict:
    """The study's three figures, from the results files only."""
    import matplotlib.pyplot as plt

    from rnnpaper.report import plotting

    plotting.use_style()
    runs, bl = load_runs(results_dir), load_baselines(results_dir)
    info = load_data_info(results_dir)
    out = {}
    for name, make in (
        ("curves", lambda: learning_curves(runs)),
        ("length", lambda: length_figure(runs, bl, info)),
        ("confusion", lambda: confusion_figure(runs, info)),
    ):
        fig = make()
        out[name] = plotting.save(fig, Path(figures) / f"{STEM}_{name}")
        plt.close(fig)
    return out


def build_outputs(out: paths.Outputs) -> dict:
    """Tables, macros and figures of one profile's results folder."""
    res = _outdir(out)
    return {**build_tables(res, out.generated), **build_figures(res, out.figures)}
