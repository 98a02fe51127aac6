"""Your own classification data: a CSV, TSV or JSON Lines file with named text and label columns.

``load_table(path, text_column, label_column)`` returns a :class:`UserData` ``(dd,
label_names, info)`` (a named 3-tuple): ``dd`` has the shape of ``rnnpaper.data.load``
(train/validation/test, ``text`` and integer ``label``), ``label_names`` the class names in
label order, ``info`` the file's absolute path, SHA-256, columns, classes and split recipe
(what a run's configuration hash must cover). Every check runs before anything is trained.

Accepted input:

* ``.csv`` (comma), ``.tsv`` (tab) with a header row, or ``.jsonl`` (one JSON object a line);
  any of them gzip-compressed as ``<name>.<ext>.gz``. Blank lines are skipped.
* UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8"), or UTF-16 with a BOM;
  another encoding by name (``encoding="latin-1"``). CSV quoting as Python's ``csv`` reads it.
* Texts: non-empty strings. Labels: strings or numbers, trimmed and with runs of spaces made
  one; numbers are one class per value (``1``, ``1.0`` and ``"01"`` are class ``1``). Two
  labels that differ only in case or punctuation (``POS``/``pos``) are refused, naming both.
* At least 2 classes. An optional ``split`` column (``train``/``validation``/``test``; also
  ``dev``, ``valid``, ``val``) fixes the splits: each needs rows and 2 classes, and every
  validation/test class must occur in train. Without it, each class is split on its own
  (``test_fraction``, ``validation_fraction``, seed 1234) and needs 3 examples, one per split.

An error is a :class:`UserDataError` naming the absolute path, the line where there is one,
and the fix. Relative paths are resolved from the current working directory.
"""

import csv
import gzip
import hashlib
import io
import json
import math
import os
import zlib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

import numpy as np

from rnnpaper.userdata_checks import (
    UserDataError,
    carve_splits,
    check_class_sizes,
    check_near_duplicates,
    check_split_classes,
    check_two_classes,
    duplicate_warnings,
    split_column,
)

FORMATS = {".csv": ",", ".tsv": "\t", ".jsonl": None}
MAX_FIELD_CHARS = 16 * 2**20  # a CSV field longer than this is taken as an unclosed quote
MIN_PER_CLASS = 3  # carved splits: one example each for train, validation and test


class UserData(NamedTuple):
    """What :func:`load_table` returns; unpacks as ``dd, label_names, info``."""

    dd: object  # datasets.DatasetDict
    label_names: list
    info: dict


def resolve(path) -> Path:
    """``path`` made absolute from the current working directory (``~`` expanded)."""
    return Path(os.path.abspath(Path(path).expanduser()))


def _format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    ext = suffixes[-1] if suffixes else ""
    if ext not in FORMATS:
        raise UserDataError(
            f"{path}: unknown format {ext or '(no extension)'!r}; name the file .csv, .tsv "
            "or .jsonl (optionally .gz after it)"
        )
    return ext


def read_bytes(path: Path) -> bytes:
    """The file's bytes (decompressed when it ends in .gz); errors say what the file is."""
    if not path.exists():
        raise UserDataError(f"{path}: no such file (relative paths start at {Path.cwd()})")
    if path.is_dir():
        raise UserDataError(f"{path}: is a folder; give the data file inside it")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UserDataError(f"{path}: cannot be read ({e.strerror}); check its permissions") from e
    if path.suffix.lower() == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (gzip.BadGzipFile, EOFError, zlib.error) as e:
            raise UserDataError(
                f"{path}: not a complete gzip file ({e}); compress it again with gzip, or "
                "remove the .gz from its name if it is plain text"
            ) from e
    if not raw.strip():
        raise UserDataError(f"{path}: the file is empty; it needs a header and data rows")
    return raw


def decode(path: Path, raw: bytes, encoding: str = "utf-8") -> str:
    """Text of the file: UTF-8 (BOM dropped), UTF-16 with a BOM, or ``encoding``."""
    codec = encoding
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16"
    elif encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        codec = "utf-8-sig"
    try:
        text = raw.decode(codec)
    except LookupError as e:
        raise UserDataError(f"{path}: unknown encoding {encoding!r}; try 'latin-1'") from e
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise UserDataError(
            f"{path}:{line}: byte 0x{raw[e.start]:02x} (column {col}) is not {encoding}; "
            "the file is probably Latin-1 or Windows-1252. Fix: save it as UTF-8 (Excel: "
            "'CSV UTF-8'; or iconv -f latin1 -t utf-8), or pass encoding 'latin-1' "
            "(--encoding latin-1)"
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise UserDataError(
            f"{path}:{line}: contains a NUL character; this is not a text file (a spreadsheet "
            "or binary file renamed?): export it as CSV, TSV or JSON Lines"
        )
    return text


def read_rows(path, encoding: str = "utf-8") -> list[tuple[int, dict]]:
    """(line number, row dict) for every record of a CSV/TSV (with header) or JSONL file."""
    path = resolve(path)
    ext = _format(path)
    text = decode(path, read_bytes(path), encoding)
    rows = _read_jsonl(path, text) if ext == ".jsonl" else _read_csv(path, text, FORMATS[ext])
    if not rows:
        raise UserDataError(f"{path}: the file has a header but no data rows")
    return rows


def _read_jsonl(path: Path, text: str) -> list:
    rows = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise UserDataError(
                f"{path}:{lineno}: not valid JSON ({e.msg} at column {e.colno}); each line "
                'must be one object like {"text": "...", "label": "..."}'
            ) from None
        if not isinstance(row, dict):
            raise UserDataError(
                f"{path}:{lineno}: a JSON {type(row).__name__}, not an object; each line must "
                'be one object like {"text": "...", "label": "..."}'
            )
        rows.append((lineno, row))
    return rows


def _read_csv(path: Path, text: str, sep: str) -> list:
    limit = csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        return _csv_records(path, reader, sep)
    except csv.Error as e:
        fix = (
            f'a field is longer than {MAX_FIELD_CHARS:,} characters: is a quote (") never '
            "closed before it? Otherwise shorten the text"
            if "field limit" in str(e)
            else 'a quote (") is probably never closed: close it, or double quotes inside a '
            'quoted field ("")'
        )
        kind = "TSV" if sep == "\t" else "CSV"
        raise UserDataError(f"{path}:{reader.line_num}: unreadable {kind} ({e}); {fix}") from None
    finally:
        csv.field_size_limit(limit)


def _csv_records(path: Path, reader, sep: str) -> list:
    header, rows, start = None, [], 1
    for fields in reader:
        lineno, start = start, reader.line_num + 1
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = _header(path, lineno, fields, sep)
            continue
        if len(fields) != len(header):
            raise UserDataError(
                f"{path}:{lineno}: {len(fields)} field(s), but the header has "
                f"{len(header)}; a field that contains {_sep_name(sep)} or a line break "
                "must be in double quotes"
            )
        rows.append((lineno, dict(zip(header, fields, strict=True))))
    return rows


def _sep_name(sep: str) -> str:
    return "a tab" if sep == "\t" else repr(sep)


def _header(path: Path, lineno: int, fields: list, sep: str) -> list:
    names = [f.strip() for f in fields]
    if "" in names:
        raise UserDataError(
            f"{path}:{lineno}: column {names.index('') + 1} of the header has no name; "
            "the first line must name every column"
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserDataError(f"{path}:{lineno}: the header names {dupes[0]!r} twice; rename one")
    return names


# ---------------------------------------------------------------- values


def canonical_label(value) -> str | None:
    """One spelling per class: trimmed, single spaces; a number as its value ('1.0' -> '1')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        value = repr(value)
    if not isinstance(value, str):
        return None
    s = " ".join(value.split())
    try:
        d = Decimal(s.replace("_", "!"))  # Decimal would read '1_0' as 10: not a number here
    except InvalidOperation:
        return s
    if not d.is_finite():
        return s
    return str(int(d)) if d == d.to_integral_value() else format(d.normalize(), "f")


def _label_sort_key(name: str):
    try:
        return (0, Decimal(name), name)
    except InvalidOperation:
        return (1, Decimal(0), name)


def _check_columns(path, rows, text_column, label_column):
    if text_column == label_column:
        raise UserDataError(f"{path}: text and label are both column {text_column!r}")
    for lineno, row in rows:
        for col, what, param in (
            (text_column, "--text", "text_column"),
            (label_column, "--label", "label_column"),
        ):
            if col not in row:
                raise UserDataError(
                    f"{path}:{lineno}: no column {col!r}; the columns are {list(row)}"
                    f"{_column_hint(path, col, list(row))} (name the column with {what} "
                    f"or {param}=)"
                )


def _column_hint(path: Path, col: str, names: list) -> str:
    folded = [n for n in names if n.casefold() == col.casefold()]
    if folded:
        return f"; did you mean {folded[0]!r}?"
    if len(names) == 1 and _format(path) != ".jsonl":
        for sep, name, fix in (("\t", "tab", "rename it to .tsv"), (";", "';'", "use commas")):
            if sep in names[0]:
                return f"; the header looks {name}-separated: {fix}"
    return ""


def _values(path, rows, text_column, label_column):
    """(texts, canonical labels, {canonical: [spellings]}), every value checked."""
    texts, labels, spellings = [], [], {}
    for lineno, row in rows:
        text, label = row[text_column], row[label_column]
        if isinstance(text, bool) or isinstance(text, int | float):
            raise UserDataError(
                f"{path}:{lineno}: the text in column {text_column!r} is the number {text!r}, "
                'not a string; write it in quotes ("...")'
            )
        if not isinstance(text, str) or not text.strip():
            raise UserDataError(
                f"{path}:{lineno}: empty text in column {text_column!r}; fill it in or drop the row"
            )
        name = canonical_label(label)
        if name is None or name == "":
            what = "empty label" if label in (None, "") or not str(label).strip() else "label"
            raise UserDataError(
                f"{path}:{lineno}: {what} {label!r} in column {label_column!r}; a label must "
                "be a non-empty string or a finite number"
            )
        texts.append(text)
        labels.append(name)
        spellings.setdefault(name, set()).add(str(label).strip() if label is not True else "true")
    return texts, labels, {k: sorted(v) for k, v in spellings.items()}


# ---------------------------------------------------------------- public API


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_table(
    path,
    text_column: str = "text",
    label_column: str = "label",
    validation_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int = 1234,
    encoding: str = "utf-8",
) -> UserData:
    """``UserData(dd, label_names, info)`` from a user file; see the module doc."""
    if not (0 < validation_fraction and 0 < test_fraction < 1 - validation_fraction):
        raise UserDataError(
            f"validation_fraction {validation_fraction} and test_fraction {test_fraction} "
            "must be positive and sum to less than 1"
        )
    path = resolve(path)
    rows = read_rows(path, encoding)
    _check_columns(path, rows, text_column, label_column)
    texts, raw, spellings = _values(path, rows, text_column, label_column)
    lines = [ln for ln, _ in rows]
    check_near_duplicates(path, raw, lines, spellings, label_column)
    check_two_classes(path, raw, label_column)
    names = sorted(set(raw), key=_label_sort_key)
    index = {n: i for i, n in enumerate(names)}
    labels = np.array([index[v] for v in raw])
    splits = split_column(path, rows)
    if splits is None:
        check_class_sizes(path, raw, lines, MIN_PER_CLASS)
        splits = carve_splits(labels, validation_fraction, test_fraction, seed)
        recipe = (
            f"carved per class: test {test_fraction:.0%}, validation "
            f"{validation_fraction:.0%} (at least one of each class), seed {seed}"
        )
    else:
        recipe = "from the file's 'split' column"
    warnings = check_split_classes(path, splits, labels, names, lines)
    warnings += duplicate_warnings(texts, raw)
    return UserData(
        _dataset_dict(splits, texts, labels),
        names,
        _info(path, text_column, label_column, names, spellings, recipe, splits, warnings),
    )


def _dataset_dict(splits, texts, labels):
    import datasets  # slow to import: after every check has passed

    return datasets.DatasetDict(
        {
            s: datasets.Dataset.from_dict(
                {"text": [texts[i] for i in ix], "label": [int(labels[i]) for i in ix]}
            )
            for s, ix in splits.items()
        }
    )


def _info(path, text_column, label_column, names, spellings, recipe, splits, warnings) -> dict:
    sha = file_sha256(path)
    return {
        "origin": "user file",
        "path": str(path),
        "file": path.name,
        "sha256": sha,
        "files_sha256": {"user_file": sha},  # not keyed by name: a renamed copy is the same data
        "text_column": text_column,
        "label_column": label_column,
        "label_names": list(names),
        "label_spellings": {n: spellings[n] for n in names if spellings[n] != [n]},
        "splits": {"recipe": recipe, **{s: len(v) for s, v in splits.items()}},
        "warnings": warnings,
    }
