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


def test_dirty_files_are_the_tracked_paths_that_differ(tmp_path, monkeypatch):
    import subprocess

    from rnnpaper import paths

    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    for name in ("notebooks/a.ipynb", "b.py", "c.py"):
        (repo / name).write_text("x\n")
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    monkeypatch.setattr(paths, "ROOT", repo)
    assert results.dirty_files() == [] and not results.git_commit().endswith("+dirty")
    (repo / "notebooks/a.ipynb").write_text("y\n")  # the first line of git's listing
    (repo / "c.py").write_text("y\n")
    (repo / "new.py").write_text("untracked\n")
    assert results.dirty_files() == ["c.py", "notebooks/a.ipynb"]
    assert results.git_commit().endswith("+dirty")
