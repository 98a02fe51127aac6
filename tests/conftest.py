"""Shared fixtures: offline hub, the shared data mirror when present, a fresh data cache."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@pytest.fixture
def fresh_data(monkeypatch):
    """The data layer with an empty cache, restored afterwards."""
    from rnnpaper import data

    data._load.cache_clear()
    yield data
    data._load.cache_clear()


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The data mirror named by RNNPAPER_DATA_DIR; tests that need it skip without it."""
    d = os.environ.get("RNNPAPER_DATA_DIR")
    if not d or not (Path(d) / "sst2" / "test.jsonl.gz").exists():
        pytest.skip("RNNPAPER_DATA_DIR does not point at the dataset mirror")
    return Path(d)
