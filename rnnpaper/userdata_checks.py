"""The splits and class checks of a user's file (:mod:`rnnpaper.userdata`), before training.

Each takes the file's path, the canonical label of every row and the rows' line numbers, and
raises :class:`UserDataError` naming the file, a line and the fix; ``check_split_classes``
and ``duplicate_warnings`` return warnings (strings) for what is allowed but worth saying.
"""

from collections import Counter

import numpy as np

SPLIT_NAMES = {"train": "train", "validation": "validation", "test": "test"}
SPLIT_NAMES |= {"dev": "validation", "valid": "validation", "val": "validation"}


class UserDataError(ValueError):
    """The user's file cannot be used as classification data; the message says where and why."""


def _first_line(labels: list, lines: list, name: str) -> int:
    return lines[labels.index(name)]


def _fold(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum()) or name


def check_near_duplicates(path, labels: list, lines: list, spellings: dict, column: str) -> None:
    """Two classes whose names differ only in case, spaces or punctuation ('POS', 'pos')."""
    seen: dict[str, str] = {}
    for name in dict.fromkeys(labels):
        other = seen.setdefault(_fold(name), name)
        if other != name:
            a, b = (other, _first_line(labels, lines, other)), (name, lines[labels.index(name)])
            raise UserDataError(
                f"{path}:{b[1]}: label {b[0]!r} differs from {a[0]!r} (line {a[1]}) only in "
                f"case or punctuation in column {column!r}; write one class one way (if they "
                "really are two classes, give them clearly different names)"
            )


def check_two_classes(path, labels: list, column: str) -> None:
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise UserDataError(
            f"{path}: every row has the label {classes[0]!r} in column {column!r}; a classifier "
            "needs at least 2 classes (is --label the right column?)"
        )


def check_class_sizes(path, labels: list, lines: list, minimum: int) -> None:
    """Every class has ``minimum`` examples (carved splits: one each for train/val/test)."""
    for name, n in sorted(Counter(labels).items(), key=lambda kv: (kv[1], kv[0])):
        if n >= minimum:
            return
        what = "a single example" if n == 1 else f"only {n} examples"
        raise UserDataError(
            f"{path}:{_first_line(labels, lines, name)}: class {name!r} has {what}; every "
            f"class needs at least {minimum} (one each for train, validation and test): add "
            "examples, drop its rows, or give the file a 'split' column"
        )


def check_split_classes(path, splits: dict, labels: np.ndarray, names: list, lines: list):
    """Train has >= 2 classes; validation/test have >= 2, all seen in train. -> warnings."""
    seen = {s: set(labels[ix].tolist()) for s, ix in splits.items()}
    if len(seen["train"]) < 2:
        only = names[next(iter(seen["train"]))]
        raise UserDataError(
            f"{path}: the train split holds only class {only!r}; give it rows of every class"
        )
    for s in ("validation", "test"):
        unseen = sorted(seen[s] - seen["train"])
        if unseen:
            line = lines[next(i for i in splits[s] if labels[i] == unseen[0])]
            raise UserDataError(
                f"{path}:{line}: class {names[unseen[0]]!r} is in the {s} split but never in "
                "train, so no model can predict it: add train rows of it, or drop it"
            )
    warnings = [
        f"the {s} split holds only class {names[next(iter(seen[s]))]!r}: its scores say "
        "nothing about the other classes"
        for s in ("validation", "test")
        if len(seen[s]) < 2
    ]
    return warnings + [
        f"class {names[c]!r} has no test rows: its recall counts as 0 in the macro averages"
        for c in sorted(seen["train"] - seen["test"])
    ]


def duplicate_warnings(texts: list, labels: list) -> list:
    """A warning when some texts occur more than once (and when their labels disagree)."""
    by_text: dict[str, set] = {}
    for t, y in zip(texts, labels, strict=True):
        by_text.setdefault(" ".join(t.split()), set()).add(y)
    counts = Counter(" ".join(t.split()) for t in texts)
    repeated = [t for t, n in counts.items() if n > 1]
    if not repeated:
        return []
    clash = sum(len(by_text[t]) > 1 for t in repeated)
    return [
        f"{len(repeated)} texts occur more than once ({clash} of them with different labels); "
        "copies may land in both train and test"
    ]


def carve_splits(labels: np.ndarray, validation_fraction: float, test_fraction: float, seed: int):
    """Indices of train/validation/test: each class split on its own (a seeded shuffle),
    at least one example of every class in each split."""
    rng = np.random.default_rng(seed)
    out = {"train": [], "validation": [], "test": []}
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = max(1, int(round(test_fraction * len(idx))))
        n_val = max(1, int(round(validation_fraction * len(idx))))
        out["test"] += idx[:n_test].tolist()
        out["validation"] += idx[n_test : n_test + n_val].tolist()
        out["train"] += idx[n_test + n_val :].tolist()
    return {s: np.sort(np.array(v, dtype=int)) for s, v in out.items()}


def split_column(path, rows) -> dict | None:
    """Indices of each split named by a ``split`` column, or None when there is none."""
    if not any("split" in row for _, row in rows):
        return None
    out = {"train": [], "validation": [], "test": []}
    for i, (lineno, row) in enumerate(rows):
        s = str(row.get("split", "")).strip().lower()
        if s not in SPLIT_NAMES:
            raise UserDataError(
                f"{path}:{lineno}: split {row.get('split')!r} is not train, validation or test"
            )
        out[SPLIT_NAMES[s]].append(i)
    for s, v in out.items():
        if not v:
            raise UserDataError(
                f"{path}: the 'split' column has no {s!r} rows; give it some, or drop the "
                "column to have the splits carved"
            )
    return {s: np.array(v) for s, v in out.items()}
