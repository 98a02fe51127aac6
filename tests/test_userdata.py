"""User files: the three formats, the splits, and the errors that name file and row."""

import json

import pytest

from rnnpaper.userdata import UserDataError, load_table


def _rows(n=40):
    return [
        {
            "review": f"text number {i} " + ("good" if i % 2 else "bad"),
            "stars": "pos" if i % 2 else "neg",
        }
        for i in range(n)
    ]


def _write(tmp_path, name, rows):
    path = tmp_path / name
    if name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        sep = "\t" if name.endswith(".tsv") else ","
        cols = list(rows[0])
        lines = [sep.join(cols)] + [sep.join(str(r[c]) for c in cols) for r in rows]
        path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("name", ["d.csv", "d.tsv", "d.jsonl"])
def test_formats_load_with_named_columns(tmp_path, name):
    dd, names = load_table(_write(tmp_path, name, _rows()), "review", "stars")
    assert names == ["neg", "pos"]
    sizes = {s: len(dd[s]) for s in dd}
    assert sizes == {"train": 28, "validation": 4, "test": 8}
    for s in dd:  # stratified: both classes in every split
        assert set(dd[s]["label"]) == {0, 1}
    texts = [t for s in dd for t in dd[s]["text"]]
    assert sorted(texts) == sorted(r["review"] for r in _rows())


def test_split_column_is_respected(tmp_path):
    rows = [
        {**r, "split": ["train", "train", "validation", "test"][i % 4]}
        for i, r in enumerate(_rows())
    ]
    dd, _ = load_table(_write(tmp_path, "d.jsonl", rows), "review", "stars")
    assert (len(dd["train"]), len(dd["validation"]), len(dd["test"])) == (20, 10, 10)


def test_wrong_column_names_file_row_and_columns(tmp_path):
    path = _write(tmp_path, "d.csv", _rows())
    with pytest.raises(UserDataError, match=r"d\.csv:2: no column 'text'.*'review', 'stars'"):
        load_table(path, "text", "stars")


def test_empty_text_names_the_row(tmp_path):
    rows = _rows()
    rows[4]["review"] = "  "
    path = _write(tmp_path, "d.jsonl", rows)
    with pytest.raises(UserDataError, match=r"d\.jsonl:5: empty text in column 'review'"):
        load_table(path, "review", "stars")


def test_single_example_class(tmp_path):
    rows = _rows()
    rows[7]["stars"] = "meh"
    path = _write(tmp_path, "d.csv", rows)  # header is line 1, rows[7] is line 9
    with pytest.raises(UserDataError, match=r"d\.csv:9: class 'meh' has a single example"):
        load_table(path, "review", "stars")


def test_unknown_format(tmp_path):
    path = tmp_path / "d.xlsx"
    path.write_text("x")
    with pytest.raises(UserDataError, match="unknown format"):
        load_table(path)
