"""Own data can't be stale: the configuration hash covers the file, the columns and the
classes; the benchmark datasets' hashes are those of the committed runs."""

import json

import pytest

from rnnpaper import paths, results, train, userdata
from rnnpaper.tasks.classification import DataSizes, prepare


def study_key(prep) -> str:
    """The hash the classification study gives a run: data and preprocessing enter it."""
    meta = {"data": prep.info.get("files_sha256"), "prep": prep.info["preprocessing"]}
    return train.config_hash(train.TrainConfig(), meta)


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _rows(flip=False):
    return [
        {"text": f"review {i} " + ("good" if i % 2 else "bad"), "y": (i + flip) % 2, "z": i % 3 > 0}
        for i in range(30)
    ]


def test_own_data_key_changes_with_labels_columns_and_not_otherwise(tmp_path):
    sizes = DataSizes(max_len=20)
    key = lambda path, label="y": study_key(
        prepare("user", sizes, *userdata.load_table(path, "text", label))
    )
    base = key(_write(tmp_path / "a.jsonl", _rows()))
    assert key(_write(tmp_path / "b.jsonl", _rows())) == base  # same bytes, same runs
    assert key(_write(tmp_path / "a.jsonl", _rows(flip=True))) != base  # labels flipped
    assert key(_write(tmp_path / "a.jsonl", _rows()), "z") != base  # another label column
    prep = prepare("user", sizes, *userdata.load_table(tmp_path / "a.jsonl", "text", "y"))
    source = prep.info["preprocessing"]["source"]
    assert source["files_sha256"] == {"user_file": prep.info["sha256"]}
    assert (source["text_column"], source["label_column"]) == ("text", "y")
    assert source["label_names"] == ["0", "1"] == prep.label_names
    assert prep.info["path"] == str(tmp_path / "a.jsonl")


def test_benchmark_prepare_keeps_the_committed_runs_hash(real_data_dir, fresh_data):
    committed = results.read_json(paths.ROOT / "results/06-classification/runs/trec/rnn-s0.json")
    meta = committed["fit"]["meta"]
    prep = prepare("trec", DataSizes(max_len=150, vocab_size=20000, min_freq=2))
    assert "source" not in prep.info["preprocessing"]
    assert results.to_jsonable(prep.info["preprocessing"]) == meta["prep"]
    assert prep.info["files_sha256"] == meta["data"]
    tcfg = train.TrainConfig(**committed["fit"]["train_config"])
    now = train.config_hash(tcfg, {**meta, "prep": prep.info["preprocessing"], "test": True})
    assert now == committed["config_hash"]


@pytest.mark.parametrize("name", ["trec"])
def test_benchmark_info_names_no_machine_path(real_data_dir, fresh_data, name):
    info = prepare(name, DataSizes(max_len=10)).info
    assert not any(str(v).startswith("/") for v in info.values())
