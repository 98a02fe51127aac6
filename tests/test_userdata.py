"""User files: the three formats, the splits, and the errors that name file and row."""

import csv
import gzip
import hashlib
import json
import re
import time

import pytest

from rnnpaper.userdata import UserData, UserDataError, load_table


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
    dd, names, info = load_table(_write(tmp_path, name, _rows()), "review", "stars")
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
    dd, _, _ = load_table(_write(tmp_path, "d.jsonl", rows), "review", "stars")
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


# --------------------------------------------------------------- every bad input: one table

GOOD_CSV = "text,label\n" + "".join(f"t{i} words,{'ab'[i % 2]}\n" for i in range(12))
LATIN1 = ("text,label\n" + "".join(f"ok {i},{'ab'[i % 2]}\n" for i in range(12))).encode()
LATIN1 = LATIN1.replace(b"ok 1,", "café 1,".encode("latin-1"))  # line 3


def _jl(*rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def _rows_jl(n=12, **extra) -> list:
    return [{"text": f"t{i} words", "label": "ab"[i % 2], **extra} for i in range(n)]


def _split_rows(labels_by_split: dict) -> str:
    rows = [
        {"text": f"{s} {i}", "label": y, "split": s}
        for s, ys in labels_by_split.items()
        for i, y in enumerate(ys)
    ]
    return _jl(*rows)


# (case id, file name, content (str or bytes; None: no file), load_table kwargs, message regex)
BAD = [
    ("missing file", "none.csv", None, {}, r"no such file \(relative paths start at"),
    ("folder", "folder.csv", "DIR", {}, r"is a folder; give the data file inside it"),
    ("unknown format", "d.xlsx", GOOD_CSV, {}, r"unknown format '\.xlsx'; name the file \.csv"),
    ("no extension", "data", GOOD_CSV, {}, r"unknown format '\(no extension\)'"),
    ("gz not gzip", "d.csv.gz", GOOD_CSV, {}, r"not a complete gzip file .*compress it again"),
    ("truncated gz", "d.jsonl.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 6, {}, r"not a complete gzip"),
    ("empty file", "d.csv", "", {}, r"the file is empty; it needs a header"),
    ("blank file", "d.jsonl", "\n \n\n", {}, r"the file is empty"),
    ("header only", "d.csv", "text,label\n", {}, r"a header but no data rows"),
    ("latin-1", "d.csv", LATIN1, {}, r"d\.csv:3: byte 0xe9 \(column 4\) is not utf-8.*latin-1"),
    ("NUL bytes", "d.csv", "text,label\nab\x00c,a\n", {}, r"d\.csv:2: contains a NUL"),
    (
        "unclosed quote",
        "d.csv",
        GOOD_CSV + '"open,a\nmore,b\n',
        {},
        r"unreadable CSV.*never closed",
    ),
    (
        "too many fields",
        "d.csv",
        GOOD_CSV + "a,b,c\n",
        {},
        r"d\.csv:14: 3 field\(s\), but the header has 2.*double quotes",
    ),
    ("too few fields", "d.tsv", "text\tlabel\nx\ta\ny\n", {}, r"d\.tsv:3: 1 field\(s\).*tab"),
    (
        "unnamed column",
        "d.csv",
        "text,,label\nx,1,a\n",
        {},
        r"d\.csv:1: column 2 of the header has no name",
    ),
    (
        "duplicate column",
        "d.csv",
        "text,text\nx,a\n",
        {},
        r"d\.csv:1: the header names 'text' twice",
    ),
    (
        "wrong column",
        "d.csv",
        GOOD_CSV,
        {"text_column": "txt"},
        r"d\.csv:2: no column 'txt'; the columns are \['text', 'label'\]",
    ),
    (
        "column case",
        "d.csv",
        GOOD_CSV.replace("text,", "Text,", 1),
        {},
        r"no column 'text'.*did you mean 'Text'\?",
    ),
    ("semicolons", "d.csv", GOOD_CSV.replace(",", ";"), {}, r"the header looks ';'-separated"),
    (
        "tabs in .csv",
        "d.csv",
        GOOD_CSV.replace(",", "\t"),
        {},
        r"looks tab-separated: rename it to \.tsv",
    ),
    (
        "same column twice",
        "d.csv",
        GOOD_CSV,
        {"label_column": "text"},
        r"text and label are both column 'text'",
    ),
    (
        "empty text",
        "d.csv",
        GOOD_CSV.replace("t3 words", " "),
        {},
        r"d\.csv:5: empty text in column 'text'",
    ),
    (
        "empty label",
        "d.csv",
        GOOD_CSV.replace("t3 words,b", "t3 words, "),
        {},
        r"d\.csv:5: empty label",
    ),
    (
        "number as text",
        "d.jsonl",
        _jl(*_rows_jl()[:3], {"text": 5, "label": "a"}),
        {},
        r"d\.jsonl:4: the text in column 'text' is the number 5.*quotes",
    ),
    ("null text", "d.jsonl", _jl({"text": None, "label": "a"}), {}, r"d\.jsonl:1: empty text"),
    (
        "list label",
        "d.jsonl",
        _jl({"text": "x", "label": [1]}),
        {},
        r"d\.jsonl:1: label \[1\].*finite number",
    ),
    (
        "null label",
        "d.jsonl",
        _jl({"text": "x", "label": None}),
        {},
        r"d\.jsonl:1: empty label None",
    ),
    ("NaN label", "d.jsonl", '{"text": "x", "label": NaN}\n', {}, r"d\.jsonl:1: label nan"),
    (
        "bad JSON",
        "d.jsonl",
        _jl(_rows_jl()[0], '{"text": "x", '),
        {},
        r"d\.jsonl:2: not valid JSON",
    ),
    (
        "JSON list line",
        "d.jsonl",
        _jl(_rows_jl()[0], "[1, 2]"),
        {},
        r"d\.jsonl:2: a JSON list, not an object",
    ),
    (
        "row lacks column",
        "d.jsonl",
        _jl(*_rows_jl()[:2], {"text": "x"}),
        {},
        r"d\.jsonl:3: no column 'label'",
    ),
    (
        "one class",
        "d.csv",
        GOOD_CSV.replace(",b\n", ",a\n"),
        {},
        r"every row has the label 'a'.*at least 2 classes",
    ),
    (
        "POS and pos",
        "d.csv",
        GOOD_CSV.replace("t1 words,b", "t1 words,B"),
        {},
        r"d\.csv:5: label 'b' differs from 'B' \(line 3\) only in case",
    ),
    (
        "single example",
        "d.csv",
        GOOD_CSV + "lonely,c\n",
        {},
        r"d\.csv:14: class 'c' has a single example",
    ),
    (
        "four rows",
        "d.csv",
        "text,label\na,x\nb,y\nc,x\nd,y\n",
        {},
        r"d\.csv:2: class 'x' has only 2 examples.*at least 3",
    ),
    (
        "bad split name",
        "d.jsonl",
        _jl(*_rows_jl(split="train")[:3], {"text": "x", "label": "a", "split": "holdout"}),
        {},
        r"d\.jsonl:4: split 'holdout' is not train",
    ),
    (
        "no test rows",
        "d.jsonl",
        _split_rows({"train": "abab", "validation": "ab"}),
        {},
        r"the 'split' column has no 'test' rows",
    ),
    (
        "class only in test",
        "d.jsonl",
        _split_rows({"train": "abab", "validation": "ab", "test": "abc"}),
        {},
        r"d\.jsonl:9: class 'c' is in the test split but never in train",
    ),
    (
        "class only in val",
        "d.jsonl",
        _split_rows({"train": "abab", "validation": "abc", "test": "ab"}),
        {},
        r"d\.jsonl:7: class 'c' is in the validation split",
    ),
    (
        "one-class train",
        "d.jsonl",
        _split_rows({"train": "aaa", "validation": "ab", "test": "ab"}),
        {},
        r"the train split holds only class 'a'",
    ),
    ("unknown encoding", "d.csv", GOOD_CSV, {"encoding": "klingon"}, r"unknown encoding 'klingon'"),
    (
        "bad fractions",
        "d.csv",
        GOOD_CSV,
        {"test_fraction": 0.95},
        r"must be positive and sum to less than 1",
    ),
]


@pytest.mark.parametrize(
    "name, content, kwargs, pattern", [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_every_bad_input_gets_a_clear_error(tmp_path, name, content, kwargs, pattern):
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = sorted(tmp_path.rglob("*"))
    t0 = time.perf_counter()
    with pytest.raises(UserDataError) as e:
        load_table(path, **kwargs)
    assert time.perf_counter() - t0 < 5
    msg = str(e.value)
    assert re.search(pattern, msg, re.S), msg
    if "fraction" not in kwargs and "test_fraction" not in kwargs:
        assert str(path) in msg  # the absolute path
    assert sorted(tmp_path.rglob("*")) == before  # nothing written


def test_the_table_has_thirty_cases_or_more():
    assert len(BAD) >= 30 and len({c[0] for c in BAD}) == len(BAD)


def test_a_field_over_the_csv_limit_is_named(tmp_path, monkeypatch):
    from rnnpaper import userdata

    monkeypatch.setattr(userdata, "MAX_FIELD_CHARS", 1000)
    path = tmp_path / "d.csv"
    path.write_text(GOOD_CSV + '"' + "x" * 2000 + '",a\n')
    with pytest.raises(UserDataError, match=r"d\.csv:14: .*longer than 1,000 characters"):
        load_table(path)
    limit = csv.field_size_limit()
    path.write_text(GOOD_CSV + '"' + "x" * 200_000 + '",a\n')  # 200 KB: fine by default
    monkeypatch.undo()
    dd, _, _ = load_table(path)
    assert max(len(t) for s in dd for t in dd[s]["text"]) == 200_000
    assert csv.field_size_limit() == limit  # the global limit is restored


# --------------------------------------------------------------- what is accepted


def test_excel_bom_utf16_latin1_crlf_gzip_and_blank_lines_are_read(tmp_path):
    body = GOOD_CSV.replace("t0 words", "café crème")
    variants = {
        "bom.csv": b"\xef\xbb\xbf" + body.encode(),
        "crlf.csv": body.replace("\n", "\r\n").encode(),
        "utf16.tsv": body.replace(",", "\t").encode("utf-16"),
        "blank.csv": (body + "\n\n  \n").encode(),
        "z.csv.gz": gzip.compress(body.encode()),
    }
    for name, raw in variants.items():
        (tmp_path / name).write_bytes(raw)
        dd, names, info = load_table(tmp_path / name)
        assert names == ["a", "b"], name
        assert sum(len(dd[s]) for s in dd) == 12, name
        assert "café crème" in [t for s in dd for t in dd[s]["text"]], name
    (tmp_path / "l1.csv").write_bytes(body.encode("latin-1"))
    dd, _, _ = load_table(tmp_path / "l1.csv", encoding="latin-1")
    assert "café crème" in [t for s in dd for t in dd[s]["text"]]


def test_numeric_labels_are_one_class_per_value_and_spellings_are_recorded(tmp_path):
    ys = ["1", "1.0", " 1 ", "01", "2", "2.00", "2", "2", "1", "1", "10", "10", "10"]
    rows = [{"text": f"text {i}", "label": y} for i, y in enumerate(ys)]
    rows += [{"text": "json int", "label": 1}, {"text": "json float", "label": 2.0}]
    dd, names, info = load_table(_write(tmp_path, "d.jsonl", rows), "text", "label")
    assert names == ["1", "2", "10"]  # numeric order, not string order
    assert info["label_spellings"]["1"] == ["01", "1", "1.0"]
    assert sorted(info["label_spellings"]["2"]) == ["2", "2.0", "2.00"]
    assert sorted(set(dd["train"]["label"])) == [0, 1, 2]


def test_info_records_absolute_path_hash_columns_and_classes(tmp_path, monkeypatch):
    path = _write(tmp_path, "d.csv", _rows())
    monkeypatch.chdir(tmp_path)
    data = load_table("d.csv", "review", "stars")  # relative: from the working directory
    assert isinstance(data, UserData) and data.info["path"] == str(path)
    info = data.info
    assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info["files_sha256"] == {"user_file": info["sha256"]}
    assert (info["text_column"], info["label_column"]) == ("review", "stars")
    assert info["label_names"] == ["neg", "pos"] and info["warnings"] == []
    flipped = [{**r, "stars": {"pos": "neg", "neg": "pos"}[r["stars"]]} for r in _rows()]
    other = load_table(_write(tmp_path, "d.csv", flipped), "review", "stars").info
    assert other["sha256"] != info["sha256"]


def test_split_aliases_and_warnings(tmp_path):
    rows = [
        {"text": f"{s} {i}", "label": y, "split": s}
        for s, ys in {"Train": "abab", "dev": "ab", " TEST ": "a"}.items()
        for i, y in enumerate(ys)
    ]
    rows.append({"text": "Train 0", "label": "a", "split": "train"})  # a repeated text
    dd, _, info = load_table(_write(tmp_path, "d.jsonl", rows))
    assert [len(dd[s]) for s in ("train", "validation", "test")] == [5, 2, 1]
    joined = " | ".join(info["warnings"])
    assert "the test split holds only class 'a'" in joined
    assert "class 'b' has no test rows" in joined
    assert "1 texts occur more than once" in joined
