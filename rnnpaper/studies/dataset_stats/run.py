"""Notebook 00's compute: sizes, class balance and token-length statistics of every dataset,
into results/00-data/stats.json (rewritten only when a number changed)."""

import numpy as np

from rnnpaper import data, paths, profiles, results, text

from .config import LENGTH_BINS, PERCENTILES, PROFILES, STEM


def token_lengths(name: str, split: str) -> np.ndarray:
    """Number of tokens of each text (documents, for summarization) in one split."""
    s = data.spec(name)
    field = "text" if s.task == "classification" else "document"
    rows = data.load(name)[split]
    texts = rows[field] if len(rows) else []
    return np.array([len(text.tokenize(t, s.pretokenized)) for t in texts], dtype=int)


def one_dataset(name: str) -> dict:
    """Split sizes, classes, balance and length statistics of one dataset."""
    s, dd = data.spec(name), data.load(name)
    row = {"dataset": name, "task": s.task, **{f"n_{k}": len(v) for k, v in dd.items()}}
    if s.task == "classification":
        test_labels = np.array(dd["test"]["label"])
        row["classes"] = len(data.label_names(name))
        row["majority_test"] = float(np.bincount(test_labels).max() / len(test_labels))
    split = "train" if len(dd["train"]) else "test"  # AG News: only its test split
    lengths = token_lengths(name, split)
    row["length_split"] = split
    row.update({f"len_p{p}": float(np.percentile(lengths, p)) for p in PERCENTILES})
    row["len_max"] = int(lengths.max())
    row["length_hist"] = np.histogram(lengths, bins=LENGTH_BINS)[0].tolist()
    row["provenance"] = data.describe(name)
    return row


def statistics(names) -> dict:
    """The results payload: one row per dataset, the length bins, the validation recipe."""
    return {
        "datasets": [one_dataset(n) for n in names],
        "length_bins": LENGTH_BINS.tolist(),
        "validation_fraction": data.VALIDATION_FRACTION,
        "validation_seed": data.VALIDATION_SEED,
        **results.provenance(),
        "environment": results.environment(),
    }


def run(profile: str, datasets=None) -> dict:
    """Describe ``datasets`` (default: the profile's) into results/00-data/stats.json."""
    names = datasets or profiles.resolve(PROFILES, profile).datasets
    path = paths.outputs(profile).results / STEM / "stats.json"
    payload = statistics(names)
    if not results.unchanged(path, payload):
        results.write_json(path, payload)
    return results.read_json(path)
