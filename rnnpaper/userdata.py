"""Your own classification data: a CSV, TSV or JSON Lines file with named text and label columns.

``load_table(path, text_column, label_column)`` returns the same ``DatasetDict`` shape as
``rnnpaper.data.load`` (train/validation/test with integer ``label``) plus the class names.
Labels may be any strings or numbers; class names are their sorted distinct values. If the
file has a ``split`` column (train/validation/test) it is used; otherwise validation and test
are carved out with a fixed seed, stratified by label where every class allows it.

Errors name the file and the row (the line number in the file), e.g. a wrong column name, an
empty text, or a class with a single example (which can be neither learnt nor evaluated).
"""

import csv
import gzip
import json
from collections import Counter
from pathlib import Path

import datasets
import numpy as np
from sklearn.model_selection import train_test_split

FORMATS = {".csv": ",", ".tsv": "\t", ".jsonl": None}


class UserDataError(ValueError):
    """The user's file cannot be used as classification data; the message says where and why."""


def _format(path: Path) -> str:
    suffixes = [s for s in path.suffixes if s != ".gz"]
    ext = suffixes[-1].lower() if suffixes else ""
    if ext not in FORMATS:
        raise UserDataError(
            f"{path}: unknown format {ext!r}; use one of {sorted(FORMATS)} (optionally .gz)"
        )
    return ext


def _open(path: Path):
    return (
        gzip.open(path, "rt", encoding="utf-8")
        if path.suffix == ".gz"
        else open(path, encoding="utf-8", newline="")
    )


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(line number, row dict) for every record of a CSV/TSV (with header) or JSONL file."""
    path = Path(path)
    if not path.exists():
        raise UserDataError(f"{path}: no such file")
    ext = _format(path)
    with _open(path) as f:
        if ext == ".jsonl":
            rows = []
            for lineno, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    rows.append((lineno, json.loads(line)))
                except json.JSONDecodeError as e:
                    raise UserDataError(f"{path}:{lineno}: not valid JSON ({e.msg})") from e
            return rows
        reader = csv.DictReader(f, delimiter=FORMATS[ext])
        return [(reader.line_num, row) for row in reader]


def _check_columns(path, rows, columns):
    if not rows:
        raise UserDataError(f"{path}: the file has no data rows")
    for lineno, row in rows:
        missing = [c for c in columns if c not in row]
        if missing:
            raise UserDataError(
                f"{path}:{lineno}: no column {missing[0]!r}; the columns are "
                f"{list(row)} (set text_column / label_column)"
            )


def _check_values(path, rows, text_column, label_column):
    for lineno, row in rows:
        text, label = row[text_column], row[label_column]
        if not isinstance(text, str) or not text.strip():
            raise UserDataError(f"{path}:{lineno}: empty text in column {text_column!r}")
        if label is None or str(label).strip() == "":
            raise UserDataError(f"{path}:{lineno}: empty label in column {label_column!r}")
    counts = Counter(str(r[label_column]).strip() for _, r in rows)
    for name, n in counts.items():
        if n < 2:
            lineno = next(ln for ln, r in rows if str(r[label_column]).strip() == name)
            raise UserDataError(
                f"{path}:{lineno}: class {name!r} has a single example; every class needs at "
                "least 2 (one to learn from, one to evaluate on): add examples or drop the row"
            )


def _carve(labels: np.ndarray, fraction: float, seed: int, idx: np.ndarray):
    """Split ``idx`` into (keep, held out), stratified where every class has >= 2 examples."""
    counts = Counter(labels[idx].tolist())
    strat = labels[idx] if min(counts.values()) >= 2 else None
    n_out = max(len(counts) if strat is not None else 1, int(round(fraction * len(idx))))
    return train_test_split(idx, test_size=n_out, random_state=seed, stratify=strat)


def load_table(
    path,
    text_column: str = "text",
    label_column: str = "label",
    validation_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int = 1234,
):
    """(DatasetDict with text/label per split, class names) from a user file (module doc)."""
    path = Path(path)
    rows = read_rows(path)
    _check_columns(path, rows, [text_column, label_column])
    _check_values(path, rows, text_column, label_column)
    raw = [str(r[label_column]).strip() for _, r in rows]
    names = sorted(
        set(raw),
        key=lambda v: (not v.lstrip("-").isdigit(), int(v) if v.lstrip("-").isdigit() else 0, v),
    )
    index = {n: i for i, n in enumerate(names)}
    texts = [r[text_column] for _, r in rows]
    labels = np.array([index[v] for v in raw])
    splits = _split_column(path, rows) or _carve_splits(
        labels, validation_fraction, test_fraction, seed
    )
    dd = datasets.DatasetDict(
        {
            s: datasets.Dataset.from_dict(
                {"text": [texts[i] for i in ix], "label": [int(labels[i]) for i in ix]}
            )
            for s, ix in splits.items()
        }
    )
    return dd, names


def _carve_splits(labels, validation_fraction, test_fraction, seed) -> dict:
    all_idx = np.arange(len(labels))
    rest, test = _carve(labels, test_fraction, seed, all_idx)
    train, val = _carve(labels, validation_fraction / (1 - test_fraction), seed, rest)
    return {"train": np.sort(train), "validation": np.sort(val), "test": np.sort(test)}


def _split_column(path, rows) -> dict | None:
    if "split" not in rows[0][1]:
        return None
    out = {"train": [], "validation": [], "test": []}
    for i, (lineno, row) in enumerate(rows):
        s = str(row["split"]).strip()
        if s not in out:
            raise UserDataError(f"{path}:{lineno}: split {s!r} is not train/validation/test")
        out[s].append(i)
    empty = [s for s, v in out.items() if not v]
    if empty:
        raise UserDataError(f"{path}: the 'split' column has no {empty[0]!r} rows")
    return {s: np.array(v) for s, v in out.items()}
