"""The data layer: resolution order, validation splits, provenance and clear errors."""

import gzip
import json
import re
import time

import datasets
import pytest

from rnnpaper import data, paths


def write_split(folder, split, rows):
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / f"{split}.jsonl.gz", "wt", encoding="utf-8") as f:
        for r in rows:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")


def toy_classification(folder, n=40, labels=("neg", "pos")):
    (folder).mkdir(parents=True, exist_ok=True)
    (folder / "labels.json").write_text(json.dumps(list(labels)))
    rows = [{"text": f"text number {i}", "label": i % len(labels)} for i in range(n)]
    write_split(folder, "train", rows)
    write_split(folder, "test", rows[:10])
    return rows


@pytest.fixture
def env_dir(tmp_path, monkeypatch, fresh_data):
    """RNNPAPER_DATA_DIR -> tmp/env, data/ -> tmp/local; both empty."""
    monkeypatch.setenv("RNNPAPER_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setattr(paths, "LOCAL_DATA", tmp_path / "local")
    return tmp_path


def test_registry_knows_every_dataset_and_its_hub_id():
    names = {"sst2", "sst5", "trec", "imdb", "20newsgroups", "ag_news", "gigaword", "aeslc"}
    assert set(data.REGISTRY) == names
    assert all(data.spec(n).hub_id for n in names)
    with pytest.raises(data.DataError, match="unknown dataset 'sst3'.*sst2"):
        data.spec("sst3")


def test_env_dir_wins_over_data_dir(env_dir):
    toy_classification(env_dir / "env" / "trec", n=30)
    toy_classification(env_dir / "local" / "trec", n=50)
    dd = data.load("trec")
    assert len(dd["train"]) + len(dd["validation"]) == 30
    assert data.describe("trec")["folder"] == "$RNNPAPER_DATA_DIR/trec"  # no machine path


def test_data_dir_used_when_env_dir_lacks_the_set(env_dir):
    toy_classification(env_dir / "local" / "trec", n=50)
    dd = data.load("trec")
    assert len(dd["train"]) + len(dd["validation"]) == 50
    assert data.describe("trec")["origin"] == "local"


def test_carved_validation_is_stratified_seeded_and_recorded(env_dir):
    toy_classification(env_dir / "env" / "trec", n=100)
    dd = data.load("trec")
    assert len(dd["validation"]) == 10 and len(dd["train"]) == 90
    assert sorted(dd["validation"]["label"]) == [0] * 5 + [1] * 5  # stratified
    info = data.describe("trec")
    assert "seed 1234" in info["splits"]["validation"]
    data._load.cache_clear()
    assert data.describe("trec")["splits"] == info["splits"]  # same seed, same split
    assert set(dd["train"]["text"]).isdisjoint(dd["validation"]["text"])


def test_provenance_lists_every_file_with_its_sha256(env_dir):
    toy_classification(env_dir / "env" / "trec")
    files = data.describe("trec")["files_sha256"]
    assert set(files) == {"train.jsonl.gz", "test.jsonl.gz"}
    assert files["test.jsonl.gz"] == data.sha256(env_dir / "env" / "trec" / "test.jsonl.gz")


def test_hub_fallback_saves_the_local_layout(env_dir, monkeypatch):
    label = datasets.ClassLabel(names=["neg", "pos"])
    features = datasets.Features({"text": datasets.Value("string"), "label": label})
    split = datasets.Dataset.from_dict(
        {"text": ["a b", "c d"] * 20, "label": [0, 1] * 20}, features=features
    )
    calls = []

    def fake_load_dataset(hub_id, *a, **k):
        calls.append(hub_id)
        return datasets.DatasetDict({"train": split, "test": split})

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    dd = data.load("imdb")
    assert calls == ["stanfordnlp/imdb"]
    saved = env_dir / "local" / "imdb"
    assert (saved / "train.jsonl.gz").exists() and json.loads((saved / "labels.json").read_text())
    assert data.describe("imdb")["origin"] == "hub"
    assert len(dd["test"]) == 40


def test_offline_with_nothing_found_names_every_place_and_the_fix(env_dir, monkeypatch):
    def offline(*a, **k):
        raise ConnectionError("offline mode is enabled")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(data.DataError) as e:
        data.load("sst5")
    msg = str(e.value)
    assert "'sst5' not found" in msg
    assert str(env_dir / "env" / "sst5") in msg and str(env_dir / "local" / "sst5") in msg
    assert "SetFit/sst5" in msg and "offline" in msg
    assert "RNNPAPER_DATA_DIR" in msg


def test_corrupt_gzip_names_the_file(env_dir):
    folder = env_dir / "env" / "trec"
    toy_classification(folder)
    raw = (folder / "train.jsonl.gz").read_bytes()
    (folder / "train.jsonl.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(data.DataError, match=re.escape(str(folder / "train.jsonl.gz"))):
        data.load("trec")


def test_bad_json_line_names_file_and_line(env_dir):
    folder = env_dir / "env" / "trec"
    toy_classification(folder)
    write_split(folder, "train", [{"text": "ok", "label": 0}, '{"text": "broken", '])
    with pytest.raises(data.DataError, match=r"train\.jsonl\.gz:2: not valid JSON"):
        data.load("trec")


def test_missing_field_names_file_line_and_field(env_dir):
    folder = env_dir / "env" / "trec"
    toy_classification(folder)
    write_split(folder, "test", [{"text": "ok", "label": 0}, {"txt": "x", "label": 1}])
    with pytest.raises(data.DataError, match=r"test\.jsonl\.gz:2: missing field\(s\) \['text'\]"):
        data.load("trec")


def test_label_outside_labels_json_names_file_and_line(env_dir):
    folder = env_dir / "env" / "trec"
    toy_classification(folder)
    write_split(folder, "test", [{"text": "ok", "label": 0}] * 3 + [{"text": "x", "label": 7}])
    with pytest.raises(data.DataError, match=r"test\.jsonl\.gz:4: label 7 is outside"):
        data.load("trec")


def test_gigaword_unk_is_unified_and_documents_deduplicated(env_dir):
    folder = env_dir / "env" / "gigaword"
    rows = [{"document": f"doc {i} <unk>", "summary": "s <unk>"} for i in range(30)]
    write_split(folder, "train", rows + rows[:3])
    write_split(folder, "test", [{"document": "d UNK", "summary": "s"}])
    dd = data.load("gigaword")
    docs = list(dd["train"]["document"]) + list(dd["validation"]["document"])
    assert len(docs) == 30 == len(set(docs))
    assert not any("<unk>" in d for d in docs) and all("UNK" in d for d in docs)
    assert data.describe("gigaword")["splits"]["deduplicated_train_documents"] == 3


# --------------------------------------------------------------- the real mirror

README_SHA256 = {  # from the data README's table
    "sst2/test.jsonl.gz": "e6ff41fc56e1a78e0ce2ba4aba452313043c1ef652d5a912cffe6d2a4964a5e2",
    "trec/train.jsonl.gz": "727a58af0c7d17b1d77291f141cf79bbc2e95b86723005cfa06a35ea2d482395",
    "aeslc/validation.jsonl.gz": "02c6a02ebce7069880f700fe81780867a1ebdd3f53c368cf04aaa8586d655da3",
}


def test_real_mirror_checksums_match_the_data_readme(real_data_dir):
    for rel, digest in README_SHA256.items():
        assert data.sha256(real_data_dir / rel) == digest, rel


def test_real_mirror_split_sizes(real_data_dir, fresh_data):
    sizes = {n: {k: len(v) for k, v in data.load(n).items()} for n in ("sst2", "trec")}
    assert sizes["sst2"] == {"train": 6920, "validation": 872, "test": 1821}
    assert sizes["trec"]["train"] + sizes["trec"]["validation"] == 5452
    assert data.label_names("trec") == ["ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM"]


# --------------------------------------------------------------- every bad file: one table

OK_ROWS = [{"text": f"text {i}", "label": i % 2} for i in range(6)]


def _gz(rows) -> bytes:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    return gzip.compress(text.encode("utf-8"))


# (case id, file under the dataset folder, its bytes (None: a folder), message regex)
BAD_FILES = [
    (
        "plain text named .gz",
        "test.jsonl.gz",
        b'{"text": "a", "label": 0}\n',
        r"plain text, not gzip",
    ),
    (
        "truncated gzip",
        "train.jsonl.gz",
        _gz(OK_ROWS * 50)[:60],
        r"corrupt gzip file after line \d+",
    ),
    (
        "not UTF-8",
        "test.jsonl.gz",
        gzip.compress(b'{"text": "ok", "label": 0}\n{"text": "caf\xe9", "label": 1}\n'),
        r"test\.jsonl\.gz:2: byte 0xe9 at column 14 is not UTF-8",
    ),
    (
        "bad JSON",
        "test.jsonl.gz",
        _gz([OK_ROWS[0], '{"text": "x",']),
        r"test\.jsonl\.gz:2: not valid JSON",
    ),
    (
        "array row",
        "test.jsonl.gz",
        _gz([OK_ROWS[0], "[1, 2]"]),
        r"test\.jsonl\.gz:2: expected a JSON object, got list",
    ),
    (
        "missing field",
        "train.jsonl.gz",
        _gz([{"label": 0}]),
        r"train\.jsonl\.gz:1: missing field\(s\) \['text'\]",
    ),
    (
        "label out of range",
        "test.jsonl.gz",
        _gz([{"text": "x", "label": 2}]),
        r"test\.jsonl\.gz:1: label 2 is outside labels\.json \(0\.\.1\)",
    ),
    (
        "label as string",
        "test.jsonl.gz",
        _gz([{"text": "x", "label": "1"}]),
        r"test\.jsonl\.gz:1: label '1' is outside.*integer indices",
    ),
    (
        "label as bool",
        "test.jsonl.gz",
        _gz([{"text": "x", "label": True}]),
        r"test\.jsonl\.gz:1: label True is outside",
    ),
    (
        "text as number",
        "train.jsonl.gz",
        _gz([{"text": 5, "label": 0}]),
        r"train\.jsonl\.gz:1: field 'text' is a int \(5\), not a string",
    ),
    ("empty test file", "test.jsonl.gz", gzip.compress(b""), r"test\.jsonl\.gz: has no rows"),
    (
        "blank lines only",
        "train.jsonl.gz",
        gzip.compress(b"\n\n"),
        r"train\.jsonl\.gz: has no rows",
    ),
    ("split is a folder", "train.jsonl.gz", None, r"train\.jsonl\.gz: cannot be read"),
    (
        "labels.json not JSON",
        "labels.json",
        b"neg, pos",
        r"labels\.json: cannot read the class names",
    ),
    (
        "labels.json not a list",
        "labels.json",
        b'{"0": "neg"}',
        r"labels\.json: must be a JSON list of class names",
    ),
    (
        "labels.json repeats",
        "labels.json",
        b'["neg", "neg"]',
        r"labels\.json: needs at least 2 class names, each once",
    ),
]


@pytest.mark.parametrize(
    "name, content, pattern", [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_every_bad_file_names_file_line_and_fix(env_dir, name, content, pattern):
    folder = env_dir / "env" / "trec"
    toy_classification(folder)
    target = folder / name
    if content is None:
        target.unlink()
        target.mkdir()
    else:
        target.write_bytes(content)
    t0 = time.perf_counter()
    with pytest.raises(data.DataError) as e:
        data.load("trec")
    assert time.perf_counter() - t0 < 5
    assert re.search(pattern, str(e.value)), str(e.value)
    assert str(target) in str(e.value)


def test_blank_lines_in_a_split_file_are_skipped(env_dir):
    folder = env_dir / "env" / "trec"
    toy_classification(folder)
    write_split(folder, "test", [OK_ROWS[0], "", OK_ROWS[1], "   ", ""])  # trailing blank lines
    assert data.load("trec")["test"]["text"] == ["text 0", "text 1"]


def test_summarization_fields_must_be_strings(env_dir):
    folder = env_dir / "env" / "aeslc"
    write_split(
        folder, "test", [{"document": "d", "summary": "s"}, {"document": None, "summary": "s"}]
    )
    with pytest.raises(data.DataError, match=r"test\.jsonl\.gz:2: field 'document' is a NoneType"):
        data.load("aeslc")


def test_results_record_no_absolute_data_path(env_dir):
    toy_classification(env_dir / "env" / "trec")
    toy_classification(env_dir / "local" / "sst2")
    assert data.describe("trec")["folder"] == "$RNNPAPER_DATA_DIR/trec"
    assert data.describe("sst2")["folder"] == "data/sst2"
    assert str(env_dir) not in json.dumps([data.describe(n) for n in ("trec", "sst2")])
