"""The one device setting: ``RNNPAPER_DEVICE=cpu|cuda|cuda:N`` (default: cuda when a GPU is
present, else cpu). Training (:func:`rnnpaper.train.fit`) moves each batch to the model's
device; :mod:`rnnpaper.tasks.classification` puts its model on :func:`resolve`'s device.

The CUDA path has not been run on a GPU in this version. CPU results are bit-identical to
those before the setting existed (``tests/test_device.py``); CUDA results are not expected
to equal CPU ones, nor to repeat exactly (cuBLAS/cuDNN kernels need not be deterministic).
"""

import os

import torch


def resolve(setting: str | None = None) -> torch.device:
    """The device to train on: ``setting``, else ``$RNNPAPER_DEVICE``, else cuda if present."""
    s = (setting or os.environ.get("RNNPAPER_DEVICE") or "").strip().lower()
    if not s:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if s != "cpu" and not s.startswith("cuda"):
        raise ValueError(f"RNNPAPER_DEVICE={s!r}: use cpu, cuda or cuda:N")
    dev = torch.device(s)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"RNNPAPER_DEVICE={s!r} but torch sees no CUDA device; use cpu")
    return dev


def of(model: torch.nn.Module) -> torch.device:
    """The device of a model's first parameter (cpu for a model without parameters)."""
    return next(model.parameters(), torch.empty(0)).device


def to(obj, device: torch.device):
    """``obj`` with every tensor inside (tuples, lists, dicts) on ``device``; a tensor
    already there is returned as it is (no copy)."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=device.type == "cuda")
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a named tuple
        return type(obj)(*(to(v, device) for v in obj))
    if isinstance(obj, tuple | list):
        return type(obj)(to(v, device) for v in obj)
    if isinstance(obj, dict):
        return {k: to(v, device) for k, v in obj.items()}
    return obj
