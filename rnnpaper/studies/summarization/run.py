"""The summarization study's compute: every dataset x cell x seed, the copy ablation, and
each dataset's record (provenance, baselines, source lengths); writes results/07-summarization/.

A run whose results file exists is not repeated. From the command line (several processes may
share the work by seed or cell)::

    python -m rnnpaper.studies.summarization.run --profile paper --threads 2
"""

import argparse
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from rnnpaper import data, paths, profiles, results
from rnnpaper.studies.summarization.baselines import baseline_k, baseline_outputs
from rnnpaper.studies.summarization.config import (
    DATASETS,
    PROFILES,
    STEM,
    Profile,
    model_config,
    sizes,
    train_config,
)
from rnnpaper.tasks import summarization as task
from rnnpaper.text import Vocab


def run_name(dataset: str, kind: str, seed: int, copy: bool = True) -> str:
    """File stem of one run; the copy-mechanism ablation is marked '-nocopy'."""
    return f"{dataset}_{kind}{'' if copy else '-nocopy'}_seed{seed}"


def run_path(out: paths.Outputs, dataset: str, kind: str, seed: int, copy: bool = True) -> Path:
    return out.results / STEM / f"{run_name(dataset, kind, seed, copy)}.json"


def prepare(dataset: str, profile: Profile) -> dict:
    """The task's prepared dataset at this profile's sizes."""
    return task.prepare(dataset, sizes(profile, dataset), profile.vocab_size, profile.min_freq)


def train_one(
    prep: dict, profile: Profile, kind: str, seed: int, out: paths.Outputs, progress: bool = False
) -> dict:
    """Train one model, decode the test set (beam and greedy), score it; returns the payload."""
    dataset, vocab, test = prep["dataset"], prep["vocab"], prep["test"]
    ts = sizes(profile, dataset)
    mcfg = model_config(profile, kind, vocab)
    meta = {"model": asdict(mcfg), "sizes": asdict(ts), "dataset": dataset}
    run_dir = paths.BUILD / "runs" / STEM / out.profile / run_name(dataset, kind, seed, mcfg.copy)
    tcfg = train_config(profile, dataset, seed, progress)
    model, fit = task.train_seq2seq(prep, mcfg, tcfg, profile.batch_size, run_dir, meta)
    batches = task.eval_batches([task.encode(ex, vocab) for ex in test])
    t0 = time.perf_counter()
    beam_out = task.generate(
        model, batches, vocab, len(test), ts.max_decode, profile.beam, profile.alpha
    )
    beam_s = time.perf_counter() - t0
    greedy_out = task.generate(model, batches, vocab, len(test), ts.max_decode)
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
        "beam": task.score_split(beam_out, test, dataset),
        "greedy": task.score_split(greedy_out, test, dataset),
        "outputs_beam": beam_out,
        "attention_example": task.attention_example(model, test[0], vocab, ts.max_decode),
        **results.provenance(),
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
        name: {"outputs": outs, **task.score_split(outs, test, dataset)}
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


def train_and_write(path: Path, prep: dict, profile: Profile, kind, seed, out, progress) -> Path:
    """Write :func:`train_one`'s payload and its wall time to ``path``, unless it exists."""
    if not path.exists():
        t0 = time.perf_counter()
        payload = train_one(prep, profile, kind, seed, out, progress)
        payload["wall_s"] = time.perf_counter() - t0
        results.write_json(path, payload)
    return path


def run(
    profile: str,
    datasets=DATASETS,
    progress: bool = False,
    seeds=None,
    ablation: bool = True,
    cells=None,
) -> dict:
    """Run (or reuse) every dataset x cell x seed of a profile; returns the result paths.

    ``seeds`` and ``cells`` restrict the main runs (so several processes can share the work)
    and ``ablation=False`` skips the no-copy runs.
    """
    P, out = profiles.resolve(PROFILES, profile), paths.outputs(profile)
    done = {}
    for dataset in datasets:
        prep = prepare(dataset, P)
        rec_path = out.results / STEM / f"{dataset}_data.json"
        if not rec_path.exists():
            results.write_json(rec_path, dataset_record(prep, P))
        for seed in seeds or P.seeds:  # seed-major: all cells get a seed before a second
            for kind in cells or P.cells:
                path = run_path(out, dataset, kind, seed)
                done[(dataset, kind, seed)] = train_and_write(
                    path, prep, P, kind, seed, out, progress
                )
        if ablation and dataset == P.ablation_dataset:
            done.update(run_ablation(prep, P, out, progress))
    return done


def run_ablation(prep: dict, profile: Profile, out: paths.Outputs, progress: bool) -> dict:
    """The same models without the copy mechanism (eq. 7.5 off: P(w) = P_vocab(w))."""
    nocopy, done = replace(profile, copy=False), {}
    for seed in profile.ablation_seeds:
        for kind in profile.cells:
            path = run_path(out, prep["dataset"], kind, seed, copy=False)
            done[(prep["dataset"], f"{kind}-nocopy", seed)] = train_and_write(
                path, prep, nocopy, kind, seed, out, progress
            )
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
        P = profiles.resolve(PROFILES, a.profile)
        run_ablation(prepare(P.ablation_dataset, P), P, paths.outputs(a.profile), progress=False)
    else:
        restricted = a.seed is None and a.cell is None
        run(a.profile, tuple(a.dataset or DATASETS), False, a.seed, restricted, a.cell)


if __name__ == "__main__":
    main()
