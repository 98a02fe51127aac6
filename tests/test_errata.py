"""The errata table: verdicts, the corrected BPTT terms, and the committed tables."""

import torch

from rnnpaper import paths
from rnnpaper.studies.bptt import claims, errata
from rnnpaper.studies.bptt.report import write_tables

RESULTS = paths.ROOT / "results" / "01-bptt" / "errata.json"


def test_corrected_two_step_gradients_equal_autograd():
    for k, t in claims.two_step_terms().items():
        torch.testing.assert_close(t["proposal"] + t["missing"], t["autograd"])
        assert (t["proposal"] - t["autograd"]).abs().max() > 1e-6, k  # the proposal's differ


def test_known_errors_are_found():
    v = {(r["ref"], r["proposal"][:20]): r["verdict"] for r in errata.verdicts()}
    wrong = [k for k, x in v.items() if x == "wrong"]
    for ref in ("eq. 2", "eq. 29", "eq. 39", "Alg. 1", "eqs. 5-6", "eqs. 3-4"):
        assert any(k[0] == ref for k in wrong), ref
    assert v[("eqs. 28, 30-33", "forget gate, candida")] == "holds"
    assert sum(x == "wrong" for x in v.values()) >= 20


def test_lstm_gradients_can_explode():
    assert claims.lstm_state_gradient(10.0, 100) > 1e6 * claims.lstm_state_gradient(10.0, 10)


def test_committed_tables_match_committed_results(tmp_path):
    if not RESULTS.exists():
        import pytest

        pytest.skip("results/01-bptt/errata.json is not committed yet")
    for path in write_tables(RESULTS.parent, tmp_path):  # the four tables and the macros
        assert path.read_text() == (paths.PAPER / "generated" / path.name).read_text()
