"""Random search and coarse-to-fine search over a hyperparameter space.

The course's recipe: don't lay a grid over the hyperparameters, sample them at random
(each trial then tries a new value of *every* hyperparameter, where a grid repeats the
same few values of the ones that turn out not to matter), on the right scale (see
``space``); then zoom into the region of the best trials and sample again.

An objective is a function ``objective(params) -> dict`` whose dict holds ``"score"``
(higher is better unless ``maximize=False``) and optionally ``"history"`` (a ``History``
or its dict), ``"model"`` / ``"optimizer"`` (then a trial's checkpoint can be saved) and
any other numbers to report (``val_loss``, ...).
"""
from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .. import validate as check
from .space import Distribution, sample_space, space_from_dict, space_to_dict

__all__ = ["Trial", "TuneResult", "random_search", "coarse_to_fine", "zoom_space", "KEEP"]

KEEP = ("all", "best", "none")
Objective = Callable[[dict[str, Any]], Mapping[str, Any]]


def _plain(value: Any) -> Any:
    """JSON-friendly copy (NumPy scalars/arrays → Python numbers/lists; NaN/inf → None)."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


@dataclass
class Trial:
    """One evaluated configuration.

    ``status`` is "ok", "diverged" (the training loss became NaN/inf) or "failed"
    (the score was not a finite number); only "ok" trials have a ``score`` and rank.
    """

    number: int
    params: dict[str, Any]
    score: float | None = None
    status: str = "ok"
    error: str | None = None
    round: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] | None = None
    seconds: float = 0.0
    checkpoint: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.score is not None

    def to_dict(self) -> dict[str, Any]:
        return _plain({
            "number": self.number, "round": self.round, "params": self.params, "score": self.score,
            "status": self.status, "error": self.error, "metrics": self.metrics,
            "history": self.history, "seconds": self.seconds, "checkpoint": self.checkpoint,
        })

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Trial":
        return cls(number=int(d["number"]), params=dict(d["params"]), score=d.get("score"),
                   status=d.get("status", "ok"), error=d.get("error"), round=int(d.get("round", 0)),
                   metrics=dict(d.get("metrics") or {}), history=d.get("history"),
                   seconds=float(d.get("seconds", 0.0)), checkpoint=d.get("checkpoint"))


@dataclass
class TuneResult:
    """All trials of a search, with the spaces searched in each round.

    ``best_model`` holds the best trial's model in memory when the objective returned one
    (it is not saved in JSON; with ``keep`` "best" or "all" its checkpoint is on disk).
    """

    trials: list[Trial]
    spaces: list[dict[str, Any]]
    seed: int | None = None
    maximize: bool = True
    info: dict[str, Any] = field(default_factory=dict)
    best_model: Any = None

    def ranked(self) -> list[Trial]:
        """Finished trials best first (ties: earlier trial first), then the failed ones."""
        sign = -1.0 if self.maximize else 1.0
        ok = sorted((t for t in self.trials if t.ok), key=lambda t: (sign * t.score, t.number))
        return ok + [t for t in self.trials if not t.ok]

    @property
    def best(self) -> Trial | None:
        ranked = self.ranked()
        return ranked[0] if ranked and ranked[0].ok else None

    def top(self, k: int) -> list[Trial]:
        return [t for t in self.ranked() if t.ok][:k]

    # ------------------------------------------------------------------ reporting
    def table(self, limit: int | None = None, metrics: Sequence[str] | None = None) -> str:
        """The trials as a fixed-width text table, best first."""
        trials = self.ranked()[:limit] if limit else self.ranked()
        params = list(dict.fromkeys(k for t in self.trials for k in t.params))
        if metrics is None:
            metrics = [k for k in dict.fromkeys(k for t in self.trials for k in t.metrics)
                       if all(isinstance(t.metrics.get(k), (int, float, type(None))) for t in self.trials)]
        rounds = len({t.round for t in self.trials}) > 1
        head = ["rank", "trial"] + (["round"] if rounds else []) + params + ["score", *metrics, "time_s", "status"]
        rows = []
        for rank, t in enumerate(trials, 1):
            row = [str(rank) if t.ok else "-", str(t.number)] + ([str(t.round)] if rounds else [])
            row += [_fmt(t.params.get(k)) for k in params]
            row += [_fmt(t.score)] + [_fmt(t.metrics.get(k)) for k in metrics]
            row += [f"{t.seconds:.1f}", t.status]
            rows.append(row)
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        best = self.best
        return _plain({
            "seed": self.seed, "maximize": self.maximize, "info": self.info,
            "spaces": [space_to_dict(s) for s in self.spaces],
            "best": best.to_dict() if best else None,
            "trials": [t.to_dict() for t in self.ranked()],
        })

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TuneResult":
        trials = sorted((Trial.from_dict(t) for t in d["trials"]), key=lambda t: t.number)
        return cls(trials=trials, spaces=[space_from_dict(s) for s in d.get("spaces", [])],
                   seed=d.get("seed"), maximize=bool(d.get("maximize", True)), info=dict(d.get("info") or {}))

    def save(self, path: str | Path) -> Path:
        """Write the result as JSON, atomically (a crash never leaves half a file)."""
        from ..training.atomic import atomic_write_json

        return atomic_write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> "TuneResult":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (float, np.floating)):
        return str(value)
    if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4f}"


# ----------------------------------------------------------------------- running
def _history_dict(history: Any) -> dict[str, Any] | None:
    if history is None:
        return None
    if hasattr(history, "to_dict"):
        return history.to_dict()
    return dict(history)


class _Runner:
    """Runs trials, records them, saves checkpoints and prunes them according to ``keep``."""

    def __init__(self, objective: Objective, result: TuneResult, out_dir: str | Path | None,
                 keep: str, verbose: bool | Callable[[str], None]) -> None:
        if keep not in KEEP:
            raise ValueError(f"tune: keep must be one of {KEEP}, got {keep!r}")
        if not callable(objective):
            raise TypeError(f"tune: objective must be callable, got {type(objective).__name__}")
        self.objective, self.result, self.keep = objective, result, keep
        self.out = Path(out_dir) if out_dir is not None else None
        self.say: Callable[[str], None] = (
            verbose if callable(verbose) else (lambda s: print(s, flush=True)) if verbose else (lambda s: None))

    def run(self, params: dict[str, Any], round_: int) -> Trial:
        from ..training.fit import TrainingDivergedError

        trial = Trial(number=len(self.result.trials), params=params, round=round_)
        start = time.perf_counter()
        out: Mapping[str, Any] = {}
        try:
            out = self.objective(dict(params))
        except (TrainingDivergedError, FloatingPointError) as exc:
            trial.status, trial.error = "diverged", str(exc)
        trial.seconds = time.perf_counter() - start
        if trial.status == "ok":
            if not isinstance(out, Mapping) or "score" not in out:
                raise TypeError(f"tune: the objective must return a dict with a 'score', got {out!r:.200}")
            score = out["score"]
            try:
                score = float(score)
            except (TypeError, ValueError):
                raise TypeError(f"tune: the objective's score must be a number, got {score!r}") from None
            if math.isfinite(score):
                trial.score = score
            else:
                trial.status, trial.error = "failed", f"score is {score}"
            trial.history = _history_dict(out.get("history"))
            trial.metrics = {k: _plain(v) for k, v in out.items()
                             if k not in ("score", "history", "model", "optimizer")}
        previous_best = self.result.best
        self.result.trials.append(trial)
        is_best = trial.ok and self.result.best is trial
        if is_best and "model" in out:
            self.result.best_model = out["model"]
        self._checkpoint(trial, out, is_best, previous_best)
        if self.out is not None:
            self.result.save(self.out / "results.json")
        score = f"{trial.score:.4f}" if trial.ok else trial.status
        self.say(f"trial {trial.number:3d} (round {round_}): "
                 + ", ".join(f"{k}={_fmt(v)}" for k, v in params.items())
                 + f" -> {score} ({trial.seconds:.1f} s)" + ("  *best*" if is_best else ""))
        return trial

    def _checkpoint(self, trial: Trial, out: Mapping[str, Any], is_best: bool, previous: Trial | None) -> None:
        if self.out is None or self.keep == "none" or "model" not in out:
            return
        if self.keep == "best" and not is_best:
            return
        from ..training.checkpoint import save_checkpoint

        folder = self.out / f"trial-{trial.number:03d}"
        path = save_checkpoint(folder / "checkpoint.npz", out["model"], out.get("optimizer"),
                               history=out.get("history"),
                               extra={"params": _plain(trial.params), "score": trial.score})
        trial.checkpoint = str(path)
        if self.keep == "best" and previous is not None and previous.checkpoint:
            shutil.rmtree(Path(previous.checkpoint).parent, ignore_errors=True)
            previous.checkpoint = None


def random_search(objective: Objective, space: Mapping[str, Any], trials: int, seed: int | None = None,
                  *, maximize: bool = True, out_dir: str | Path | None = None, keep: str = "best",
                  verbose: bool | Callable[[str], None] = False) -> TuneResult:
    """Evaluate ``objective`` on ``trials`` configurations drawn independently from ``space``.

    Args:
        objective: ``params -> {"score": ..., ...}`` (see the module docstring).
        space: ``{name: Distribution or constant}``.
        trials: how many configurations (the budget).
        seed: seeds the sampler: the same seed draws the same configurations.
        maximize: whether a higher score is better.
        out_dir: if given, ``results.json`` is rewritten there (atomically) after every
            trial, and checkpoints go to ``trial-NNN/checkpoint.npz``.
        keep: which trials' checkpoints stay on disk: "all", "best" (the current best
            only; earlier ones are deleted as better ones arrive) or "none".
        verbose: print one line per trial (or pass a function that takes the line).
    """
    trials = check.positive_int(trials=trials, where="random_search")
    result = TuneResult(trials=[], spaces=[dict(space)], seed=seed, maximize=maximize,
                        info={"method": "random", "trials": trials})
    runner = _Runner(objective, result, out_dir, keep, verbose)
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        runner.run(sample_space(space, rng), 0)
    return result


def zoom_space(space: Mapping[str, Any], best: Sequence[Mapping[str, Any]], margin: float = 0.25,
               min_fraction: float = 0.1) -> dict[str, Any]:
    """Narrow every distribution of ``space`` to the region the ``best`` configurations
    span (on its search axis: log₁₀ for log-uniform ones), widened by ``margin`` × that
    span on each side and to at least ``min_fraction`` of the old width."""
    if not best:
        raise ValueError("zoom_space: need at least one configuration to zoom around")
    new: dict[str, Any] = {}
    for name, dist in space.items():
        if isinstance(dist, Distribution) and all(name in p for p in best):
            new[name] = dist.zoom([p[name] for p in best], margin, min_fraction)
        else:
            new[name] = dist
    return new


def coarse_to_fine(objective: Objective, space: Mapping[str, Any], trials_per_round: int,
                   rounds: int = 2, seed: int | None = None, *, top_k: int | None = None,
                   margin: float = 0.25, min_fraction: float = 0.1, maximize: bool = True,
                   out_dir: str | Path | None = None, keep: str = "best",
                   verbose: bool | Callable[[str], None] = False) -> TuneResult:
    """Random search in ``rounds`` rounds; after each, the space is zoomed (``zoom_space``)
    to the region spanned by the ``top_k`` best trials so far (default: a quarter of a
    round's trials, at least 2). ``rounds=1`` is plain random search. Other arguments as
    in ``random_search``; the result lists every round's space in ``spaces``."""
    trials_per_round = check.positive_int(trials_per_round=trials_per_round, where="coarse_to_fine")
    rounds = check.positive_int(rounds=rounds, where="coarse_to_fine")
    top_k = max(2, trials_per_round // 4) if top_k is None else check.positive_int(top_k=top_k, where="coarse_to_fine")
    if not margin >= 0 or not 0 < min_fraction <= 1:
        raise ValueError(f"coarse_to_fine: need margin >= 0 and 0 < min_fraction <= 1, got {margin}, {min_fraction}")
    result = TuneResult(trials=[], spaces=[], seed=seed, maximize=maximize,
                        info={"method": "coarse_to_fine", "trials_per_round": trials_per_round,
                              "rounds": rounds, "top_k": top_k, "margin": margin})
    runner = _Runner(objective, result, out_dir, keep, verbose)
    rng = np.random.default_rng(seed)
    current = dict(space)
    for r in range(rounds):
        if r > 0:
            best = result.top(top_k)
            if best:  # nothing finished (all diverged): search the same space again
                current = zoom_space(current, [t.params for t in best], margin, min_fraction)
            runner.say(f"round {r}: " + ", ".join(f"{k} in {v!r}" for k, v in current.items()
                                                  if isinstance(v, Distribution)))
        result.spaces.append(dict(current))
        for _ in range(trials_per_round):
            runner.run(sample_space(current, rng), r)
    return result

