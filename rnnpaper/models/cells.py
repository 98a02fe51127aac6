"""Elman RNN, LSTM, GRU and the proposed GLR written from their equations: one time step each.

Equation numbers are the seed proposal's (eqs. 1-2 Elman, 28-33 LSTM, 34-37 GRU) and
:mod:`rnnpaper.models.glr`'s (G1-G3). The proposal writes each gate as ``W_g [h_{t-1}, x_t]``;
here that matrix is split into its two blocks ``W_g = [W_hg, W_xg]`` so that the input part
of every step can be computed in one matmul before the time loop. Weight matrices have
torch.nn's layout (out, in), so ``F.linear(x, W_xh)`` is ``W_xh x``.

A cell is registered (with its torch.nn twin, label and colour) in
:mod:`rnnpaper.models.registry`; :class:`rnnpaper.models.recurrent.Recurrent` stacks
registered cells into layers. What a new cell must provide: ``gates`` and ``biases`` (or its
own parameters), ``recur`` (one step from the input projection), and, when its state is not
one (B, H) tensor, ``init_state`` and ``output``; ``scan`` (a whole layer over time) may be
overridden by a faster form. A cell whose gates see the input only sets
``recurrent_weights = False`` (no W_h, G(n+1)m parameters).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from rnnpaper.models import bptt, glr


class _Cell(nn.Module):
    """Shared machinery: per-gate parameters named as in the equations, stacked on demand."""

    gates: tuple = ()  # gate suffixes, in torch.nn's row order
    biases: tuple = ()  # bias names added to the input projection, one per gate
    extra_biases: tuple = ()  # further (H,) biases a cell's equations keep apart
    state_parts: int = 1  # tensors in the state: h, or (h, C) for the LSTM
    recurrent_weights: bool = True  # a W_hg per gate; False: the gates see x_t only (GLR)

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        H, E = hidden_size, input_size
        for g in self.gates:
            setattr(self, f"W_x{g}", nn.Parameter(torch.empty(H, E)))  # (H, E)
            if self.recurrent_weights:
                setattr(self, f"W_h{g}", nn.Parameter(torch.empty(H, H)))  # (H, H)
        for b in self.biases + self.extra_biases:
            setattr(self, b, nn.Parameter(torch.empty(H)))  # (H,)
        bound = 1.0 / math.sqrt(H)  # torch.nn's initialisation
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def W_x(self) -> torch.Tensor:
        return torch.cat([getattr(self, f"W_x{g}") for g in self.gates])  # (G*H, E)

    def W_h(self) -> torch.Tensor:
        return torch.cat([getattr(self, f"W_h{g}") for g in self.gates])  # (G*H, H)

    def b(self) -> torch.Tensor:
        return torch.cat([getattr(self, b) for b in self.biases])  # (G*H,)

    def input_projection(self, x: torch.Tensor) -> torch.Tensor:
        """``W_x x + b`` for all gates at once; x (..., E) -> (..., G*H)."""
        return F.linear(x, self.W_x(), self.b())

    def forward(self, x_t: torch.Tensor, state):
        """One time step: x_t (B, E), state -> new state."""
        return self.recur(self.input_projection(x_t), state, self.W_h())

    def scan(self, xs: torch.Tensor, state, mask=None):
        """The layer over time: xs (T, B, E), mask (T, B, 1) -> outputs (T, B, H), state."""
        return scan(self, self.input_projection(xs), state, mask)  # xp (T, B, G*H)

    def init_state(self, batch_size: int, device=None, dtype=None):
        dtype = dtype or getattr(self, f"W_x{self.gates[0]}").dtype
        return torch.zeros(batch_size, self.hidden_size, device=device, dtype=dtype)  # (B, H)

    def output(self, state) -> torch.Tensor:
        return state  # (B, H)

    def torch_weights(self) -> tuple:
        """(weight_ih, weight_hh, bias_ih, bias_hh) in torch.nn's layout; bias_hh is zero."""
        b = self.b().detach()
        return self.W_x().detach(), self.W_h().detach(), b, torch.zeros_like(b)

    def torch_grads(self) -> tuple:
        """Gradients in torch.nn's layout: a folded bias's gradient is each torch bias's."""
        cat = lambda names: torch.cat([getattr(self, n).grad for n in names])  # noqa: E731
        b = cat(self.biases)
        return cat(f"W_x{g}" for g in self.gates), cat(f"W_h{g}" for g in self.gates), b, b

    @torch.no_grad()
    def load_torch_weights(self, w_ih, w_hh, b_ih, b_hh):
        """Copy torch.nn weights in; the two bias vectors of a gate are summed into one."""
        H = self.hidden_size
        for k, g in enumerate(self.gates):
            getattr(self, f"W_x{g}").copy_(w_ih[k * H : (k + 1) * H])
            getattr(self, f"W_h{g}").copy_(w_hh[k * H : (k + 1) * H])
        for k, b in enumerate(self.biases):
            getattr(self, b).copy_(b_ih[k * H : (k + 1) * H] + b_hh[k * H : (k + 1) * H])


class ElmanCell(_Cell):
    """Elman RNN, eq. (1): h_t = phi(W_xh x_t + W_hh h_{t-1} + b_h), phi = tanh or relu."""

    gates, biases = ("h",), ("b_h",)

    def __init__(self, input_size, hidden_size, nonlinearity="tanh"):
        super().__init__(input_size, hidden_size)
        self.nonlinearity = nonlinearity
        self.phi = {"tanh": torch.tanh, "relu": torch.relu}[nonlinearity]

    def recur(self, xp_t, h, W_h):
        """xp_t = W_xh x_t + b_h (B, H); h (B, H) -> h_t (B, H)."""
        return self.phi(torch.addmm(xp_t, h, W_h.t()))  # (B, H)


class LSTMCell(_Cell):
    """LSTM, eqs. (28)-(33), with b_i in the input gate (eq. 29 misprints it as b_c)."""

    gates, biases = ("i", "f", "c", "o"), ("b_i", "b_f", "b_c", "b_o")
    state_parts = 2  # (h, C)
    hand_backward = True  # scan with the hand-derived BPTT of bptt.LSTMScan (else autograd)

    def scan(self, xs, state, mask=None):
        """The layer over time; its backward is the hand-derived BPTT of eqs. (28)-(33)."""
        if not self.hand_backward:
            return super().scan(xs, state, mask)
        return bptt.lstm_scan(xs, self.W_x(), self.b(), self.W_h(), *state, mask)

    def recur(self, xp_t, state, W_h):
        """xp_t (B, 4H), state (h, C) -> (h_t, C_t)."""
        h, C = state
        a = torch.addmm(xp_t, h, W_h.t())  # (B, 4H) pre-activations
        i, f, C_tilde, o = a.chunk(4, dim=1)  # each (B, H)
        i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)  # eqs. 28, 29, 32
        C_t = f * C + i * torch.tanh(C_tilde)  # eqs. 30, 31
        return o * torch.tanh(C_t), C_t  # eq. 33

    def gate_values(self, x_t, state) -> dict:
        """One step that also returns its gates: i, f, o, C~ and the new (h, C), each (B, H)."""
        a = torch.addmm(self.input_projection(x_t), state[0], self.W_h().t())  # (B, 4H)
        i, f, C_tilde, o = a.chunk(4, dim=1)
        i, f, o, C_tilde = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o), torch.tanh(C_tilde)
        C_t = f * state[1] + i * C_tilde  # eq. 31
        return {"i": i, "f": f, "o": o, "C_tilde": C_tilde, "state": (o * torch.tanh(C_t), C_t)}

    def init_state(self, batch_size, device=None, dtype=None):
        h = super().init_state(batch_size, device, dtype)  # (B, H)
        return h, torch.zeros_like(h)

    def output(self, state):
        return state[0]  # (B, H)


class GRUCell(_Cell):
    """GRU as torch.nn/cuDNN compute it: the reset gate multiplies W_hn h_{t-1} + b_hn.

    r = sigma(W_xr x + W_hr h + b_r), z = sigma(W_xz x + W_hz h + b_z),
    n = tanh(W_xn x + b_xn + r * (W_hn h + b_hn)), h_t = (1 - z) * n + z * h_{t-1}.
    """

    gates, biases, extra_biases = ("r", "z", "n"), ("b_r", "b_z", "b_xn"), ("b_hn",)

    def recur(self, xp_t, h, W_h):
        """xp_t (B, 3H), h (B, H) -> h_t (B, H)."""
        H = self.hidden_size
        hp = torch.addmm(torch.cat([h.new_zeros(2 * H), self.b_hn]), h, W_h.t())  # (B, 3H)
        xr, xz, xn = xp_t.chunk(3, dim=1)  # each (B, H)
        hr, hz, hn = hp.chunk(3, dim=1)  # each (B, H)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)  # (B, H)
        return n + z * (h - n)  # (1 - z) n + z h

    def torch_weights(self):
        w_ih, w_hh, b_ih, b_hh = super().torch_weights()
        return w_ih, w_hh, b_ih, torch.cat([b_hh[: 2 * self.hidden_size], self.b_hn.detach()])

    def torch_grads(self):
        w_ih, w_hh, b_ih, _ = super().torch_grads()
        return w_ih, w_hh, b_ih, torch.cat([b_ih[: 2 * self.hidden_size], self.b_hn.grad])

    @torch.no_grad()
    def load_torch_weights(self, w_ih, w_hh, b_ih, b_hh):
        super().load_torch_weights(w_ih, w_hh, b_ih, b_hh)
        H = self.hidden_size
        self.b_xn.copy_(b_ih[2 * H :])  # b_hn stays inside the reset product
        self.b_hn.copy_(b_hh[2 * H :])


class GRUProposalCell(_Cell):
    """GRU as the proposal writes it, eqs. (34)-(37): reset before the matmul, z keeps h~.

    z = sigma(W_z[h, x] + b_z), r = sigma(W_r[h, x] + b_r),
    h~ = tanh(W_h[r * h, x] + b_h), h_t = (1 - z) * h_{t-1} + z * h~.
    """

    gates, biases = ("r", "z", "n"), ("b_r", "b_z", "b_n")

    def recur(self, xp_t, h, W_h):
        """xp_t (B, 3H), h (B, H) -> h_t (B, H)."""
        H = self.hidden_size
        xr, xz, xn = xp_t.chunk(3, dim=1)  # each (B, H)
        rz = torch.sigmoid(torch.addmm(xp_t[:, : 2 * H], h, W_h[: 2 * H].t()))  # (B, 2H)
        r, z = rz.chunk(2, dim=1)  # eqs. 34, 35
        h_tilde = torch.tanh(torch.addmm(xn, r * h, W_h[2 * H :].t()))  # eq. 36
        return h + z * (h_tilde - h)  # eq. 37

    def torch_weights(self):
        """torch.nn.GRU layout with z negated (sigma(-a) = 1 - sigma(a)): eq. 37's convention."""
        w_ih, w_hh, b_ih, b_hh = super().torch_weights()
        flip = torch.ones_like(b_ih)
        flip[self.hidden_size : 2 * self.hidden_size] = -1
        return w_ih * flip[:, None], w_hh * flip[:, None], b_ih * flip, b_hh

    @torch.no_grad()
    def load_torch_weights(self, w_ih, w_hh, b_ih, b_hh):
        """Load torch.nn.GRU weights; only the reset placement then differs from torch.nn."""
        flip = torch.ones_like(b_ih)
        flip[self.hidden_size : 2 * self.hidden_size] = -1
        f = flip[:, None]
        super().load_torch_weights(w_ih * f, w_hh * f, b_ih * flip, b_hh * flip)


class GatedLinearCell(_Cell):
    """Gated linear recurrence (GLR, the proposed cell), eqs. (G1)-(G3) of models/glr.py:

    f_t = sigma(W_xf x_t + b_f), c~_t = tanh(W_xc x_t + b_c),
    h_t = f_t * h_{t-1} + (1 - f_t) * c~_t.

    The input gate is tied (i_t = 1 - f_t) and no gate sees h_{t-1}: 2 gate blocks, no W_h,
    2(n+1)m parameters; why in :mod:`rnnpaper.models.glr`.
    """

    gates, biases = ("f", "c"), ("b_f", "b_c")
    recurrent_weights = False
    scan_form = "sequential"  # glr.layer's scan (scan.FORMS: sequential, chunked); "cell": steps

    def W_h(self):
        return None  # no recurrent weights: recur ignores its W_h

    def coefficients(self, xp):
        """(G1)-(G2) as the linear recurrence's a_t = f_t, b_t = (1 - f_t) c~_t: xp (..., 2H)."""
        return glr.coefficients(xp)

    def recur(self, xp_t, h, W_h=None):
        """xp_t = [W_xf x_t + b_f, W_xc x_t + b_c] (B, 2H), h (B, H) -> h_t (B, H), eq. G3."""
        f, b_t = self.coefficients(xp_t)  # f_t, (1 - f_t) c~_t, each (B, H)
        return torch.addcmul(b_t, f, h)  # f_t h_{t-1} + (1 - f_t) c~_t

    def scan(self, xs, state, mask=None):
        """The layer over time: all gates in one matrix product, then the linear scan (G3);
        xs (T, B, E), mask (T, B, 1) -> outputs (T, B, H), h_T (B, H)."""
        if self.scan_form == "cell":
            return super().scan(xs, state, mask)  # the cell stepped, with autograd
        xp = self.input_projection(xs).transpose(0, 1)  # (B, T, 2H), a time-major view
        m = None if mask is None else mask[..., 0].t() > 0  # (B, T)
        own = type(self).coefficients is not GatedLinearCell.coefficients  # an ablation's (A1-A3)
        coef = self.coefficients if own else glr.coefficients  # (G1)-(G2): every form, fused too
        y, h_T = glr.recurrence(xp, state, m, self.scan_form, coef)  # (B, T, H), (B, H)
        return y.transpose(0, 1), h_T  # (T, B, H), (B, H)


class GLRUntiedCell(GatedLinearCell):
    """Ablation (A1) of models/glr.py: the input gate untied, h_t = f_t h_{t-1} + i_t c~_t."""

    gates, biases = ("f", "i", "c"), ("b_f", "b_i", "b_c")

    def coefficients(self, xp):
        return glr.untied_coefficients(xp)  # xp = [z_f, z_i, z_c] (..., 3H)


class GLRLinearCell(GatedLinearCell):
    """Ablation (A2) of models/glr.py: the candidate without its tanh, c~_t = W_xc x_t + b_c."""

    def coefficients(self, xp):
        return glr.linear_coefficients(xp)


class GLRFixedDecayCell(GatedLinearCell):
    """Ablation (A3) of models/glr.py: f_t = sigma(b_f), one learned decay per unit, no W_xf."""

    gates, biases, extra_biases = ("c",), ("b_c",), ("b_f",)

    def coefficients(self, xp):
        return glr.fixed_decay_coefficients(xp, self.b_f)  # xp = z_c (..., H)


def scan(cell: _Cell, xp: torch.Tensor, state, mask=None):
    """Run ``cell`` over time with autograd: xp (T, B, G*H) -> outputs (T, B, H), state.

    A padded step (mask False) keeps the state, and its output is zero.
    """
    W_h, ys = cell.W_h(), []
    steps = xp.unbind(0) if mask is None else zip(xp.unbind(0), mask.unbind(0), strict=True)
    for step in steps:
        xp_t, m_t = (step, None) if mask is None else step  # (B, G*H), (B, 1)
        new = cell.recur(xp_t, state, W_h)
        if m_t is not None:
            new = _keep(new, state, m_t)
        ys.append(cell.output(new) if m_t is None else cell.output(new) * m_t)
        state = new
    return torch.stack(ys), state  # (T, B, H)


def _keep(new, old, m):
    """Masked update: m * new + (1 - m) * old, for a tensor or a tuple of tensors."""
    if isinstance(new, tuple):
        return tuple(_keep(a, b, m) for a, b in zip(new, old, strict=True))
    return torch.lerp(old, new, m)  # (B, H)
