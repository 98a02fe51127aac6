"""One data layer for every dataset of the study.

``load(name)`` returns a ``datasets.DatasetDict`` with train/validation/test splits. It looks
in ``$RNNPAPER_DATA_DIR/<name>/``, then ``data/<name>/``, then on the Hugging Face hub (saved
into ``data/<name>/`` in the same layout). Files are gzip JSON Lines, one object per row;
``describe(name)`` tells which files a load came from, their sha256 and how the validation
split was made, so every result can record its data.
"""

import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import datasets
import numpy as np

from rnnpaper import paths

SPLITS = ("train", "validation", "test")
VALIDATION_FRACTION = 0.1
VALIDATION_SEED = 1234


class DataError(ValueError):
    """A dataset file is missing, corrupt or malformed; the message names file and line."""


@dataclass(frozen=True)
class DatasetSpec:
    """What the project knows about one dataset: task, fields, hub copy and how it differs."""

    name: str
    task: str  # "classification" or "summarization"
    pretokenized: bool  # already lowercased and tokenized by its source
    hub_id: str | None
    hub_columns: dict = field(default_factory=dict)  # hub column -> our column
    hub_note: str = ""  # where the hub copy differs from the local mirror

    @property
    def fields(self) -> tuple[str, ...]:
        return ("text", "label") if self.task == "classification" else ("document", "summary")


REGISTRY: dict[str, DatasetSpec] = {
    s.name: s
    for s in [
        DatasetSpec(
            "sst2",
            "classification",
            True,
            "SetFit/sst2",
            hub_note="same sentence-level 6,920/872/1,821 split; GLUE's sst2 is not",
        ),
        DatasetSpec(
            "sst5",
            "classification",
            True,
            "SetFit/sst5",
            hub_note="same sentence-level 8,544/1,101/2,210 split",
        ),
        DatasetSpec(
            "trec",
            "classification",
            True,
            "CogComp/trec",
            hub_columns={"coarse_label": "label", "fine_label": "fine_label"},
            hub_note="fine-label integers may be ordered differently",
        ),
        DatasetSpec(
            "imdb",
            "classification",
            False,
            "stanfordnlp/imdb",
            hub_note="same 25,000/25,000 split; the hub also has 50,000 unlabeled",
        ),
        DatasetSpec(
            "20newsgroups",
            "classification",
            False,
            "SetFit/20_newsgroups",
            hub_note="the hub copy has headers, footers and quotes removed; "
            "the local mirror keeps the raw messages",
        ),
        DatasetSpec(
            "ag_news",
            "classification",
            False,
            "fancyzhx/ag_news",
            hub_note="the hub has the 120,000-row train split; the local mirror "
            "holds only the 7,600-row test split",
        ),
        DatasetSpec(
            "gigaword",
            "summarization",
            True,
            "Harvard/gigaword",
            hub_note="the hub has 3,803,957 training pairs; the local mirror holds "
            "a 13,000-pair subset",
        ),
        DatasetSpec(
            "aeslc",
            "summarization",
            False,
            "Yale-LILY/aeslc",
            hub_columns={"email_body": "document", "subject_line": "summary"},
            hub_note="same splits; hub text is whitespace-normalised",
        ),
    ]
}


def spec(name: str) -> DatasetSpec:
    """The registry entry for ``name``, or an error listing the known names."""
    if name not in REGISTRY:
        raise DataError(f"unknown dataset {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name]


# ---------------------------------------------------------------- reading files


def read_jsonl(path: Path, required: tuple[str, ...], n_labels: int | None = None) -> list:
    """Rows of one gzip JSON Lines file, checked; errors name the file, the line and the fix.

    Blank lines are skipped; a file without rows is an error (a split is never empty).
    """
    rows, lineno = [], 0
    try:
        with gzip.open(path, "rb") as f:
            for lineno, raw in enumerate(f, start=1):
                if raw.strip():
                    rows.append(
                        _parse_row(path, lineno, _utf8(path, lineno, raw), required, n_labels)
                    )
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        plain = "plain text, not gzip: compress it with gzip" if lineno == 0 else "truncated"
        raise DataError(
            f"{path}: corrupt gzip file after line {lineno} ({e}); the file looks {plain}, or "
            "delete it and copy or download it again"
        ) from e
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror or e}); check it is a file") from e
    if not rows:
        raise DataError(
            f"{path}: has no rows; copy or download it again (a split file is never empty)"
        )
    return rows


def _utf8(path, lineno, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path}:{lineno}: byte 0x{raw[e.start]:02x} at column {e.start + 1} is not UTF-8; "
            "write the file as UTF-8 (json.dumps(..., ensure_ascii=False) to a UTF-8 stream)"
        ) from None


def _parse_row(path, lineno, line, required, n_labels) -> dict:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as e:
        raise DataError(f"{path}:{lineno}: not valid JSON ({e.msg})") from e
    if not isinstance(row, dict):
        raise DataError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
    missing = [k for k in required if k not in row]
    if missing:
        raise DataError(f"{path}:{lineno}: missing field(s) {missing}; the row has {list(row)}")
    for k in required:
        if k != "label" and not isinstance(row[k], str):
            raise DataError(
                f"{path}:{lineno}: field {k!r} is a {type(row[k]).__name__} "
                f"({row[k]!r:.40}), not a string"
            )
    if n_labels is not None:
        label = row["label"]
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < n_labels:
            raise DataError(
                f"{path}:{lineno}: label {label!r} is outside labels.json (0..{n_labels - 1}); "
                "labels are integer indices into labels.json"
            )
    return row


def read_labels(folder: Path) -> list[str]:
    path = folder / "labels.json"
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read the class names ({e})") from e
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DataError(f"{path}: must be a JSON list of class names (strings), in label order")
    if len(set(names)) != len(names) or len(names) < 2:
        raise DataError(f"{path}: needs at least 2 class names, each once; it has {names}")
    return names


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- resolving


def find_local(name: str) -> Path | None:
    """The first local folder holding ``<name>/test.jsonl.gz``, or None."""
    for base in paths.data_dirs():
        if (base / name / "test.jsonl.gz").exists():
            return base / name
    return None


def portable(folder: Path) -> str:
    """``folder`` as results record it: under ``$RNNPAPER_DATA_DIR`` or ``data/``, never a
    machine's absolute path."""
    env, local = paths.data_dirs()[0], paths.LOCAL_DATA
    for base, label in ((local, "data"), (env, "$RNNPAPER_DATA_DIR")):
        if folder.is_relative_to(base):
            return f"{label}/{folder.relative_to(base).as_posix()}"
    return folder.name


def _searched(name: str) -> list[str]:
    return [str(base / name) for base in paths.data_dirs()]


def fetch_from_hub(name: str, target: Path) -> Path:
    """Download ``name`` from the hub and save it under ``target`` in the local layout."""
    s = spec(name)
    if s.hub_id is None:
        raise DataError(f"{name} has no Hugging Face hub copy")
    hub = datasets.load_dataset(s.hub_id)
    target.mkdir(parents=True, exist_ok=True)
    for split, ds in hub.items():
        if split not in SPLITS:
            continue
        ds = ds.rename_columns({k: v for k, v in s.hub_columns.items() if k in ds.column_names})
        if split == "test" and s.task == "classification":
            names = ds.features["label"].names if hasattr(ds.features["label"], "names") else None
            labels = names or [str(i) for i in sorted(set(ds["label"]))]
            (target / "labels.json").write_text(json.dumps(labels))
        with gzip.open(target / f"{split}.jsonl.gz", "wt", encoding="utf-8") as f:
            for row in ds:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target


def locate(name: str) -> tuple[Path, str]:
    """Folder of ``name`` and where it came from ('local' or 'hub'); a clear error if none."""
    spec(name)
    if folder := find_local(name):
        return folder, "local"
    try:
        return fetch_from_hub(name, paths.LOCAL_DATA / name), "hub"
    except Exception as e:  # offline, unknown id, schema change: all end the same way
        tried = "\n  ".join(
            [f"{p} (no test.jsonl.gz)" for p in _searched(name)]
            + [f"Hugging Face hub {spec(name).hub_id!r} ({type(e).__name__}: {e})"]
        )
        raise DataError(
            f"dataset {name!r} not found. Searched:\n  {tried}\n"
            f"Fix: set RNNPAPER_DATA_DIR to a folder that holds {name}/train.jsonl.gz "
            f"(e.g. the shared mirror), or go online so the hub copy can be saved into data/."
        ) from None


# ---------------------------------------------------------------- splits


def carve_validation(rows: list[dict], task: str, seed: int = VALIDATION_SEED):
    """Split train rows into (train, validation): stratified by label, a fixed seed."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(rows))
    strat = [r["label"] for r in rows] if task == "classification" else None
    train_idx, val_idx = train_test_split(
        idx, test_size=VALIDATION_FRACTION, random_state=seed, stratify=strat
    )
    train_idx, val_idx = np.sort(train_idx), np.sort(val_idx)
    return [rows[i] for i in train_idx], [rows[i] for i in val_idx], val_idx


def dedupe_pairs(rows: list[dict]) -> list[dict]:
    """Drop repeated documents (keep the first), so no document is in train and validation."""
    seen, out = set(), []
    for r in rows:
        if r["document"] not in seen:
            seen.add(r["document"])
            out.append(r)
    return out


def normalise_unk(rows: list[dict]) -> list[dict]:
    """Gigaword's first 1,000 pairs write '<unk>' where the rest write 'UNK': use 'UNK'."""
    for r in rows:
        for k in ("document", "summary"):
            r[k] = r[k].replace("<unk>", "UNK")
    return rows


# ---------------------------------------------------------------- public API


@cache
def _load(name: str):
    s = spec(name)
    folder, origin = locate(name)
    labels = read_labels(folder) if s.task == "classification" else None
    n_labels = len(labels) if labels else None
    rows, files = {}, {}
    for split in SPLITS:
        path = folder / f"{split}.jsonl.gz"
        if path.exists():
            rows[split] = read_jsonl(path, s.fields, n_labels)
            files[path.name] = sha256(path)
    if "train" not in rows:
        rows["train"] = []
    recipe = {"validation": "provided by the source"}
    if name == "gigaword":
        before = len(rows["train"])
        rows["train"] = dedupe_pairs(normalise_unk(rows["train"]))
        rows["test"] = normalise_unk(rows["test"])
        recipe["deduplicated_train_documents"] = before - len(rows["train"])
        recipe["unk"] = "'<unk>' mapped to 'UNK'"
    if "validation" not in rows and rows["train"]:
        rows["train"], rows["validation"], val_idx = carve_validation(rows["train"], s.task)
        recipe["validation"] = (
            f"carved from train: {VALIDATION_FRACTION:.0%}, seed {VALIDATION_SEED}, "
            + ("stratified by label" if s.task == "classification" else "random")
        )
        recipe["validation_indices_sha256"] = hashlib.sha256(val_idx.tobytes()).hexdigest()
    info = {
        "dataset": name,
        "origin": origin,
        "folder": portable(folder),
        "hub_id": s.hub_id,
        "files_sha256": files,
        "labels": labels,
        "splits": recipe,
    }
    return rows, info


def load(name: str) -> datasets.DatasetDict:
    """Train/validation/test of ``name`` as a DatasetDict (empty splits where none exist)."""
    rows, info = _load(name)
    dd = datasets.DatasetDict(
        {split: datasets.Dataset.from_list(rows.get(split, [])) for split in SPLITS}
    )
    return dd


def describe(name: str) -> dict:
    """Provenance of ``load(name)``: folder, origin, files with sha256, split recipe, labels."""
    return dict(_load(name)[1])


def label_names(name: str) -> list[str]:
    """Class names of a classification dataset, in label-index order."""
    return describe(name)["labels"]
