"""The errata table: verdicts, the corrected BPTT terms, the checks behind the re-examined
verdicts, and the committed tables (LaTeX mathematics, not ASCII)."""

import re

import pytest
import torch

from rnnpaper import paths, results
from rnnpaper.studies.bptt import claims, claims_cells, errata
from rnnpaper.studies.bptt.item import LITERATURE, READING, VERDICTS
from rnnpaper.studies.bptt.report import GROUPS, errata_markdown, write_tables

RESULTS = paths.ROOT / "results" / "01-bptt" / "errata.json"


@pytest.fixture(scope="module")
def rows():
    return errata.verdicts()


def test_corrected_two_step_gradients_equal_autograd():
    for k, t in claims.two_step_terms().items():
        torch.testing.assert_close(t["proposal"] + t["missing"], t["autograd"])
        assert (t["proposal"] - t["autograd"]).abs().max() > 1e-6, k  # the proposal's differ


def test_known_errors_are_found(rows):
    v = {(r["ref"], r["proposal"][:20]): r["verdict"] for r in rows}
    wrong = [k for k, x in v.items() if x == "wrong"]
    for ref in ("eq. 29", "eq. 39", "Alg. 1", "eqs. 5-6", "eqs. 3-4"):
        assert any(k[0] == ref for k in wrong), ref
    # eq. 2 keeps f general: with f = softmax it is the classifier (issue 13), not wrong
    assert [x for k, x in v.items() if k[0] == "eq. 2"] == ["correct"]
    assert v[("eqs. 28, 30-33", "forget gate, candida")] == "correct"
    assert sum(x == "wrong" for x in v.values()) >= 20


def test_the_reexamined_verdicts(rows):
    by = {(r["section"], r["ref"]): r["verdict"] for r in rows}
    assert by[("BPTT", "eq. 2")] == "correct"  # generic f, not the hidden layer's tanh
    assert by[("Gradients", "vanishing")] == "incomplete"  # sigma' <= 1/4 needs ||W|| < 4
    assert by[("GRU", "eq. 37, text")] == "correct"  # the past is kept through 1 - z
    sections = {r["section"] for r in rows}
    assert {"Structure", "GRU", "LSTM"} <= sections  # captions, template text, comparisons


def test_every_item_has_a_verdict_and_its_check(rows):
    for r in rows:
        assert r["verdict"] in VERDICTS, r
        if r["decided_by"] == "computed":
            assert (paths.ROOT / "tests" / f"{r['check']}.py").exists(), r
        elif r["decided_by"] == LITERATURE:
            assert "\\cite" in r["correct"], r  # the source that decides it
        else:
            quoted = "``" in r["proposal"] or r["proposal"].startswith("$")  # words or formula
            assert r["decided_by"] == READING and quoted, r


def test_sigmoid_vanishing_depends_on_the_recurrent_norm():
    assert claims.sigmoid_vanishing() == claims.INCOMPLETE
    assert claims.codomain("sigmoid'", 0.0, 0.25) and not claims.codomain("sigmoid'", 0.0, 0.5)
    assert claims.codomain("tanh", -1.0, 1.0)  # tight, though +-1 is never attained


def test_the_additive_cell_carries_the_gradient_that_gates_alone_do_not():
    n = claims_cells.carried_gradients()
    assert n["elman"] < 1e-3 and n["gated"] < 1e-3 < 0.1 < n["lstm"]
    assert claims_cells.gates_are_the_difference() == claims.INCOMPLETE


def test_update_gate_retention_forget_gate_and_baum_welch():
    assert claims_cells.update_gate_sets_retention()
    assert not claims_cells.forget_gate_adds()
    lls = claims_cells.baum_welch_likelihoods()
    assert max(lls) - min(lls) > 0.1  # converged to different local maxima


def test_lstm_gradients_can_explode():
    assert claims_cells.lstm_state_gradient(10.0, 100) > 1e6 * claims_cells.lstm_state_gradient(
        10.0, 10
    )


def test_committed_verdicts_are_what_the_checks_compute(rows):
    stored = results.read_json(RESULTS)["rows"]
    assert [(r["ref"], r["verdict"]) for r in stored] == [(r["ref"], r["verdict"]) for r in rows]


def test_committed_tables_match_committed_results(tmp_path):
    if not RESULTS.exists():
        pytest.skip("results/01-bptt/errata.json is not committed yet")
    written = write_tables(RESULTS.parent, tmp_path)  # the errata tables and the macros
    assert len(written) == len(GROUPS) + 1
    for path in written:
        assert path.read_text() == (paths.PAPER / "generated" / path.name).read_text()


def test_tables_write_mathematics_as_latex():
    for name in GROUPS:
        tex = (paths.PAPER / "generated" / f"01-bptt_errata_{name}.tex").read_text()
        body = tex.split("\\midrule", 1)[1]
        prose = re.sub(r"\$[^$]*\$|\\texttt\{[^}]*\}|\\cite[tp]\{[^}]*\}", "", body)
        prose = prose.replace("\\_", "")  # test file names
        for ascii_maths in ("^", "_", "sigma", "tanh", "->", "d/d", "dL"):
            assert ascii_maths not in prose, (name, ascii_maths)
        assert "\\tiny" not in tex and "\\scriptsize" not in tex


def test_markdown_keeps_the_maths_and_drops_the_citation_commands(rows):
    md = errata_markdown(rows)
    assert md.count("\n") == len(rows) + 1 and "$\\hat y_t" in md and "\\cite" not in md
