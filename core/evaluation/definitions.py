"""The evaluation protocols' names, defaults and the definitions every export records."""

from __future__ import annotations

from core.missingness.settings import DEFAULT_EVAL_SEED

PROTOCOLS = ("rates", "droprates", "modes", "lnln-paper")
SWEEPS = {"rates": "rates", "droprates": "droprates", "modes": "modes", "lnln-paper": "rates"}  # protocol -> missingness sweep
CURVE_PROTOCOLS = ("rates", "droprates", "lnln-paper")  # a metric against a swept fraction
LNLN_PAPER_SEED = DEFAULT_EVAL_SEED  # LNLN's robust_evaluation.py: the data loader's seed, fixed (1111)
DEFAULT_SEEDS = (DEFAULT_EVAL_SEED, DEFAULT_EVAL_SEED + 1, DEFAULT_EVAL_SEED + 2)  # 1111, 1112, 1113
# LNLN's robust_evaluation.py: which best_<key> checkpoint each reported metric is read from.
PAPER_SOURCES = {
    "mosi": {
        "Has0_acc_2": "Has0_acc_2",
        "Has0_F1_score": "Has0_acc_2",
        "Non0_acc_2": "Non0_acc_2",
        "Non0_F1_score": "Non0_acc_2",
        "Mult_acc_5": "Mult_acc_5",
        "Mult_acc_7": "Mult_acc_7",
        "MAE": "MAE",
        "Corr": "MAE",
    },
    "sims": {
        "Mult_acc_2": "Mult_acc_2",
        "F1_score": "Mult_acc_2",
        "Mult_acc_3": "Mult_acc_3",
        "Mult_acc_5": "Mult_acc_5",
        "MAE": "MAE",
        "Corr": "MAE",
    },
}
AUC_KEYS = {
    "mosi": ("MAE", "Mult_acc_7", "Non0_acc_2", "Has0_acc_2"),
    "sims": ("MAE", "Mult_acc_5", "Mult_acc_2"),
}
DEFINITIONS = {
    "seeds": "mask seeds: which positions are erased (and, for droprates/modes, the per-sample rates); the checkpoint is fixed",
    "train_seed": "the training seed of a checkpoint (train --seed/--seeds); checkpoints differing only in it form one model group",
    "std": "sample standard deviation over seeds (ddof=1; 0 with one seed): over mask seeds for a checkpoint, over "
    "training seeds for a model group",
    "mask_std": "model groups only: the mean over training seeds of each checkpoint's std over mask seeds",
    "group": "per training seed, the checkpoint's mean over mask seeds; then mean and std over training seeds",
    "lnln-paper": "LNLN's robust evaluation: rates 0.0..0.9, mask seed 1111, mean over training seeds; for --selection "
    "paper runs each metric from its best_<key> checkpoint (F1 with its Acc-2, Corr with MAE)",
    "overall": "per seed, the mean of a metric over the protocol's settings; then mean and std over seeds (rates: LNLN's overall)",
    "auc": "rates only: per seed, trapezoid of the metric over r in [0, 0.9] divided by 0.9 (the curve's average height, "
    "metric units); then mean and std over seeds",
    "evaluation": "whole split, batches of 64 in fixed order, the checkpoint's own dominant selection, identical masks for every checkpoint",
    "precision": "fp32: float32 throughout; bf16: forward passes under torch.autocast(bfloat16), predictions converted to "
    "float32 before the metrics",
}
