"""The one training loop of the project: AdamW, clipping, a schedule, early stopping, resume.

Every study trains through :func:`fit`. The task lives in three callables the caller passes:

* ``train_batches(epoch) -> iterable`` of batches for one epoch. It must be a function of
  ``epoch`` alone (e.g. shuffle with ``torch.Generator().manual_seed(seed + epoch)``), so a
  resumed run sees the same batches as an uninterrupted one.
* ``loss_fn(model, batch) -> (loss, n_tokens)``: mean loss of the batch (a scalar tensor) and
  the number of tokens it covered (for tokens/s).
* ``evaluate(model) -> dict`` of validation metrics (called under ``torch.no_grad`` with the
  model in eval mode); ``monitor`` names the key early stopping watches.

Example::

    from rnnpaper import train
    cfg = train.TrainConfig(epochs=10, lr=2e-3, patience=3, seed=1)
    train.seed_everything(cfg.seed)            # seed BEFORE building the model
    model = MyModel(...)
    result = train.fit(model, cfg, train_batches=lambda e: batches(e),
                       loss_fn=lambda m, b: (F.cross_entropy(m(b.x), b.y), b.x.numel()),
                       evaluate=lambda m: {"accuracy": acc(m)}, monitor="accuracy",
                       mode="max", run_dir=Path("build/runs/x"), meta={"model": model_cfg})
    result.best["accuracy"], result.history, result.tokens_per_s   # model holds best weights

What ``fit`` guarantees:

* the learning rate of step ``s`` is a pure function of the step (warm-up, then constant,
  linear or cosine decay), so nothing about the schedule needs saving;
* gradients are clipped to ``clip_norm`` (global L2 norm) before each AdamW step;
* a non-finite loss stops the run with :class:`NonFiniteLossError` naming epoch and step;
* after each epoch ``run_dir/checkpoint.pt`` holds model, optimiser, RNG state, history and the
  best weights so far; calling ``fit`` again with the same ``run_dir`` and config resumes after
  the last finished epoch (a checkpoint of another config is refused; an unreadable one and
  stray ``*.tmp*`` files of a killed write are removed, and the run starts again);
* at the end the best weights (by ``monitor``) are loaded into ``model``, saved to
  ``run_dir/best.pt``, and ``run_dir/result.json`` is written atomically with the resolved
  config, seed, git commit, package versions, parameter count, wall time (training plus
  validation, ``wall_s``; training alone, ``train_s``; process CPU time, ``cpu_s``) and
  training tokens/s;
* if ``result.json`` already exists with the same config hash and ``best.pt`` is there, the run
  is not repeated: the best weights are loaded and the stored result is returned.

Checkpoints hold only tensors and plain Python values and load with
``torch.load(weights_only=True)``.
"""

import hashlib
import json
import math
import pickle
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from rnnpaper import devices, results
from rnnpaper.seeding import seed_everything

__all__ = [
    "TrainConfig",
    "FitResult",
    "NonFiniteLossError",
    "fit",
    "config_hash",
    "lr_factor",
    "n_parameters",
    "seed_everything",
    "finished_result",
]

SCHEDULES = ("constant", "linear", "cosine")


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; the message names epoch and step."""


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of one run (saved with every result)."""

    epochs: int = 10
    lr: float = 1e-3
    weight_decay: float = 0.01
    clip_norm: float = 1.0  # global gradient L2 norm; 0 disables clipping
    patience: int = 3  # epochs without improvement before stopping; 0 disables
    schedule: str = "cosine"  # one of SCHEDULES
    warmup_frac: float = 0.0  # fraction of all steps with linear warm-up
    min_lr_frac: float = 0.05  # the decayed schedules end at lr * min_lr_frac
    seed: int = 0
    progress: bool = True  # tqdm bar with ETA per epoch
    checkpoint: bool = True  # write run_dir/checkpoint.pt after every epoch

    def __post_init__(self):
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule {self.schedule!r} not in {SCHEDULES}")
        if self.epochs < 1 or self.lr <= 0:
            raise ValueError(f"need epochs >= 1 and lr > 0, got {self.epochs}, {self.lr}")


@dataclass
class FitResult:
    """What a run produced: per-epoch history, best epoch and its metrics, cost."""

    history: list[dict]
    best_epoch: int
    best: dict
    stopped_early: bool
    n_parameters: int
    wall_s: float  # training + validation, summed over epochs (also across a resume)
    train_tokens: int
    tokens_per_s: float
    config_hash: str
    skipped: bool = False  # True when a finished run was found and not repeated
    payload: dict = field(default_factory=dict)  # the JSON written to result.json


def lr_factor(step: int, total_steps: int, cfg: TrainConfig) -> float:
    """Multiplier of ``cfg.lr`` at optimizer step ``step`` (0-based) of ``total_steps``."""
    warm = int(cfg.warmup_frac * total_steps)
    if step < warm:
        return (step + 1) / warm
    if cfg.schedule == "constant":
        return 1.0
    p = min(1.0, (step - warm) / max(1, total_steps - warm))  # progress in [0, 1]
    floor = cfg.min_lr_frac
    if cfg.schedule == "linear":
        return floor + (1 - floor) * (1 - p)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p))


def n_parameters(model: torch.nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def config_hash(cfg: TrainConfig, meta: dict | None = None) -> str:
    """Short stable hash of the training config plus the caller's meta (model, data...)."""
    blob = {k: v for k, v in asdict(cfg).items() if k not in ("progress", "checkpoint")}
    text = json.dumps(results.to_jsonable({"train": blob, "meta": meta or {}}), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def finished_result(run_dir: Path | None, chash: str) -> dict | None:
    """The stored result.json of ``run_dir`` if it exists with config hash ``chash``."""
    if run_dir is None or not (Path(run_dir) / "result.json").exists():
        return None
    payload = results.read_json(Path(run_dir) / "result.json")
    return payload if payload.get("config_hash") == chash else None


def _better(value: float, best: float | None, mode: str) -> bool:
    if best is None:
        return True
    return value > best if mode == "max" else value < best


def _total_steps(train_batches, cfg) -> tuple[int, list]:
    first = list(train_batches(0))
    return len(first) * cfg.epochs, first


def _state(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class _Run:
    """Mutable state of one fit (what the checkpoint saves)."""

    def __init__(self, model, cfg, chash, device):
        self.model, self.cfg, self.chash, self.device = model, cfg, chash, device
        self.opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.epoch, self.step, self.history = 0, 0, []
        self.best_value, self.best_epoch, self.best_state = None, -1, _state(model)
        self.bad_epochs, self.tokens, self.train_s, self.wall_s = 0, 0, 0.0, 0.0
        self.cpu_s = 0.0  # CPU time of this process (threads summed): robust to a shared machine

    def record(self, train_loss: float, metrics: dict, value: float, mode: str) -> None:
        """Close an epoch: append its history row, keep the best weights, count bad epochs."""
        self.epoch += 1
        self.history.append(
            {
                "epoch": self.epoch,
                "train_loss": train_loss,
                "lr": self.opt.param_groups[0]["lr"],
                **metrics,
            }
        )
        if _better(value, self.best_value, mode):
            self.best_value, self.best_epoch = value, self.epoch
            self.best_state, self.bad_epochs = _state(self.model), 0
        else:
            self.bad_epochs += 1

    def save(self, path: Path) -> None:
        ckpt = {
            "config": asdict(self.cfg),
            "config_hash": self.chash,
            "model": self.model.state_dict(),
            "optimizer": self.opt.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "history": self.history,
            "best_value": self.best_value,
            "best_epoch": self.best_epoch,
            "best_state": self.best_state,
            "bad_epochs": self.bad_epochs,
            "tokens": self.tokens,
            "train_s": self.train_s,
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "rng": torch.get_rng_state(),
        }
        if self.device.type == "cuda":
            ckpt["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        tmp = path.with_suffix(".tmp")
        torch.save(ckpt, tmp)
        tmp.replace(path)

    def load(self, path: Path) -> bool:
        """Resume from ``path``; False when it cannot be read (a partial file)."""
        try:
            ckpt = torch.load(path, weights_only=True, map_location=self.device)
        except (RuntimeError, EOFError, OSError, pickle.UnpicklingError):
            return False
        if ckpt["config_hash"] != self.chash:
            raise ValueError(
                f"{path} belongs to another config ({ckpt['config_hash']} != "
                f"{self.chash}); delete it or use another run_dir"
            )
        self.model.load_state_dict(ckpt["model"])
        self.opt.load_state_dict(ckpt["optimizer"])
        for k in (
            "epoch",
            "step",
            "history",
            "best_value",
            "best_epoch",
            "best_state",
            "bad_epochs",
            "tokens",
            "train_s",
            "wall_s",
        ):
            setattr(self, k, ckpt[k])
        self.cpu_s = ckpt.get("cpu_s", 0.0)  # absent from checkpoints written before it
        torch.set_rng_state(ckpt["rng"].cpu())
        if "cuda_rng" in ckpt and self.device.type == "cuda":
            torch.cuda.set_rng_state(ckpt["cuda_rng"].cpu(), self.device)
        return True


def _train_epoch(run: _Run, batches: list, loss_fn, total_steps: int) -> float:
    """One pass over ``batches``; returns the mean training loss."""
    model, cfg = run.model, run.cfg
    model.train()
    loss_sum, n = 0.0, 0
    bar = tqdm(
        batches,
        desc=f"epoch {run.epoch + 1}/{cfg.epochs}",
        disable=not cfg.progress,
        leave=False,
        mininterval=2.0,
    )
    for i, batch in enumerate(bar):
        loss, n_tokens = loss_fn(model, devices.to(batch, run.device))
        if not torch.isfinite(loss):
            raise NonFiniteLossError(
                f"loss is {loss.item()} at epoch {run.epoch + 1}, step {i + 1} of the epoch "
                f"(global step {run.step + 1}); try a lower lr or a smaller clip_norm"
            )
        for g in run.opt.param_groups:
            g["lr"] = cfg.lr * lr_factor(run.step, total_steps, cfg)
        run.opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
        run.opt.step()
        run.step += 1
        run.tokens += int(n_tokens)
        loss_sum, n = loss_sum + loss.item(), n + 1
        bar.set_postfix(loss=f"{loss_sum / n:.4f}", refresh=False)
    return loss_sum / max(1, n)


def _evaluate(model, evaluate) -> dict:
    model.eval()
    with torch.no_grad():
        metrics = dict(evaluate(model))
    model.train()
    return metrics


def fit(
    model: torch.nn.Module,
    config: TrainConfig,
    train_batches: Callable[[int], Iterable],
    loss_fn: Callable,
    evaluate: Callable,
    monitor: str = "accuracy",
    mode: str = "max",
    run_dir: Path | None = None,
    meta: dict | None = None,
    device=None,
) -> FitResult:
    """Train ``model`` in place under ``config``; see the module docstring for the contract.

    ``device`` (a name or ``torch.device``): where the model is moved and every batch follows
    it; None keeps the model where it is (see :mod:`rnnpaper.devices`).
    """
    device = devices.of(model) if device is None else devices.resolve(str(device))
    model.to(device)
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    chash = config_hash(config, meta)
    run_dir = Path(run_dir) if run_dir is not None else None
    if (done := finished_result(run_dir, chash)) and (run_dir / "best.pt").exists():
        best = torch.load(run_dir / "best.pt", weights_only=True, map_location=device)
        model.load_state_dict(best)
        return _result_from_payload(done)
    seed_everything(config.seed)
    run = _Run(model, config, chash, device)
    ckpt_path = run_dir / "checkpoint.pt" if run_dir is not None else None
    if ckpt_path is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        for stray in run_dir.glob("*.tmp*"):  # a write cut short by a kill
            stray.unlink(missing_ok=True)
        if ckpt_path.exists() and not run.load(ckpt_path):
            ckpt_path.unlink()  # a partial checkpoint: the run starts again
    total_steps, first = _total_steps(train_batches, config)
    stopped = False
    while run.epoch < config.epochs and not stopped:
        batches = first if run.epoch == 0 else list(train_batches(run.epoch))
        t0, c0 = time.perf_counter(), time.process_time()
        train_loss = _train_epoch(run, batches, loss_fn, total_steps)
        run.train_s += time.perf_counter() - t0
        metrics = _evaluate(model, evaluate)
        run.wall_s += time.perf_counter() - t0
        run.cpu_s += time.process_time() - c0
        if monitor not in metrics:
            raise KeyError(f"evaluate() returned {sorted(metrics)}; monitor={monitor!r} missing")
        run.record(train_loss, metrics, metrics[monitor], mode)
        stopped = config.patience > 0 and run.bad_epochs >= config.patience
        if ckpt_path is not None and config.checkpoint:
            run.save(ckpt_path)
    model.load_state_dict(run.best_state)
    return _finish(run, stopped, monitor, mode, run_dir, meta)


def _finish(run: _Run, stopped: bool, monitor, mode, run_dir, meta) -> FitResult:
    best = next(h for h in run.history if h["epoch"] == run.best_epoch)
    tps = run.tokens / run.train_s if run.train_s > 0 else float("nan")
    payload = {
        "config_hash": run.chash,
        "train_config": asdict(run.cfg),
        "seed": run.cfg.seed,
        "meta": meta or {},
        "monitor": monitor,
        "mode": mode,
        "best_epoch": run.best_epoch,
        "best": best,
        "stopped_early": stopped,
        "history": run.history,
        "n_parameters": n_parameters(run.model),
        "wall_s": run.wall_s,
        "train_s": run.train_s,
        "cpu_s": run.cpu_s,
        "train_tokens": run.tokens,
        "tokens_per_s": tps,
        **results.provenance(),
        "environment": results.environment(),
    }
    if run_dir is not None:
        torch.save({k: v.cpu() for k, v in run.best_state.items()}, run_dir / "best.pt")
        results.write_json(run_dir / "result.json", payload)
    return _result_from_payload(payload, skipped=False)


def _result_from_payload(p: dict, skipped: bool = True) -> FitResult:
    return FitResult(
        history=p["history"],
        best_epoch=p["best_epoch"],
        best=p["best"],
        stopped_early=p["stopped_early"],
        n_parameters=p["n_parameters"],
        wall_s=p["wall_s"],
        train_tokens=p["train_tokens"],
        tokens_per_s=p["tokens_per_s"],
        config_hash=p["config_hash"],
        skipped=skipped,
        payload=p,
    )
