"""Per-epoch evaluation: predictions over a whole split at a fixed missingness setting.

The split is masked exactly as every other consumer masks it (:mod:`core.missingness`, fixed
mask seed), fed in unshuffled batches of 64, and — under DDP — sharded by whole batches across
ranks and gathered, so the metrics always cover the WHOLE split and equal the single-process
ones. The complete inputs are passed too (they never change a prediction) so that the model
reports its weighted training objective, the validation loss.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

from core.data.dataset import MODALITIES, SpecialIds
from core.metrics import compute_metrics, r2_and_slope
from core.missingness.settings import MaskDraw
from core.models.base import MSAModel
from core.runtime.device import DeviceChoice
from core.runtime.inference import to_numpy
from core.training.batches import SplitTensors, eval_batches, make_batch
from core.training.distributed import DistContext, gather_arrays

SCATTER_POINTS = 300


@dataclass
class Predictions:
    prediction: np.ndarray  # [N]
    label: np.ndarray  # [N]
    integrity_true: np.ndarray  # [N,3] nominal 1 - r
    integrity_est: np.ndarray  # [N,3], NaN where the model does not estimate
    loss: float  # the model's weighted objective, mean over batches weighted by size (NaN if none)

    def metrics(self, dataset: str) -> dict[str, float]:
        with warnings.catch_warnings():  # constant predictions early in training: Corr is NaN, fine
            warnings.simplefilter("ignore", RuntimeWarning)
            return compute_metrics(self.prediction, self.label, dataset)


@torch.no_grad()
def predict_split(
    model: MSAModel,
    tensors: SplitTensors,
    draw: MaskDraw,
    special_ids: SpecialIds,
    device: DeviceChoice,
    batch_size: int,
    ctx: DistContext,
    stage: int | None,
    with_loss: bool = True,
) -> Predictions:
    """Run ``model`` (unwrapped, eval mode) over the split; every rank gets the whole result."""
    was_training = model.training
    model.eval()
    rows_out, pred_out, est_out, true_out, batch_losses = [], [], [], [], []
    for rows in eval_batches(len(tensors), batch_size, ctx):
        batch = make_batch(tensors, rows, draw, special_ids, device.device, with_complete=with_loss)
        with device.autocast():
            output = model(batch, stage=stage)
        rows_out.append(rows.numpy())
        predicted = to_numpy(output, len(rows))  # the conversion the probe and eval use
        pred_out.append(predicted.prediction)
        # float32 as the model gave it (to_numpy widens to float64 for the probe; exact both ways):
        # the integrity R² reported per epoch is computed on float32, as it always was
        est_out.append(predicted.integrity_est.astype(np.float32) if output.integrity is not None else predicted.integrity_est)
        assert batch.integrity is not None  # make_batch gives the masking's ground truth
        true_out.append(batch.integrity.float().cpu().numpy())
        loss = float(output.loss.float()) if (with_loss and output.loss is not None) else float("nan")
        batch_losses.append([len(rows), loss])
    model.train(was_training)

    local = {
        "rows": np.concatenate(rows_out) if rows_out else np.zeros(0),
        "prediction": np.concatenate(pred_out) if pred_out else np.zeros(0),
        "est": np.concatenate(est_out) if est_out else np.zeros((0, 3)),
        "true": np.concatenate(true_out) if true_out else np.zeros((0, 3)),
        "batch_losses": np.asarray(batch_losses, dtype=np.float64).reshape(-1, 2),
    }
    parts = gather_arrays(local, ctx, device.device)
    all_rows = np.concatenate([p["rows"] for p in parts]).astype(np.int64)
    order = np.argsort(all_rows, kind="stable")
    losses = np.concatenate([p["batch_losses"] for p in parts])
    loss = float(np.sum(losses[:, 0] * losses[:, 1]) / np.sum(losses[:, 0])) if len(losses) else float("nan")
    return Predictions(
        prediction=np.concatenate([p["prediction"] for p in parts])[order],
        label=tensors.labels.numpy().astype(np.float64)[all_rows[order]],
        integrity_true=np.concatenate([p["true"] for p in parts])[order],
        integrity_est=np.concatenate([p["est"] for p in parts])[order],
        loss=loss,
    )


def integrity_report(predictions: Predictions, estimates: tuple[bool, bool, bool]) -> tuple[dict, dict]:
    """Estimated vs true integrity per estimated modality: a scatter sample and R² on all points.

    R² is left out where it is undefined: at a fixed rate (LNLN's and DAR's r = 0.5 validation)
    every sample has the same true integrity.

    The scatter keeps at most :data:`SCATTER_POINTS` points, evenly spaced over the split (the
    same samples every epoch, so the plot moves only because the estimates do).
    """
    scatter: dict[str, dict[str, list[float]]] = {}
    r2: dict[str, float] = {}
    n = len(predictions.prediction)
    pick = np.unique(np.linspace(0, n - 1, num=min(n, SCATTER_POINTS)).astype(np.int64)) if n else np.zeros(0, np.int64)
    for m, name in enumerate(MODALITIES):
        if not estimates[m]:
            continue
        est, true = predictions.integrity_est[:, m], predictions.integrity_true[:, m]
        scatter[name] = {
            "true": [round(float(v), 4) for v in true[pick]],
            "est": [round(float(v), 4) for v in est[pick]],
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            value = r2_and_slope(est, true).r2
        if np.isfinite(value):  # undefined when every sample has the same true integrity (r = 0.5)
            r2[name] = value
    return scatter, r2
