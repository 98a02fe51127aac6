"""Reproduction: every committed table, macro file and figure is, byte for byte, what its
study's report makes of the committed results.

Each study's ``report`` runs on the committed ``results/`` with its outputs sent to a
temporary folder (``paths.outputs`` is redirected; reports read nothing but results), and
every file it writes is compared with the one in ``figures/`` or ``paper/generated/``. Figures
are saved without a date, so the same data gives the same bytes. About 20 s.
"""

import difflib
import filecmp
from pathlib import Path

import pytest

from rnnpaper import paths, studies

COMMITTED = {"figures": paths.ROOT / "figures", "generated": paths.PAPER / "generated"}


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> tuple[Path, dict]:
    """(tmp folder, study -> files its report wrote there, or the exception it raised)."""
    tmp = tmp_path_factory.mktemp("rebuilt")

    def outputs(profile: str) -> paths.Outputs:
        committed = paths.ROOT / "results"
        return paths.Outputs(profile, committed, tmp / "figures", tmp / "generated").make()

    written = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "outputs", outputs)
        for study in studies.STUDIES.values():
            try:
                written[study] = files_of(studies.report(study, "paper"))
            except Exception as error:  # the study's own test reports it
                written[study] = error
    return tmp, written


def files_of(report: dict) -> list[Path]:
    """The files a report wrote: its returned paths, and the PNG beside each PDF figure."""
    found = []
    for path in map(Path, report.values()):
        found += [path, path.with_suffix(".png")] if path.suffix == ".pdf" else [path]
    return found


def committed_twin(path: Path, tmp: Path, committed: dict = COMMITTED) -> Path:
    """The committed file that ``path``, written under ``tmp``, must equal."""
    kind, name = path.relative_to(tmp).parts
    return committed[kind] / name


def changed(files: list[Path], tmp: Path, committed: dict = COMMITTED) -> list[str]:
    """How each of ``files`` differs from its committed twin; empty when all are equal."""
    twins = {p: committed_twin(p, tmp, committed) for p in files}
    return [
        difference(p, t)
        for p, t in twins.items()
        if not t.exists() or not filecmp.cmp(p, t, shallow=False)
    ]


def difference(new: Path, old: Path) -> str:
    """Why two files differ: the first changed lines of a text file, else the sizes."""
    if not old.exists():
        return f"{old.name}: not committed ({old.parent.name}/)"
    if new.suffix == ".tex":
        lines = difflib.unified_diff(
            old.read_text().splitlines(), new.read_text().splitlines(), "committed", "rebuilt"
        )
        return f"{old.name}:\n" + "\n".join(list(lines)[:12])
    return f"{old.name}: other bytes ({old.stat().st_size} committed, {new.stat().st_size} rebuilt)"


@pytest.mark.parametrize("study", list(studies.STUDIES.values()))
def test_every_output_of_the_study_is_what_the_committed_results_produce(rebuilt, study):
    tmp, written = rebuilt
    if isinstance(written[study], Exception):
        raise written[study]
    assert written[study], f"{study}: the report wrote nothing"
    assert all(p.is_relative_to(tmp) for p in written[study]), "a report ignored paths.outputs"
    differences = changed(written[study], tmp)
    assert not differences, "\n".join(differences)


def test_every_committed_output_is_rebuilt_by_some_report(rebuilt):
    """No committed figure or generated file is left over from a report that no longer writes
    it (a failed report's files are left to that study's test)."""
    tmp, written = rebuilt
    failed = tuple(
        f"{nb}_" for nb, s in studies.STUDIES.items() if isinstance(written[s], Exception)
    )
    made = {committed_twin(p, tmp) for w in written.values() if isinstance(w, list) for p in w}
    committed = {
        *COMMITTED["figures"].glob("*.pdf"),
        *COMMITTED["figures"].glob("*.png"),
        *COMMITTED["generated"].glob("*.tex"),
    }
    orphans = sorted(
        p.relative_to(paths.ROOT).as_posix()
        for p in committed - made
        if not p.name.startswith(failed)
    )
    assert not orphans, f"committed but written by no report: {orphans}"


def test_a_changed_table_or_figure_is_caught(rebuilt, tmp_path):
    """The comparison can fail: one digit of a table and one byte of a figure are reported."""
    tmp, written = rebuilt
    committed = {kind: tmp_path / kind for kind in COMMITTED}
    for path in written["dataset_stats"]:
        twin = committed_twin(path, tmp, committed)
        twin.parent.mkdir(exist_ok=True)
        twin.write_bytes(path.read_bytes())
    assert changed(written["dataset_stats"], tmp, committed) == []
    table = committed["generated"] / "00-data_stats.tex"
    table.write_text(table.read_text().replace("1", "2", 1))
    png = committed["figures"] / "00-data_lengths.png"
    png.write_bytes(png.read_bytes()[:-1] + b"x")
    reported = changed(written["dataset_stats"], tmp, committed)
    assert len(reported) == 2, reported
    assert reported[0].startswith("00-data_stats.tex:\n") and "\n+" in reported[0]
    assert reported[1].startswith("00-data_lengths.png: ")
