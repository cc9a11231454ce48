"""Experiment 7 -- learning dynamics (the paper's Table 6, Figures 4 and 5).

Both networks (:class:`linattn.ntk.TwoLayerReLU`, :class:`linattn.ntk.MLPAttn`; w_r ~
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
  MLP-Attn (as in :mod:`linattn.malleability`).  The indicator pattern is held in the
  gradient (it is piecewise constant in X) but re-evaluated in every value.

Exact speed-up: the data are replaced by coordinates in an orthonormal basis of the row space
of [X; T] plus n zero columns (room for the attack's out-of-span components), see
:mod:`linattn.reduce`; W is drawn in that space (MLP-Attn = the same two-layer network on
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

from experiments import plots, stats
from experiments.config import Common, opt, verdict
from experiments.runner import Unit
from experiments.tables import fmt, table
from linattn.data import Preprocess, available_rows, load_split
from linattn.dynamics import (
    ATTN_SCALES,
    arch_inputs,
    attack,
    attn_scale,
    loss_landscape,
    malleability_objective,
    mse_loss,
    train_gd,
)
from linattn.ntk import TwoLayerReLU, relu_ntk_closed_form
from linattn.reduce import span_coordinates
from pyverify.errors import ConfigError

NAME = "learning_dynamics"
TITLE = "Learning dynamics: loss, NTK movement and malleability during training"
CLAIM = "learning-dynamics"
ARCHS = ("relu", "mlp_attn")
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {"n_train": 16, "n_test": 8, "width": 64, "steps": 20, "checkpoints": (0, 5, 20),
              "complexity_widths": (16, 64), "grid": 5, "attack_steps": 2},
    "full": {"n_train": 256, "n_test": 128, "width": 1024, "steps": 2000,
             "checkpoints": (0, 10, 30, 100, 300, 1000, 2000),
             "complexity_widths": (64, 128, 256, 512, 1024, 2048, 4096), "grid": 31,
             "attack_steps": 20},
}


@dataclasses.dataclass(frozen=True)
class Config(Common):
    n_train: int = opt(64, 'training rows of the binary task (clamped to what the dataset holds)')
    n_test: int = opt(32, 'test rows (clamped to what the dataset holds)')
    width: int = opt(256, 'hidden width m of the trained networks')
    steps: int = opt(300, 'full-batch gradient-descent steps')
    checkpoints: tuple[int, ...] = opt(
        (0, 10, 30, 100, 300),
        'steps at which loss, NTK movement and malleability are recorded (must include 0)')
    complexity_widths: tuple[int, ...] = opt(
        (32, 64, 128, 256, 512), 'widths of the influence-vs-model-complexity sweep (Fig. 4)')
    grid: int = opt(15, 'points per axis of the loss landscape (Fig. 5)')
    grid_radius: float = opt(
        1.0, 'half-width of the landscape grid, in units of the filter-normalised directions')
    attack_steps: int = opt(5, 'projected-gradient-ascent steps of each malleability attack')
    eps: float = opt(0.05, 'per-row relative l2 budget ||delta_j|| <= eps ||x_j||')
    ridge: float = opt(1e-2, 'relative ridge lambda = ridge tr(H_0)/n')
    lr_scale: float = opt(1.0, 'step size eta = lr_scale n / lambda_max(H_0)')
    init_scale: float = opt(0.01, 'standard deviation kappa of the initial weights')
    attn_scale: str = opt("spectral", "normalisation of MLP-Attn's C: spectral, n or none")
    center: bool = opt(False, 'centre the data by the training mean')

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



def plan(cfg: Config) -> list[Unit]:
    return [Unit(NAME, ds, arch, seed, cfg.n_train, (("n_test", cfg.n_test),))
            for ds in cfg.datasets for arch in ARCHS for seed in cfg.seeds]


def _model(cfg: Config, d: int, width: int, seed: int) -> TwoLayerReLU:
    """First layer on the inputs it sees (X for ReLU, X C for MLP-Attn, C fixed)."""
    return TwoLayerReLU(d, width, init_scale=cfg.init_scale, seed=seed)


def sizes_for(cfg: Config, dataset: str) -> tuple[int, int, str]:
    """(n_train, n_test, note): the preset's sizes clamped to the rows of the binary task
    that the dataset holds (digits' test split has 76 rows of classes 0 and 1)."""
    avail = [available_rows(dataset, split=s, classes="binary", data_dir=cfg.data_dir)
             for s in ("train", "test")]
    n_tr, n_te = min(cfg.n_train, avail[0]), min(cfg.n_test, avail[1])
    note = "" if (n_tr, n_te) == (cfg.n_train, cfg.n_test) else (
        f"{dataset}: sizes clamped to the rows of the binary task it holds: n_train "
        f"{cfg.n_train} -> {n_tr}, n_test {cfg.n_test} -> {n_te}")
    return n_tr, n_te, note


def run_unit(cfg: Config, unit: Unit) -> dict[str, Any]:
    arch = unit.setting
    n_tr, n_te, note = sizes_for(cfg, unit.dataset)
    tr, te = load_split(unit.dataset, classes="binary", n=n_tr, n_test=n_te, seed=unit.seed,
                        preprocess=Preprocess(center=cfg.center), data_dir=cfg.data_dir)
    (X, T), red = span_coordinates(torch.as_tensor(tr.X), torch.as_tensor(te.X), pad=n_tr)
    y = torch.as_tensor(tr.pm1_labels(), dtype=X.dtype)
    yt = torch.as_tensor(te.pm1_labels(), dtype=X.dtype)
    s = attn_scale(X, cfg.attn_scale) if arch == "mlp_attn" else 1.0
    Xin, Tin = arch_inputs(arch, X, T, s)
    model = _model(cfg, Xin.shape[1], cfg.width, unit.seed)
    W = model.W
    H0 = relu_ntk_closed_form(model, Xin)
    lam = cfg.ridge * float(torch.trace(H0)) / X.shape[0]
    state: dict[str, Any] = {}
    ckpts: list[dict[str, Any]] = []

    conds: list[float] = []

    def on_checkpoint(t: int) -> None:
        F, _, cond = malleability_objective(arch, W, X, T, s, lam)
        conds.append(cond)
        if t == 0:
            val, state["delta0"] = attack(F, X, cfg.eps, cfg.attack_steps, unit.seed)
            fixed = val
        else:
            with torch.no_grad():
                fixed = float(F(state["delta0"]))
            val, _ = attack(F, X, cfg.eps, cfg.attack_steps, unit.seed)
        Ht = relu_ntk_closed_form(model, Xin)
        with torch.no_grad():
            f = model(Xin)
            ckpts.append({
                "step": t, "train_loss": float(0.5 * ((f - y) ** 2).mean()),
                "train_acc": float((torch.sign(f) == y).double().mean()),
                "test_loss": float(mse_loss(model, Tin, yt)),
                "ntk_move": float(torch.linalg.norm(Ht - H0) / torch.linalg.norm(H0)),
                "mall_fixed": fixed, "mall_attack": val})

    tr_out = train_gd(model, Xin, y, steps=cfg.steps, lr_scale=cfg.lr_scale,
                      checkpoints=cfg.checkpoints, on_checkpoint=on_checkpoint)
    land = loss_landscape(model, Xin, y, grid=cfg.grid, radius=cfg.grid_radius, seed=unit.seed,
                          d_extra=red["d"] - red["d_reduced"], init_scale=cfg.init_scale)
    every = max(1, cfg.steps // 100)
    complexity = []
    for m in cfg.complexity_widths:
        mod = _model(cfg, Xin.shape[1], m, unit.seed)
        H0m = relu_ntk_closed_form(mod, Xin)
        lam_m = cfg.ridge * float(torch.trace(H0m)) / X.shape[0]
        train_gd(mod, Xin, y, steps=cfg.steps, lr_scale=cfg.lr_scale)
        F, I, cond = malleability_objective(arch, mod.W, X, T, s, lam_m)
        conds.append(cond)
        val, _ = attack(F, X, cfg.eps, cfg.attack_steps, unit.seed)
        Hm = relu_ntk_closed_form(mod, Xin)
        move = float(torch.linalg.norm(Hm - H0m) / torch.linalg.norm(H0m))
        complexity.append({"width": m, "malleability": val,
                           "influence_score": float(I.abs().sum(1).mean()),
                           "ntk_move": move, "final_loss": float(mse_loss(mod, Xin, y).detach())})
    return {"lr": tr_out.lr, "ridge_abs": lam, "attn_scale_s": s, "reduction": red,
            "n_train": n_tr, "n_test": n_te, "size_note": note,
            "loss_curve": tr_out.losses[::every], "loss_curve_every": every,
            "checkpoints": ckpts, "landscape": dataclasses.asdict(land),
            "cond_max": max(conds),
            "complexity": complexity}


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
            ck.append({"step": t, **{k: stats.mean_ci([r["checkpoints"][i][k] for r in res])
                                     for k in ("train_loss", "train_acc", "test_loss",
                                               "ntk_move", "mall_fixed", "mall_attack")}})
        cx = []
        for i, m in enumerate(cfg.complexity_widths):
            cx.append({"width": m, **{k: stats.mean_ci([r["complexity"][i][k] for r in res])
                                      for k in ("malleability", "influence_score", "ntk_move",
                                                "final_loss")}})
        lands = [r["landscape"] for r in res]
        out.setdefault(ds, {})[arch] = {
            "checkpoints": ck, "complexity": cx,
            "loss_curve_seed0": res[0]["loss_curve"], "loss_curve_every": res[0][
                "loss_curve_every"],
            "landscape_seed0": lands[0],
            "landscape_stats": {k: stats.mean_ci([x[k] for x in lands])
                                for k in ("center", "min", "max", "mean")},
            "lr": stats.mean_ci([r["lr"] for r in res]),
            "cond_max": max(r["cond_max"] for r in res),
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
            "findings": sorted({r["result"]["size_note"] for r in records
                                if r["result"].get("size_note")}),
            "disagreements": dis, "verdict": _verdict(finals)}


def _verdict(finals: dict[str, Any]) -> dict[str, str]:
    """One sentence on the learning-dynamics claim: the malleability ratio after training."""
    ratios = {ds: f["mall_attn"] / f["mall_relu"] for ds, f in finals.items()
              if f["mall_relu"] and f["mall_attn"] is not None}
    if not ratios:
        return verdict("no comparison", "No trained malleability ratio was measured.")
    inside = [ds for ds, r in ratios.items() if 2.0 <= r <= 9.0]
    status = ("reproduced" if len(inside) == len(ratios) else
              "partly reproduced" if inside else "not reproduced")
    return verdict(status, "After training, the empirical-NTK malleability ratio MLP-Attn/ReLU "
                   "is " + ", ".join(f"{fmt(r)} ({ds})" for ds, r in ratios.items())
                   + " against the paper's 2–9×.")


def figures(summary: dict[str, Any], fig_dir: Path) -> list[str]:

    out = []
    for ds, archs in summary["datasets"].items():
        fig, axs = plots.figure(2, 2)
        for j, (arch, a) in enumerate(archs.items()):
            col = f"C{j}"
            every = a["loss_curve_every"]
            steps = [i * every for i in range(len(a["loss_curve_seed0"]))]
            plots.series(axs[0], [s + 1 for s in steps], a["loss_curve_seed0"],
                          label=f"{arch} (seed {0})", color=col)
            st = [c["step"] + 1 for c in a["checkpoints"]]
            plots.series(axs[1], st, [c["ntk_move"]["mean"] for c in a["checkpoints"]],
                          label=f"{arch} ‖H_t−H_0‖_F/‖H_0‖_F", color=col, marker="o")
            plots.series(axs[2], st, [c["mall_attack"]["mean"] for c in a["checkpoints"]],
                          label=f"{arch} re-attacked", color=col, marker="o")
            plots.series(axs[2], st, [c["mall_fixed"]["mean"] for c in a["checkpoints"]],
                          label=f"{arch} fixed δ from init", color=col, marker="s", ls="--")
            ws = [c["width"] for c in a["complexity"]]
            plots.series(axs[3], ws, [c["malleability"]["mean"] for c in a["complexity"]],
                          label=f"{arch} malleability", color=col, marker="o")
            plots.series(axs[3], ws, [c["influence_score"]["mean"] for c in a["complexity"]],
                          label=f"{arch} influence score", color=col, marker="s", ls="--")
        plots.axes(axs[0], xlabel="GD step + 1 [1]", ylabel="training loss (1/2n)Σ(f−y)² [1]",
                    title=f"{ds}: training loss", xlog=True, ylog=True)
        plots.axes(axs[1], xlabel="GD step + 1 [1]", ylabel="relative NTK movement [1]",
                    title="lazy-regime diagnostic", xlog=True, ylog=True)
        plots.axes(axs[2], xlabel="GD step + 1 [1]", ylabel="malleability ‖ΔI‖_F/‖I‖_F [1]",
                    title=f"malleability (ε = {summary['eps']})", xlog=True, ylog=True)
        plots.axes(axs[3], xlabel="width m [neurons]", ylabel="after training [1]",
                    title="influence vs model complexity (Fig. 4)", xlog=True, ylog=True)
        out.append(plots.save(fig, fig_dir, f"{NAME}_{ds}"))
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
        out.append(plots.save(fig, fig_dir, f"{NAME}_{ds}_landscape"))
    return out


def section(summary: dict[str, Any]) -> str:

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
    return "".join(parts)


if __name__ == "__main__":
    from experiments import driver

    raise SystemExit(driver.main(sys.modules[__name__]))
