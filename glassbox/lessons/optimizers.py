"""Lesson: racing the optimizers on 2-D surfaces, and what momentum's two forms really do.

Course claims (notes, "优化算法"): on a long narrow valley plain gradient descent must
keep its learning rate below 2/λ_max (λ_max the steepest curvature) or it diverges, so
it crawls along the flat direction; momentum averages the zig-zag away; Adagrad,
RMSProp and Adam give every coordinate its own step size, so the steep and the flat
direction progress alike.

Two surfaces, both with minimum value 0:

* the elongated quadratic f(x, y) = ½(x² + 100 y²): curvatures 1 and 100, so plain SGD
  needs lr < 2/100 and then shrinks x by only (1 − lr) per step;
* Rosenbrock's banana f(x, y) = (1 − x)² + 100 (y − x²)², minimum at (1, 1) at the end
  of a curved flat valley.

Each optimizer uses a learning rate chosen for it on that surface (the best of a small
grid: 0.0005–0.02 for SGD, 0.001–0.05 for Momentum, 0.1–5 for Adagrad, 0.001–0.1 for
RMSProp, 0.01–1 for Adam) and we count the steps until f stays below 10⁻⁴.

Momentum comes in two forms (see ``glassbox.optim.Momentum``): the course's average
m_t = β m_{t−1} + (1 − β) g_t, and PyTorch's velocity v_t = β v_{t−1} + g_t. Because
m_t = (1 − β) v_t at every step, ``Momentum(lr=a)`` and ``SGD(lr=a(1 − β), momentum=β)``
take identical steps. On a steady gradient the velocity builds up to g/(1 − β), so
``SGD(lr=η, momentum=β)`` ends up stepping like plain SGD with lr η/(1 − β) — but only
after ~1/(1 − β) steps: its first step is (1 − β) times smaller.

Full mode also races them on mnist-5k (a 784-128-10 MLP, two epochs).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..core.tensor import Tensor
from ..optim import SGD, Adagrad, Adam, Momentum, RMSprop
from .base import LessonResult, figure_path
from .toy_data import loss_surface

NAME = "optimizers"
SUMMARY = "SGD, momentum (both forms), Nesterov, Adagrad, RMSProp, Adam racing on 2-D surfaces"

TOL = 1e-4
BETA = 0.9


# --- the surfaces: value and gradient, written out ------------------------------------
def quadratic(w: np.ndarray) -> tuple[float, np.ndarray]:
    """f = ½(x² + 100y²),  ∇f = (x, 100y)."""
    x, y = w
    return 0.5 * (x * x + 100 * y * y), np.array([x, 100 * y])


def rosenbrock(w: np.ndarray) -> tuple[float, np.ndarray]:
    """f = (1 − x)² + 100(y − x²)²,  ∇f = (−2(1 − x) − 400x(y − x²), 200(y − x²))."""
    x, y = w
    r = y - x * x
    return (1 - x) ** 2 + 100 * r * r, np.array([-2 * (1 - x) - 400 * x * r, 200 * r])


SURFACES: dict[str, dict[str, Any]] = {
    "quadratic": {"f": quadratic, "start": (-8.0, 1.0), "xlim": (-9, 2), "ylim": (-1.5, 1.5)},
    "rosenbrock": {"f": rosenbrock, "start": (-1.5, 2.0), "xlim": (-2, 2), "ylim": (-1, 3)},
}

# name → (optimizer factory taking (params, lr), lr on the quadratic, lr on Rosenbrock)
OPTIMIZERS: dict[str, tuple[Callable[..., Any], float, float]] = {
    # 2/101 is the best constant rate for curvatures 1 and 100; Rosenbrock's valley floor
    # is steeper (curvature ≈ 1000 near (1, 1)), so there SGD must stay below 0.002.
    "SGD": (lambda p, lr: SGD(p, lr=lr), 0.0198, 0.002),
    "Momentum (EMA)": (lambda p, lr: Momentum(p, lr=lr, beta=BETA), 0.05, 0.02),
    # (1 − β) × Momentum's rates: the same trajectory, step for step
    "SGD momentum": (lambda p, lr: SGD(p, lr=lr, momentum=BETA), 0.005, 0.002),
    "Nesterov": (lambda p, lr: SGD(p, lr=lr, momentum=BETA, nesterov=True), 0.005, 0.001),
    "Adagrad": (lambda p, lr: Adagrad(p, lr=lr), 1.0, 1.0),
    "RMSProp": (lambda p, lr: RMSprop(p, lr=lr), 0.03, 0.001),
    "Adam": (lambda p, lr: Adam(p, lr=lr), 0.1, 0.03),
}


def descend(make: Callable[[list[Tensor]], Any], f: Callable, start: tuple[float, float],
            steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Run an optimizer on f from ``start``: the path (steps + 1, 2) and f along it.

    The gradient comes from the formula above and is handed to the optimizer through
    ``p.grad``, exactly where ``backward()`` would have put it."""
    p = Tensor(np.array(start, dtype=np.float64), requires_grad=True, dtype=np.float64)
    opt = make([p])
    path = [p.data.copy()]
    values = [f(p.data)[0]]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            _, g = f(p.data)
            p.grad = Tensor(g, dtype=np.float64)
            opt.step()
            path.append(p.data.copy())
            values.append(f(p.data)[0])
            if not np.isfinite(values[-1]):
                break  # diverged: the rest of the path is inf/NaN
    return np.array(path), np.array(values)


def steps_to_converge(values: np.ndarray, steps: int, tol: float = TOL) -> int | None:
    """The first step after which f stays below ``tol`` up to the budget (None: never)."""
    if len(values) < steps + 1 or not np.isfinite(values).all() or values[-1] >= tol:
        return None
    above = np.nonzero(values >= tol)[0]
    return int(above[-1]) + 1 if len(above) else 0


def run(quick: bool = False, out: Path | None = None) -> LessonResult:
    budgets = {"quadratic": 1000, "rosenbrock": 2000 if quick else 5000}

    # --- the race -------------------------------------------------------------------
    paths: dict[str, dict[str, np.ndarray]] = {s: {} for s in SURFACES}
    reached: dict[str, dict[str, int | None]] = {s: {} for s in SURFACES}
    final: dict[str, dict[str, float]] = {s: {} for s in SURFACES}
    for surface, spec in SURFACES.items():
        for name, (factory, lr_quad, lr_rosen) in OPTIMIZERS.items():
            lr = lr_quad if surface == "quadratic" else lr_rosen
            path, values = descend(lambda p, fa=factory, lr=lr: fa(p, lr), spec["f"],
                                   spec["start"], budgets[surface])
            paths[surface][name] = path
            reached[surface][name] = steps_to_converge(values, budgets[surface])
            final[surface][name] = float(values[-1])
    # Notice: on Rosenbrock Adagrad's and RMSProp's steps never settle at any rate of the grid
    # (Adagrad's shrink too early, RMSProp's hover at ~lr), so they end above the tolerance.

    # --- plain SGD at Momentum's rate: the averaging is what keeps lr 0.05 stable ---
    _, sgd_fast = descend(lambda p: SGD(p, lr=0.05), quadratic, SURFACES["quadratic"]["start"], 50)
    sgd_at_005_diverges = bool(not np.isfinite(sgd_fast[-1]) or sgd_fast[-1] > sgd_fast[0])

    # --- momentum's two forms ------------------------------------------------------
    a = OPTIMIZERS["Momentum (EMA)"][1]
    ema = paths["quadratic"]["Momentum (EMA)"]
    velocity = paths["quadratic"]["SGD momentum"]  # lr = a(1 − β)
    same_path = float(np.abs(ema - velocity).max())
    # On a steady gradient (f = g·w, ∇f = g) compare step lengths with plain SGD.
    eta, g, t = 0.01, np.array([1.0, 1.0]), 60
    steady = lambda w: (float(g @ w), g)  # noqa: E731
    step_len = lambda path: np.linalg.norm(np.diff(path, axis=0), axis=1)  # noqa: E731
    vel_steps = step_len(descend(lambda p: SGD(p, lr=eta, momentum=BETA), steady, (0, 0), t)[0])
    big_steps = step_len(descend(lambda p: SGD(p, lr=eta / (1 - BETA)), steady, (0, 0), t)[0])
    ema_steps = step_len(descend(lambda p: Momentum(p, lr=eta, beta=BETA), steady, (0, 0), t)[0])
    sgd_steps = step_len(descend(lambda p: SGD(p, lr=eta), steady, (0, 0), t)[0])
    ratio_velocity = vel_steps / big_steps  # = 1 − β^t
    ratio_ema = ema_steps / sgd_steps       # = 1 − β^t as well

    rows = []
    for name, (_, lr_quad, lr_rosen) in OPTIMIZERS.items():
        rows.append([name, lr_quad, _steps(reached["quadratic"][name]), final["quadratic"][name],
                     lr_rosen, _steps(reached["rosenbrock"][name]), final["rosenbrock"][name]])
    values: dict[str, Any] = {
        "steps_quadratic": reached["quadratic"],
        "steps_rosenbrock": reached["rosenbrock"],
        "final_quadratic": final["quadratic"],
        "final_rosenbrock": final["rosenbrock"],
        "budgets": budgets,
        "sgd_lr_quadratic": OPTIMIZERS["SGD"][1],
        "sgd_at_0.05_diverges": sgd_at_005_diverges,
        "ema_vs_velocity_max_diff": same_path,
        "velocity_first_step_ratio": float(ratio_velocity[0]),
        "velocity_step_ratio_at_50": float(ratio_velocity[49]),
        "ema_first_step_ratio": float(ratio_ema[0]),
        "ema_step_ratio_at_50": float(ratio_ema[49]),
    }
    sq, sr = reached["quadratic"], reached["rosenbrock"]
    headline = (
        f"on ½(x² + 100y²) plain SGD (lr {OPTIMIZERS['SGD'][1]}, just under 2/100) needs "
        f"{_steps(sq['SGD'])} steps to f < 1e-4, Adam {_steps(sq['Adam'])}, momentum "
        f"{_steps(sq['Momentum (EMA)'])}, Nesterov {_steps(sq['Nesterov'])}; on Rosenbrock SGD "
        f"{_steps(sr['SGD'])}, Adam {_steps(sr['Adam'])}, momentum {_steps(sr['Momentum (EMA)'])}; "
        f"Momentum(lr={a}) and SGD(lr={a * (1 - BETA):g}, momentum=0.9) agree to {same_path:.0e}; "
        f"PyTorch momentum's first step is {ratio_velocity[0]:.2f}× plain SGD at lr/(1−β), "
        f"{ratio_velocity[49]:.3f}× by step 50"
    )
    columns = ["optimizer", "lr (quad)", "steps (quad)", "final f (quad)",
               "lr (Rosenbrock)", "steps (Rosenbrock)", "final f (Rosenbrock)"]
    result = LessonResult(NAME, headline, columns, rows, values)

    if not quick:
        mnist = _mnist_race()
        if mnist is not None:
            values["mnist"] = {k: {"final_loss": v["losses"][-1], "test_accuracy": v["test_acc"]}
                               for k, v in mnist.items()}
            for k, v in mnist.items():
                result.rows.append([f"mnist-5k: {k}", v["lr"], "—", v["epoch_loss"], "—",
                                    "test acc", v["test_acc"]])
    else:
        mnist = None

    if figure_path(out, "optimizers_race.png") is not None:
        result.figures += _figures(out, paths, reached, ratio_velocity, ratio_ema, mnist)
    return result


def _steps(n: int | None) -> int | str:
    return "never" if n is None else n


def _mnist_race() -> dict[str, dict[str, Any]] | None:
    """Two epochs of each optimizer on mnist-5k; per-batch losses and the test accuracy."""
    from .. import nn
    from ..data import DatasetNotFoundError, load_mnist
    from ..random import manual_seed
    from ..training import LambdaCallback, evaluate, fit

    try:
        (x, y), (xt, yt) = load_mnist(flatten=True, download=False, progress=False)
    except DatasetNotFoundError:
        return None
    # typical rates for a small MLP: the velocity forms get the EMA form's rate × (1 − β)
    rates = {"SGD": 0.1, "Momentum (EMA)": 0.1, "SGD momentum": 0.01, "Nesterov": 0.01,
             "Adagrad": 0.05, "RMSProp": 0.001, "Adam": 0.001}
    race = {}
    for name, lr in rates.items():
        manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        opt = OPTIMIZERS[name][0](model.parameters(), lr)
        losses: list[float] = []
        record = LambdaCallback(on_after_backward=lambda step, logs: losses.append(logs["loss"]))
        hist = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=2, batch_size=64,
                   verbose=0, seed=0, callbacks=[record])
        test = evaluate(model, (xt, yt))
        race[name] = {"lr": lr, "losses": losses, "epoch_loss": hist.history["loss"][-1],
                      "test_acc": test["accuracy"]}
    return race


def _figures(out: Path, paths, reached, ratio_velocity, ratio_ema, mnist) -> list[Path]:
    from ..plots._mpl import new_figure, save_png

    figures = []
    fig = new_figure(NAME, figsize=(13, 5))
    for ax, (surface, spec) in zip(fig.subplots(1, 2), SURFACES.items()):
        X, Y, Z = loss_surface(lambda x, y, f=spec["f"]: f(np.array([x, y]))[0],
                               spec["xlim"], spec["ylim"], 200)
        ax.contour(X, Y, np.log10(Z + 1e-3), levels=20, colors="gray", linewidths=0.5)
        for name, path in paths[surface].items():
            ok = np.all(np.isfinite(path), axis=1)
            style = "--" if name == "SGD momentum" else "-"
            ax.plot(path[ok, 0], path[ok, 1], style, lw=1.2,
                    label=f"{name}: {_steps(reached[surface][name])}")
        ax.plot(*spec["start"], "ko")
        ax.set_xlim(*spec["xlim"])
        ax.set_ylim(*spec["ylim"])
        ax.set_title(f"{surface}: steps until f < 1e-4")
        ax.legend(fontsize=7, loc="lower right" if surface == "quadratic" else "upper right")
    figures.append(save_png(fig, figure_path(out, "optimizers_race.png")))

    fig = new_figure(NAME, figsize=(6, 4))
    ax = fig.subplots()
    t = np.arange(1, len(ratio_velocity) + 1)
    ax.plot(t, ratio_velocity, lw=3, alpha=0.5, label="SGD(lr=η, momentum=β) / SGD(lr=η/(1−β))")
    ax.plot(t, ratio_ema, "--", label="Momentum(lr=η, β) / SGD(lr=η)")
    ax.plot(t, 1 - BETA ** t, ":", color="black", label="1 − β^t")
    ax.set_xlabel("step t (steady gradient)")
    ax.set_ylabel("step length ratio")
    ax.set_title("momentum warms up over ~1/(1−β) steps")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    figures.append(save_png(fig, figure_path(out, "optimizers_momentum_forms.png")))

    if mnist:
        fig = new_figure(NAME, figsize=(7, 4.5))
        ax = fig.subplots()
        for name, run in mnist.items():
            smooth = np.convolve(run["losses"], np.ones(10) / 10, mode="valid")
            ax.plot(smooth, label=f"{name} (lr {run['lr']:g}): test {run['test_acc']:.1%}")
        ax.set_xlabel("batch (64 images), 2 epochs of mnist-5k")
        ax.set_ylabel("training loss (10-batch mean)")
        ax.set_yscale("log")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3, which="both")
        figures.append(save_png(fig, figure_path(out, "optimizers_mnist.png")))
    return figures
