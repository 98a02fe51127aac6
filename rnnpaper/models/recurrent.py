"""A batch-first stack of recurrent layers built from the cell registry, and the tools to
move weights between the from-scratch cells and their torch.nn twins."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnpaper.models import registry


class Recurrent(nn.Module):
    """A batch-first stack of recurrent layers of any registered cell, from scratch or fused.

    ``impl="auto"`` takes the cell's torch.nn twin when the registry names one, the
    from-scratch cells otherwise. Masks must be right-padded for fused.
    """

    def __init__(
        self,
        kind,
        input_size,
        hidden_size,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        impl="auto",
        nonlinearity="tanh",
    ):
        super().__init__()
        cell = registry.spec(kind)
        if impl == "auto":
            impl = "fused" if cell.fused is not None else "scratch"
        if impl not in ("fused", "scratch") or (impl == "fused" and cell.fused is None):
            raise ValueError(f"impl {impl!r} is not available for cell {kind!r}")
        self.kind, self.impl, self.hidden_size = kind, impl, hidden_size
        self.num_layers, self.D, self.dropout = num_layers, 2 if bidirectional else 1, dropout
        self.output_size = self.D * hidden_size
        kw = {"nonlinearity": nonlinearity} if "nonlinearity" in cell.options else {}
        if impl == "fused":
            self.rnn = cell.fused(
                input_size,
                hidden_size,
                num_layers,
                batch_first=True,
                dropout=dropout,
                bidirectional=bidirectional,
                **kw,
            )
        else:
            sizes = [input_size] + [self.output_size] * (num_layers - 1)
            self.cells = nn.ModuleList(
                cell.cell(sizes[k // self.D], hidden_size, **kw) for k in range(num_layers * self.D)
            )

    def forward(self, x, mask=None, state=None):
        """x (B, T, E), mask (B, T) bool -> y (B, T, D*H), final h_n (L*D, B, H) [, c_n]."""
        if self.impl == "fused":
            return self._fused(x, mask, state)
        xs = x.transpose(0, 1).contiguous()  # (T, B, E)
        m = None if mask is None else mask.t().unsqueeze(-1).to(x.dtype)  # (T, B, 1)
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(self.D):
                k = layer * self.D + d
                y, s = self._direction(self.cells[k], xs, m, self._initial(state, k, x), d)
                outs.append(y)  # (T, B, H)
                finals.append(s)
            xs = outs[0] if self.D == 1 else torch.cat(outs, dim=-1)  # (T, B, D*H)
            if layer < self.num_layers - 1 and self.dropout > 0:
                xs = F.dropout(xs, self.dropout, self.training)
        return xs.transpose(0, 1), _stack(finals)  # (B, T, D*H)

    def _direction(self, cell, xs, m, s0, d):
        """One layer in one direction; d = 1 runs right to left."""
        if d == 1:
            xs, m = xs.flip(0), None if m is None else m.flip(0)
        y, s = cell.scan(xs, s0, m)  # (T, B, H)
        return (y.flip(0) if d == 1 else y), s  # (T, B, H)

    def _initial(self, state, k, x):
        if state is None:
            return self.cells[k].init_state(x.shape[0], x.device, x.dtype)
        return tuple(s[k] for s in state) if isinstance(state, tuple) else state[k]

    def _fused(self, x, mask, state):
        if mask is None:
            return self.rnn(x, state)
        lengths = mask.sum(1).cpu()  # (B,) on CPU, as pack_padded_sequence needs
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        y, final = self.rnn(packed, state)
        y, _ = pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])
        return y, final  # (B, T, D*H)


def _stack(finals):
    if isinstance(finals[0], tuple):
        return tuple(torch.stack(s) for s in zip(*finals, strict=True))  # (L*D, B, H) each
    return torch.stack(finals)  # (L*D, B, H)


def _rnn_module(m):
    return m.rnn if isinstance(m, Recurrent) and m.impl == "fused" else m


TORCH_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def torch_weights(module, grads: bool = False) -> dict:
    """Weights (or their gradients) in torch.nn's names and layout for any impl."""
    m = _rnn_module(module)
    if isinstance(m, nn.RNNBase):
        return {k: (v.grad if grads else v).detach().clone() for k, v in m.named_parameters()}
    out = {}
    for k, cell in enumerate(m.cells):
        sfx = f"_l{k // m.D}" + ("_reverse" if k % m.D else "")
        values = cell.torch_grads() if grads else cell.torch_weights()
        out.update({name + sfx: w.clone() for name, w in zip(TORCH_NAMES, values, strict=True)})
    return out


def torch_grads(module) -> dict:
    """Parameter gradients in torch.nn's names, for the parity tests."""
    return torch_weights(module, grads=True)


@torch.no_grad()
def load_torch_weights(module, weights: dict):
    """Load a dict from ``torch_weights`` into a fused or from-scratch module."""
    m = _rnn_module(module)
    if isinstance(m, nn.RNNBase):
        for k, v in m.named_parameters():
            v.copy_(weights[k])
        return module
    for k, cell in enumerate(m.cells):
        sfx = f"_l{k // m.D}" + ("_reverse" if k % m.D else "")
        cell.load_torch_weights(*(weights[n + sfx] for n in TORCH_NAMES))
    return module


def copy_weights(src, dst):
    """Copy the weights of ``src`` into ``dst`` (Recurrent of either impl, or torch.nn)."""
    return load_torch_weights(dst, torch_weights(src))


def param_count(kind: str, n: int, m: int, form: str = "equations") -> int:
    """Closed form for one layer, input size n, hidden size m.

    ``"equations"``: one bias per gate, G(n+m+1)m (the proposal's 4(n+m+1)m for the LSTM),
    plus any bias a cell keeps apart (the torch.nn-form GRU's b_hn: +m); G(n+1)m for a cell
    whose gates see the input only (the GLR: no W_h). ``"torch"``: two bias vectors,
    G(n+m+2)m.
    """
    cell = registry.spec(kind).cell
    G = len(cell.gates)
    m_h = m if cell.recurrent_weights else 0  # columns of the recurrent weights W_hg
    if form == "torch":
        return G * (n + m_h + 2) * m
    return G * (n + m_h + 1) * m + len(cell.extra_biases) * m
