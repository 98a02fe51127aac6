"""equal_parameter_hidden: bisection finds the hidden size brute force would (closest count,
the smaller on a tie), and the committed equal-parameter runs used exactly these sizes."""

from dataclasses import replace

import pytest

from rnnpaper import paths, results
from rnnpaper.models import registry
from rnnpaper.models.classifier import ModelConfig, equal_parameter_hidden, recurrent_parameters


@pytest.mark.parametrize("cell", list(registry.COMPARED))
@pytest.mark.parametrize("bi", [False, True])
def test_closest_count_with_a_monotone_count(cell, bi):
    cfg = ModelConfig(cell=cell, bidirectional=bi)
    count = lambda H: recurrent_parameters(replace(cfg, hidden_size=H))
    for target in (count(40) + 1, recurrent_parameters(ModelConfig(cell="lstm", bidirectional=bi))):
        H = equal_parameter_hidden(cfg, target)
        near = [h for h in (H - 1, H + 1) if 8 <= h <= 1024]
        assert all(abs(count(H) - target) <= abs(count(h) - target) for h in near)
        assert all(count(h) < count(h + 1) for h in range(max(8, H - 3), H + 3))  # monotone


def test_committed_equal_parameter_runs_match():
    for preset, cell, bi in (("rnn-eqp", "rnn", False), ("bigru-eqp", "gru", True)):
        run = results.read_json(
            paths.ROOT / f"results/06-classification/runs/trec/{preset}-s0.json"
        )
        target = recurrent_parameters(ModelConfig(cell="lstm", bidirectional=bi))
        H = equal_parameter_hidden(ModelConfig(cell=cell, bidirectional=bi), target)
        assert H == run["model_config"]["hidden_size"]
