"""Experiment 7 -- learning dynamics (the paper's Table 6, Figures 4 and 5).

Both networks (:class:`experiments.ntk.TwoLayerReLU`, :class:`experiments.ntk.MLPAttn`; w_r ~
N(0, κ²I), κ = 0.01, a_r ∈ {±1} fixed, output scale m^{-1/2}) are trained by full-batch
gradient descent on ``L(W) = (1/2n) Σ_i (f(x_i) − y_i)²`` with ±1 labels of a binary task;
only W is trained.  Step size ``η = lr_scale · n / λ_max(H_0)`` (H_0 the empirical NTK at
initialisation), the largest stable step of the linearised dynamics times ``lr_scale``.

MLP-Attn input scale (the paper does not say): C x has norm ~ n‖x‖³, and gradient descent,
unlike the ReLU NTK's angles, depends on it.  We divide C by its spectral norm
(``attn_scale="spectral"``: keys X/σ_max(X), so ‖C‖₂ = 1 and ‖C x‖ ≤ ‖x‖) or by n
(``"n"``), or keep it (``"none"``); the choice is in the config.

Recorded along training, at ``checkpoints`` (empirical NTK of the current weights, exact in
closed form for this architecture):

* training loss and accuracy, test loss;
* NTK movement ``‖H_t − H_0‖_F/‖H_0‖_F`` (the lazy-regime diagnostic);
* influence malleability of kernel ridge regression with the *empirical* NTK H_t:
  ``I_t(X) = H_t(T, X)(H_t(X, X) + λI)⁻¹`` (relative ridge λ = ridge · tr H_0/n, fixed),
  ``‖I_t(X + δ) − I_t(X)‖_F/‖I_t(X)‖_F`` under (a) a fixed δ found by projected gradient
  ascent at initialisation (``mall_fixed``) and (b) δ re-optimised at the checkpoint
  (``mall_attack``); ‖δ_j‖₂ ≤ ε‖x_j‖₂ per row, C rebuilt from the perturbed inputs for
  MLP-Attn (as in :mod:`experiments.malleability`).  The indicator pattern is held in the
  gradient (it is piecewise constant in X) but re-evaluated in every value.

Exact speed-up: the data are replaced by coordinates in an orthonormal basis of the row space
of [X; T] plus n zero columns (room for the attack's out-of-span components), see
:mod:`experiments._reduce`; W is drawn in that space (MLP-Attn = the same two-layer network on
the inputs X C, C fixed), which gives the same distribution of every recorded quantity.

Influence vs model complexity (Figure 4): for each width in ``complexity_widths``, the same
training, then the malleability (re-attacked) and the influence score
``s = mean_t Σ_j |I_tj|`` after training.  Loss landscape (Figure 5; Li et al. 2018):
``L(W* + α d₁ + β d₂)`` on a grid, ``d₁, d₂`` Gaussian with every row (one neuron's filter)
rescaled to the norm of the same row of the trained W*.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import torch

from experiments import _stats
from experiments._cli import Common, experiment_main, preset_config
from experiments._reduce import span_coordinates
from experiments._runner import Unit
from experiments.data import BINARY_CLASSES, Preprocess, load_split
from experiments.errors import ConfigError
from experiments.malleability import _pga
from experiments.ntk import TwoLayerReLU, relu_ntk_closed_form

NAME = "learning_dynamics"
TITLE = "Learning dynamics: loss, NTK movement and malleability during training"
ARCHS = ("relu", "mlp_attn")
ATTN_SCALES = ("spectral", "n", "none")
_PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"n_train": 16, "n_test": 8, "width": 64, "steps": 20, "checkpoints": (0, 5, 20),
              "complexity_widths": (16, 64), "grid": 5, "attack_steps": 2},
    "quick": {"n_train": 64, "n_test": 32, "width": 256, "steps": 300,
              "checkpoints": (0, 10, 30, 100, 300), "complexity_widths": (32, 64, 128, 256, 512),
              "grid": 15, "attack_steps": 5},
    "full": {"n_train": 256, "n_test": 128, "width": 1024, "steps": 2000,
             "checkpoints": (0, 10, 30, 100, 300, 1000, 2000),
             "complexity_widths": (64, 128, 256, 512, 1024, 2048, 4096), "grid": 31,
             "attack_steps": 20},
}


@dataclasses.dataclass(frozen=True)
class Config(Common):
    n_train: int = 64
    n_test: int = 32
    width: int = 256
    steps: int = 300
    checkpoints: tuple[int, ...] = (0, 10, 30, 100, 300)
    complexity_widths: tuple[int, ...] = (32, 64, 128, 256, 512)
    grid: int = 15
    grid_radius: float = 1.0
    attack_steps: int = 5
    eps: float = 0.05
    ridge: float = 1e-2
    lr_scale: float = 1.0
    init_scale: float = 0.01
    attn_scale: str = "spectral"
    center: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.attn_scale not in ATTN_SCALES:
            raise ConfigError.for_arg("attn_scale", f"must be one of {ATTN_SCALES}",
                                      self.attn_scale)
        if self.steps < 1 or any(not 0 <= c <= self.steps for c in self.checkpoints) \
                or 0 not in self.checkpoints:
            raise ConfigError.for_arg("checkpoints", "must include 0 and lie in [0, steps]",
                                      self.checkpoints)
        if self.grid < 3 or self.n_train < 2 or self.n_test < 1 or self.attack_steps < 1:
            raise ConfigError.for_arg("grid/n_train/n_test/attack_steps",
                                      "need grid >= 3, n_train >= 2, n_test >= 1, "
                                      "attack_steps >= 1",
                                      (self.grid, self.n_train, self.n_test, self.attack_steps))

    @classmethod
    def preset(cls, preset: str = "quick", **overrides: Any) -> Config:
        return preset_config(cls, _PRESETS, preset, overrides)


def plan(cfg: Config) -> list[Unit]:
    return [Unit(NAME, ds, arch, seed, cfg.n_train, (("n_test", cfg.n_test),))
            for ds in cfg.datasets for arch in ARCHS for seed in cfg.seeds]


# ----------------------------------------------------------------------------- pieces

def _scale(cfg: Config, X: torch.Tensor) -> float:
    """s with C = Xᵀ X / s."""
    if cfg.attn_scale == "spectral":
        return float(torch.linalg.matrix_norm(X, ord=2)) ** 2
    return float(X.shape[0]) if cfg.attn_scale == "n" else 1.0


def _model(cfg: Config, Xin: torch.Tensor, width: int, seed: int) -> TwoLayerReLU:
    """First layer on the inputs it sees (X for ReLU, X C for MLP-Attn, C fixed)."""
    return TwoLayerReLU(Xin.shape[1], width, init_scale=cfg.init_scale, seed=seed)


def _inputs(arch: str, X: torch.Tensor, T: torch.Tensor, s: float
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """(X', T') = (X, T) or (X C, T C) with C = Xᵀ X / s, as (X Xᵀ) X / s, (T Xᵀ) X / s."""
    if arch == "relu":
        return X, T
    return (X @ X.T) @ X / s, (T @ X.T) @ X / s


def _mse(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((model(X) - y) ** 2).mean()


def _emp_kernel(A: torch.Tensor, B: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """(1/m)(A Bᵀ) ⊙ (S_A S_Bᵀ), S = 1[· Wᵀ ≥ 0] (indicators detached)."""
    with torch.no_grad():
        SA = (A @ W.T >= 0).to(A.dtype)
        SB = (B @ W.T >= 0).to(A.dtype)
    return (A @ B.T) * (SA @ SB.T) / W.shape[0]


def _influence_fn(arch: str, W: torch.Tensor, T: torch.Tensor, s: float, lam: float):
    def influence(X: torch.Tensor) -> torch.Tensor:
        X, Tx = _inputs(arch, X, T, s)
        K = _emp_kernel(X, X, W)
        K = 0.5 * (K + K.T) + lam * torch.eye(K.shape[0], dtype=K.dtype)
        L = torch.linalg.cholesky(K)
        return torch.cholesky_solve(_emp_kernel(X, Tx, W), L).T

    return influence


def _attack(F, X: torch.Tensor, eps: float, steps: int, seed: int
            ) -> tuple[float, torch.Tensor]:
    """Projected gradient ascent of F over the per-row balls ‖δ_j‖ ≤ ε‖x_j‖ (one random start
    on the boundary, ``steps`` row-normalised steps of 2.5/steps radii; the same ascent as
    :func:`experiments.malleability.malleability`); best (value, δ)."""
    radii = eps * torch.linalg.vector_norm(X, dim=1)
    gen = torch.Generator().manual_seed(seed)
    return _pga(F, X, radii, steps, 2.5 / steps, gen, init_samples=1)


def _mall(arch: str, W: torch.Tensor, X: torch.Tensor, T: torch.Tensor, s: float, lam: float):
    influence = _influence_fn(arch, W.detach(), T, s, lam)
    with torch.no_grad():
        I0 = influence(X)
    base = torch.linalg.norm(I0)

    def F(delta: torch.Tensor) -> torch.Tensor:
        return torch.linalg.norm(influence(X + delta) - I0) / base

    return F, I0


def _train(cfg: Config, model: TwoLayerReLU, X: torch.Tensor, y: torch.Tensor,
           on_checkpoint=None) -> dict[str, Any]:
    W = model.W
    n = X.shape[0]
    H0 = relu_ntk_closed_form(model, X)
    lr = cfg.lr_scale * n / float(torch.linalg.eigvalsh(H0)[-1])
    losses = []
    for t in range(cfg.steps + 1):
        if on_checkpoint is not None and t in cfg.checkpoints:
            on_checkpoint(t)
        loss = _mse(model, X, y)
        losses.append(float(loss.detach()))
        if t == cfg.steps:
            break
        (g,) = torch.autograd.grad(loss, W)
        with torch.no_grad():
            W -= lr * g
    return {"lr": lr, "losses": losses, "H0": H0}


def _landscape(cfg: Config, model: TwoLayerReLU, X: torch.Tensor, y: torch.Tensor,
               seed: int, d_extra: int) -> dict[str, Any]:
    """Li et al. (2018) surface.  A Gaussian direction g ∈ R^d per neuron is rescaled to the
    norm of that neuron's full weight vector; ``d_extra`` = d − (reduced dimension) counts
    the coordinates that the reduced problem does not represent (they never move in GD and
    do not touch the loss), so their contributions to both norms are drawn exactly:
    ‖w_extra‖² ~ κ² χ²_{d_extra} (the init) and ‖g_extra‖² ~ χ²_{d_extra}."""
    W = model.W
    Ws = W.detach().clone()
    gen = torch.Generator().manual_seed(seed + 7919)
    m, dt = Ws.shape[0], Ws.dtype

    def chi2() -> torch.Tensor:
        if d_extra == 0:
            return torch.zeros(m, 1, dtype=dt)
        return (torch.randn(m, d_extra, generator=gen, dtype=dt) ** 2).sum(1, keepdim=True)

    w_norm = torch.sqrt((Ws * Ws).sum(1, keepdim=True) + cfg.init_scale**2 * chi2())
    dirs = []
    for _ in range(2):
        g = torch.randn(Ws.shape, generator=gen, dtype=dt)
        g_norm = torch.sqrt((g * g).sum(1, keepdim=True) + chi2())
        dirs.append(g / g_norm * w_norm)  # filter normalisation, in-span part
    coords = torch.linspace(-cfg.grid_radius, cfg.grid_radius, cfg.grid, dtype=dt)
    grid = []
    with torch.no_grad():
        for a in coords:
            row = []
            for b in coords:
                W.copy_(Ws + a * dirs[0] + b * dirs[1])
                row.append(float(_mse(model, X, y)))
            grid.append(row)
        W.copy_(Ws)
    flat = [v for r in grid for v in r]
    c = cfg.grid // 2
    return {"coords": coords.tolist(), "loss": grid, "center": grid[c][c], "min": min(flat),
            "max": max(flat), "mean": sum(flat) / len(flat)}


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    arch = unit.setting
    tr, te = load_split(unit.dataset, classes=BINARY_CLASSES[unit.dataset], n=cfg.n_train,
                        n_test=cfg.n_test, seed=unit.seed,
                        preprocess=Preprocess(center=cfg.center), data_dir=cfg.data_dir)
    (X, T), red = span_coordinates(torch.as_tensor(tr.X), torch.as_tensor(te.X),
                                   pad=cfg.n_train)
    y = torch.as_tensor(tr.pm1_labels(), dtype=X.dtype)
    yt = torch.as_tensor(te.pm1_labels(), dtype=X.dtype)
    s = _scale(cfg, X) if arch == "mlp_attn" else 1.0
    Xin, Tin = _inputs(arch, X, T, s)
    model = _model(cfg, Xin, cfg.width, unit.seed)
    W = model.W
    H0 = relu_ntk_closed_form(model, Xin)
    lam = cfg.ridge * float(torch.trace(H0)) / X.shape[0]
    state: dict[str, Any] = {}
    ckpts: list[dict[str, Any]] = []

    def on_checkpoint(t: int) -> None:
        F, _ = _mall(arch, W, X, T, s, lam)
        if t == 0:
            val, state["delta0"] = _attack(F, X, cfg.eps, cfg.attack_steps, unit.seed)
            fixed = val
        else:
            with torch.no_grad():
                fixed = float(F(state["delta0"]))
            val, _ = _attack(F, X, cfg.eps, cfg.attack_steps, unit.seed)
        Ht = relu_ntk_closed_form(model, Xin)
        with torch.no_grad():
            f = model(Xin)
            ckpts.append({
                "step": t, "train_loss": float(0.5 * ((f - y) ** 2).mean()),
                "train_acc": float((torch.sign(f) == y).double().mean()),
                "test_loss": float(_mse(model, Tin, yt)),
                "ntk_move": float(torch.linalg.norm(Ht - H0) / torch.linalg.norm(H0)),
                "mall_fixed": fixed, "mall_attack": val})

    tr_out = _train(cfg, model, Xin, y, on_checkpoint)
    land = _landscape(cfg, model, Xin, y, unit.seed, red["d"] - red["d_reduced"])
    every = max(1, cfg.steps // 100)
    complexity = []
    for m in cfg.complexity_widths:
        mod = _model(cfg, Xin, m, unit.seed)
        H0m = relu_ntk_closed_form(mod, Xin)
        lam_m = cfg.ridge * float(torch.trace(H0m)) / X.shape[0]
        _train(cfg, mod, Xin, y)
        F, I = _mall(arch, mod.W, X, T, s, lam_m)
        val, _ = _attack(F, X, cfg.eps, cfg.attack_steps, unit.seed)
        Hm = relu_ntk_closed_form(mod, Xin)
        move = float(torch.linalg.norm(Hm - H0m) / torch.linalg.norm(H0m))
        complexity.append({"width": m, "malleability": val,
                           "influence_score": float(I.abs().sum(1).mean()),
                           "ntk_move": move, "final_loss": float(_mse(mod, Xin, y).detach())})
    return {"lr": tr_out["lr"], "ridge_abs": lam, "attn_scale_s": s, "reduction": red,
            "loss_curve": tr_out["losses"][::every], "loss_curve_every": every,
            "checkpoints": ckpts, "landscape": land, "complexity": complexity}


# ----------------------------------------------------------------------------- summary

def summarize(cfg: Config, records: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in records:
        u = rec["unit"]
        groups.setdefault((u["dataset"], u["setting"]), []).append(rec["result"])
    out: dict[str, Any] = {}
    for (ds, arch), res in groups.items():
        ck = []
        for i, t in enumerate(sorted(cfg.checkpoints)):
            ck.append({"step": t, **{k: _stats.mean_ci([r["checkpoints"][i][k] for r in res])
                                     for k in ("train_loss", "train_acc", "test_loss",
                                               "ntk_move", "mall_fixed", "mall_attack")}})
        cx = []
        for i, m in enumerate(cfg.complexity_widths):
            cx.append({"width": m, **{k: _stats.mean_ci([r["complexity"][i][k] for r in res])
                                      for k in ("malleability", "influence_score", "ntk_move",
                                                "final_loss")}})
        lands = [r["landscape"] for r in res]
        out.setdefault(ds, {})[arch] = {
            "checkpoints": ck, "complexity": cx,
            "loss_curve_seed0": res[0]["loss_curve"], "loss_curve_every": res[0][
                "loss_curve_every"],
            "landscape_seed0": lands[0],
            "landscape_stats": {k: _stats.mean_ci([x[k] for x in lands])
                                for k in ("center", "min", "max", "mean")},
            "lr": _stats.mean_ci([r["lr"] for r in res]),
        }
    dis: list[str] = []
    finals: dict[str, Any] = {}
    for ds, archs in out.items():
        r, a = archs.get("relu"), archs.get("mlp_attn")
        if r and a:
            mr, ma = r["checkpoints"][-1]["mall_attack"], a["checkpoints"][-1]["mall_attack"]
            if mr["mean"] and ma["mean"] is not None:
                ratio = ma["mean"] / mr["mean"]
                if not 2.0 <= ratio <= 9.0:
                    dis.append(f"{ds}: after training, the empirical-NTK malleability ratio "
                               f"MLP-Attn/ReLU is {ratio:.3g} (means over seeds), outside the "
                               f"paper's 2–9×.")
            move_a = a["checkpoints"][-1]["ntk_move"]["mean"]
            move_r = r["checkpoints"][-1]["ntk_move"]["mean"]
            if move_a is not None and move_r is not None and move_a < move_r:
                dis.append(
                    f"{ds}: the lazy-regime diagnostic ‖H_T − H_0‖_F/‖H_0‖_F after "
                    f"{cfg.steps} GD steps at width {cfg.width} is {move_a:.3g} for MLP-Attn "
                    f"and {move_r:.3g} for ReLU (means over seeds): MLP-Attn's empirical NTK "
                    f"moves less, not more (caveat: with the same step rule MLP-Attn has "
                    f"fitted less, final loss {a['checkpoints'][-1]['train_loss']['mean']:.3g} "
                    f"vs {r['checkpoints'][-1]['train_loss']['mean']:.3g}).")
            finals[ds] = {"ntk_move_relu": move_r, "ntk_move_attn": move_a,
                          "mall_relu": mr["mean"], "mall_attn": ma["mean"]}
    return {"datasets": out, "finals": finals, "width": cfg.width, "steps": cfg.steps,
            "checkpoints": sorted(cfg.checkpoints), "eps": cfg.eps, "ridge": cfg.ridge,
            "attn_scale": cfg.attn_scale, "lr_scale": cfg.lr_scale,
            "complexity_widths": list(cfg.complexity_widths),
            "classes": "binary (data.BINARY_CLASSES)", "grid": cfg.grid,
            "grid_radius": cfg.grid_radius,
            "ci_method": "Student-t 95% over seeds (seed = data subsample, W and attack start)",
            "disagreements": dis}


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:
    from experiments import _plots

    out = []
    for ds, archs in summary["datasets"].items():
        fig, axs = _plots.figure(2, 2)
        for j, (arch, a) in enumerate(archs.items()):
            col = f"C{j}"
            every = a["loss_curve_every"]
            steps = [i * every for i in range(len(a["loss_curve_seed0"]))]
            _plots.series(axs[0], [s + 1 for s in steps], a["loss_curve_seed0"],
                          label=f"{arch} (seed {0})", color=col)
            st = [c["step"] + 1 for c in a["checkpoints"]]
            _plots.series(axs[1], st, [c["ntk_move"]["mean"] for c in a["checkpoints"]],
                          label=f"{arch} ‖H_t−H_0‖_F/‖H_0‖_F", color=col, marker="o")
            _plots.series(axs[2], st, [c["mall_attack"]["mean"] for c in a["checkpoints"]],
                          label=f"{arch} re-attacked", color=col, marker="o")
            _plots.series(axs[2], st, [c["mall_fixed"]["mean"] for c in a["checkpoints"]],
                          label=f"{arch} fixed δ from init", color=col, marker="s", ls="--")
            ws = [c["width"] for c in a["complexity"]]
            _plots.series(axs[3], ws, [c["malleability"]["mean"] for c in a["complexity"]],
                          label=f"{arch} malleability", color=col, marker="o")
            _plots.series(axs[3], ws, [c["influence_score"]["mean"] for c in a["complexity"]],
                          label=f"{arch} influence score", color=col, marker="s", ls="--")
        _plots.axes(axs[0], xlabel="GD step + 1 [1]", ylabel="training loss (1/2n)Σ(f−y)² [1]",
                    title=f"{ds}: training loss", xlog=True, ylog=True)
        _plots.axes(axs[1], xlabel="GD step + 1 [1]", ylabel="relative NTK movement [1]",
                    title="lazy-regime diagnostic", xlog=True, ylog=True)
        _plots.axes(axs[2], xlabel="GD step + 1 [1]", ylabel="malleability ‖ΔI‖_F/‖I‖_F [1]",
                    title=f"malleability (ε = {summary['eps']})", xlog=True, ylog=True)
        _plots.axes(axs[3], xlabel="width m [neurons]", ylabel="after training [1]",
                    title="influence vs model complexity (Fig. 4)", xlog=True, ylog=True)
        out.append(_plots.save(fig, fig_dir, f"{NAME}_{ds}"))
        fig = __import__("matplotlib.pyplot").pyplot.figure(figsize=(10, 4.5))
        for j, (arch, a) in enumerate(archs.items()):
            ax = fig.add_subplot(1, len(archs), j + 1, projection="3d")
            L = a["landscape_seed0"]
            cs = torch.tensor(L["coords"])
            A, B = torch.meshgrid(cs, cs, indexing="ij")
            Z = torch.tensor(L["loss"]).clamp_min(1e-300).log10()
            ax.plot_surface(A.numpy(), B.numpy(), Z.numpy(), cmap="viridis")
            ax.set_xlabel("α (direction 1) [1]")
            ax.set_ylabel("β (direction 2) [1]")
            ax.set_zlabel("log10 training loss [1]")
            ax.set_title(f"{ds} {arch}: loss landscape (Li et al. 2018)", fontsize=9)
        out.append(_plots.save(fig, fig_dir, f"{NAME}_{ds}_landscape"))
    return out


def section(summary: dict[str, Any], figs: list[str]) -> str:
    from experiments.report import bullets, table

    parts = [
        f"Full-batch GD on (1/2n)Σ(f−y)², ±1 labels, {summary['classes']}; width "
        f"{summary['width']}, {summary['steps']} steps, η = {summary['lr_scale']} · n/λ_max(H_0); "
        f"MLP-Attn's C normalised by '{summary['attn_scale']}' (the paper does not say). "
        f"Malleability: empirical-NTK kernel ridge influence, relative ridge {summary['ridge']}, "
        f"ε = {summary['eps']} per row; 'fixed δ' is the attack found at initialisation, "
        f"'re-attacked' is optimised again at the checkpoint. Intervals: "
        f"{summary['ci_method']}.\n"]
    for ds, archs in summary["datasets"].items():
        parts.append(f"\n**{ds}**\n\n")
        rows = []
        for arch, a in archs.items():
            for c in a["checkpoints"]:
                rows.append([arch, c["step"], c["train_loss"]["mean"], c["train_acc"]["mean"],
                             c["test_loss"]["mean"], c["ntk_move"]["mean"],
                             c["ntk_move"]["hi"], c["mall_fixed"]["mean"],
                             c["mall_attack"]["mean"], c["mall_attack"]["lo"],
                             c["mall_attack"]["hi"]])
        parts.append(table(["arch", "step", "train loss", "train acc", "test loss",
                            "NTK move", "NTK move CI hi", "mall. fixed δ", "mall. re-attacked",
                            "CI lo", "CI hi"], rows))
        parts.append("\n")
        rows = []
        for arch, a in archs.items():
            for c in a["complexity"]:
                rows.append([arch, c["width"], c["malleability"]["mean"],
                             c["malleability"]["lo"], c["malleability"]["hi"],
                             c["influence_score"]["mean"], c["ntk_move"]["mean"],
                             c["final_loss"]["mean"]])
        parts.append(table(["arch", "width m", "malleability", "CI lo", "CI hi",
                            "influence score", "NTK move", "final loss"], rows))
        parts.append("\n")
        rows = []
        for arch, a in archs.items():
            ls = a["landscape_stats"]
            rows.append([arch, ls["center"]["mean"], ls["min"]["mean"], ls["mean"]["mean"],
                         ls["max"]["mean"]])
        parts.append(table(["arch", "loss at W*", "grid min", "grid mean", "grid max"], rows))
    parts += [f"\n![{f}]({f})\n" for f in figs]
    parts.append(bullets("Disagreements with the paper", summary["disagreements"]))
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    return experiment_main(sys.modules[__name__], argv)


if __name__ == "__main__":
    raise SystemExit(main())
