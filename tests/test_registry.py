"""Every registered cell through every model that recurs: forward, backward, padding.

The models build their recurrence from :mod:`rnnpaper.models.registry` only, so a cell added
there (one class and one registry line, as README's "How to develop" shows) reaches all of
them: the last tests register a new cell and run it through each model.
"""

import pytest
import torch

from rnnpaper.models import cells, registry
from rnnpaper.models.classifier import Classifier, ModelConfig
from rnnpaper.models.regressor import Regressor
from rnnpaper.models.seq2seq import Seq2Seq, Seq2SeqConfig


class MinimalGatedCell(cells._Cell):
    """A cell a newcomer might add: h_t = (1 - z) h_{t-1} + z tanh(W_xh x_t + W_hh h_{t-1})."""

    gates, biases = ("z", "h"), ("b_z", "b_h")

    def recur(self, xp_t, h, W_h):
        """xp_t (B, 2H), h (B, H) -> h_t (B, H)."""
        a = torch.addmm(xp_t, h, W_h.t())  # (B, 2H)
        z, h_tilde = torch.sigmoid(a[:, : self.hidden_size]), torch.tanh(a[:, self.hidden_size :])
        return h + z * (h_tilde - h)


@pytest.fixture(params=[*registry.CELLS, "added"])
def kind(request, monkeypatch):
    if request.param == "added":  # one class plus one registry line
        spec = registry.CellSpec(MinimalGatedCell, None, None, "MGC", "#8c564b")
        monkeypatch.setitem(registry.CELLS, "added", spec)
    return request.param


def _padded(B=3, T=7, V=30, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, V, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.bool)
    mask[1, 4:], mask[2, 2:] = False, False
    return ids.masked_fill(~mask, 0), mask


def _grads_reach(model, prefixes):
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        if name.startswith(prefixes):
            assert p.grad.abs().sum() > 0, f"no gradient reaches {name}"


@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier(kind, bidirectional):
    torch.manual_seed(0)
    cfg = ModelConfig(cell=kind, embed_dim=6, hidden_size=5, bidirectional=bidirectional)
    model = Classifier(30, 3, cfg).double()
    ids, mask = _padded()
    logits = model(ids, mask)  # (B, C)
    assert logits.shape == (3, 3)
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2])).backward()
    _grads_reach(model, ("encoder",))
    model.eval()
    with torch.no_grad():
        alone = torch.cat(
            [
                model(ids[b : b + 1, :n], mask[b : b + 1, :n])
                for b, n in enumerate(mask.sum(1).tolist())
            ]
        )
        torch.testing.assert_close(model(ids, mask), alone)


def test_seq2seq(kind):
    torch.manual_seed(0)
    cfg = Seq2SeqConfig(kind=kind, vocab_size=30, embed_dim=5, hidden_size=6, attn_dim=7)
    model = Seq2Seq(cfg).double()
    src, mask = _padded()
    tgt = torch.tensor([[5, 6, 3], [7, 3, 0], [3, 0, 0]])
    tmask = (torch.arange(3) < torch.tensor([[3], [2], [1]])).double()
    loss = model(src, mask, tgt, tmask)
    loss.backward()
    _grads_reach(model, ("encoder", "cell"))
    model.eval()
    with torch.no_grad():  # each example's loss is the same alone as beside longer sources
        for b, n in enumerate(mask.sum(1).tolist()):
            own = model(src[b : b + 1, :n], mask[b : b + 1, :n], tgt[b : b + 1], tmask[b : b + 1])
            w = torch.zeros_like(tmask)
            w[b] = tmask[b]
            torch.testing.assert_close(model(src, mask, tgt, w), own)
        assert model.beam_search(src, mask, beam=2, max_len=3).shape[0] == 3


def test_regressor(kind):
    torch.manual_seed(0)
    model = Regressor(kind, 2, 5).double()
    X = torch.randn(4, 9, 2, dtype=torch.float64)  # (B, T, 2)
    y = model(X)
    assert y.shape == (4,)
    y.square().mean().backward()
    _grads_reach(model, ("rnn",))
