"""Results files: atomic JSON writes and the metadata every result carries."""

import dataclasses
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import torch

from rnnpaper import paths

PACKAGES = (
    "torch",
    "numpy",
    "scikit-learn",
    "datasets",
    "hmmlearn",
    "gensim",
    "rouge-score",
    "sacrebleu",
)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=paths.ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def dirty_files() -> list[str]:
    """Tracked files that differ from the commit (untracked files do not count)."""
    try:
        names = _git("diff", "--name-only", "HEAD").splitlines()
    except (OSError, subprocess.CalledProcessError):
        return []
    return sorted(name for name in names if name)


def git_commit() -> str:
    """The current commit, with '+dirty' when tracked files differ from it; or 'unknown'."""
    try:
        head = _git("rev-parse", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty_files() else "")


def provenance() -> dict:
    """What ties a result to code: the commit, and the modified tracked files if any."""
    commit, dirty = git_commit(), dirty_files()
    return {"git_commit": commit, **({"dirty_files": dirty} if dirty else {})}


def environment() -> dict:
    """Package versions, Python, machine and thread count of this process."""
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    return {
        "packages": versions,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
    }


def to_jsonable(obj):
    """Dataclasses, paths, numpy and torch scalars into plain JSON types."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and getattr(obj, "ndim", 1) == 0:
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return obj


def write_json(path: Path, payload: dict) -> Path:
    """Write ``payload`` as JSON atomically: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(to_jsonable(payload), indent=1, sort_keys=False) + "\n")
    tmp.replace(path)
    return path


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def unchanged(path: Path, payload: dict, ignore=("git_commit", "dirty_files", "environment")):
    """True when ``path`` already holds ``payload`` apart from the keys ``ignore`` (provenance).

    A study that recomputes a cheap result rewrites its file only when a number changed.
    """
    if not Path(path).exists():
        return False
    new = json.loads(json.dumps(to_jsonable(payload)))
    old = read_json(path)
    return {k: v for k, v in old.items() if k not in ignore} == {
        k: v for k, v in new.items() if k not in ignore
    }
