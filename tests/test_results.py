"""Results files: a recomputed payload rewrites its file only when a number changed."""

from rnnpaper import results


def test_unchanged_ignores_provenance_but_not_numbers(tmp_path):
    path = tmp_path / "r.json"
    payload = {"x": (1.5, 2), "git_commit": "abc", "environment": {"python": "3.11"}}
    assert not results.unchanged(path, payload)  # no file yet
    results.write_json(path, payload)
    moved = payload | {"git_commit": "def+dirty", "dirty_files": ["a.py"], "environment": {}}
    assert results.unchanged(path, moved)
    assert not results.unchanged(path, payload | {"x": (1.5, 3)})
    assert not results.unchanged(path, payload | {"y": 0})
