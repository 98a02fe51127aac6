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


def git_commit() -> str:
    """The current commit (with '+dirty' when the tree has changes), or 'unknown'."""
    try:
        run = lambda *a: subprocess.run(
            ["git", *a], cwd=paths.ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        return run("rev-parse", "HEAD") + ("+dirty" if run("status", "--porcelain") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


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
