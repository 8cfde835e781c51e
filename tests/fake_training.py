"""A fast, deterministic stand-in for ``core.training.session`` used by the UI tests.

It emits the events a real run emits (RunStarted, Step, StageChange, EpochEnd with metrics and an
integrity scatter, CheckpointSaved, EarlyStop, Finished or Failed) with tiny sleeps, honours
``request_stop`` at every step like the trainer, and can pause at a chosen step so that a test
(or a snapshot) sees the run mid-way. Every figure is a function of the epoch and step, never of
a clock, so screens are identical from run to run.

Run it as ``python -m tests.fake_training [--model lnln] [--fail]`` to try the app by hand.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core.training.events import (
    CheckpointSaved,
    EarlyStop,
    EpochEnd,
    Event,
    Failed,
    Finished,
    RunStarted,
    StageChange,
    Step,
    event_to_json,
)

MOSI_KEYS = (
    "Has0_acc_2",
    "Has0_F1_score",
    "Non0_acc_2",
    "Non0_F1_score",
    "Mult_acc_5",
    "Mult_acc_7",
    "Mult_acc_3",
    "MAE",
    "Corr",
)
LOSS_TERMS = {
    "senti-ifusion": {1: ("integrity",), 2: ("pred", "integrity", "sim", "diff", "recon", "mi")},
    "lnln": {1: ("pred", "adv", "recon", "ahl")},
    "dar": {1: ("pred", "nce", "club", "recon")},
}


@dataclass
class FakeRun:
    run_dir: str = "checkpoints/fake-run"
    model: str = "senti-ifusion"
    epochs: int = 4
    steps: int = 5
    batch_size: int = 32
    stage1_epochs: int = 1  # Senti-iFusion: epochs of integrity estimation before fusion
    selection: str = "valid"
    synthetic: bool = True
    patience: int = 3
    early_stop_at: int | None = None  # epoch at which early stopping fires
    fail_at: tuple[int, int] | None = None  # (epoch, step) at which the run fails
    fail_by_raising: bool = False  # raise out of run() instead of emitting Failed

    @property
    def two_stages(self) -> bool:
        return self.model == "senti-ifusion"

    def stage_of(self, epoch: int) -> int:
        return 1 if (not self.two_stages or epoch <= self.stage1_epochs) else 2

    def run_started(self) -> RunStarted:
        stages = (
            [
                {"stage": 1, "first_epoch": 1, "last_epoch": self.stage1_epochs, "description": "integrity estimation"},
                {
                    "stage": 2,
                    "first_epoch": self.stage1_epochs + 1,
                    "last_epoch": self.epochs,
                    "description": "completion and fusion",
                },
            ]
            if self.two_stages
            else [{"stage": 1, "first_epoch": 1, "last_epoch": self.epochs, "description": "all losses"}]
        )
        return RunStarted(
            run_dir=self.run_dir,
            model=self.model,
            dataset="synthetic" if self.synthetic else "mosi",
            synthetic=self.synthetic,
            device="cpu",
            epochs=self.epochs,
            steps_per_epoch=self.steps,
            train_size=self.steps * self.batch_size,
            batch_size=self.batch_size,
            stages=stages,
            selection=self.selection,
            config={"patience": self.patience},
            start_epoch=1,
            time=0.0,
        )

    def step(self, epoch: int, step: int) -> Step:
        global_step = (epoch - 1) * self.steps + step
        decay = 1.0 / (1.0 + 0.15 * global_step)
        terms = LOSS_TERMS[self.model][self.stage_of(epoch) if self.two_stages else 1]
        losses = {
            term: round((0.2 + 0.3 * i) * (0.4 + decay) + 0.02 * math.sin(global_step + i), 6) for i, term in enumerate(terms)
        }
        losses["total"] = round(sum(losses.values()), 6)
        total_steps = self.epochs * self.steps
        return Step(
            epoch=epoch,
            step=step,
            steps_per_epoch=self.steps,
            global_step=global_step,
            losses=losses,
            lr=round(1e-3 * min(1.0, global_step / 4) * (0.5 + 0.5 * math.cos(math.pi * global_step / total_steps)), 8),
            samples_per_s=640.0,
            elapsed_s=0.5 * global_step,
            eta_s=0.5 * (total_steps - global_step),
        )

    def metrics(self, epoch: int) -> dict[str, float]:
        quality = 1.0 - 0.5 / epoch
        values = {
            "MAE": 1.4 - 0.6 * quality,
            "Corr": 0.2 + 0.6 * quality,
            "Mult_acc_7": 0.2 + 0.25 * quality,
            "Mult_acc_5": 0.25 + 0.3 * quality,
            "Mult_acc_3": 0.4 + 0.3 * quality,
            "Has0_acc_2": 0.55 + 0.3 * quality,
            "Has0_F1_score": 0.54 + 0.3 * quality,
            "Non0_acc_2": 0.56 + 0.3 * quality,
            "Non0_F1_score": 0.55 + 0.3 * quality,
        }
        return {key: round(values[key], 4) for key in MOSI_KEYS}

    def scatter(self, epoch: int) -> tuple[dict, dict]:
        if self.model == "dar":
            return {}, {}
        modalities = ("text", "audio", "vision") if self.model == "senti-ifusion" else ("text",)
        rng = random.Random(epoch)
        noise = 0.3 / epoch
        scatter, r2 = {}, {}
        for modality in modalities:
            true = [round(rng.random(), 3) for _ in range(40)]
            est = [round(min(1.0, max(0.0, t + rng.uniform(-noise, noise))), 3) for t in true]
            scatter[modality] = {"true": true, "est": est}
            r2[modality] = round(1.0 - 4.0 * noise * noise / 3.0, 3)
        return scatter, r2

    def events(self, stop: threading.Event | None = None, pause: Pause | None = None, sleep_s: float = 0.0):
        """Yield the run's events; a set ``stop`` ends it at the next step like the trainer."""
        yield self.run_started()
        best_epoch, best_mae, patience_left = 0, math.inf, self.patience
        for epoch in range(1, self.epochs + 1):
            if self.two_stages and epoch == self.stage1_epochs + 1:
                yield StageChange(epoch=epoch, stage=2, description="completion and fusion")
            for step in range(1, self.steps + 1):
                if pause is not None:
                    pause.maybe_wait(epoch, step)
                if stop is not None and stop.is_set():
                    yield CheckpointSaved(epoch=epoch - 1, path=f"{self.run_dir}/last.pt", kind="last")
                    yield Finished(
                        epoch=epoch - 1,
                        best_epoch=best_epoch,
                        best_metrics=self.metrics(best_epoch) if best_epoch else {},
                        run_dir=self.run_dir,
                        stopped_by_user=True,
                        elapsed_s=0.5 * ((epoch - 1) * self.steps + step),
                    )
                    return
                if self.fail_at == (epoch, step):
                    if self.fail_by_raising:
                        raise RuntimeError("CUDA error: an illegal memory access was encountered")
                    yield Failed(
                        error=f"loss is NaN at epoch {epoch} step {step}; lower --lr",
                        traceback='Traceback (most recent call last):\n  File "core/training/loop.py", line 88, in step\nFloatingPointError: loss is NaN',
                    )
                    return
                if sleep_s:
                    time.sleep(sleep_s)
                yield self.step(epoch, step)
            metrics = self.metrics(epoch)
            is_best = metrics["MAE"] < best_mae
            if is_best:
                best_epoch, best_mae, patience_left = epoch, metrics["MAE"], self.patience
            else:
                patience_left -= 1
            scatter, r2 = self.scatter(epoch)
            last = self.step(epoch, self.steps)
            valid_test = {"valid": metrics}
            if self.selection == "paper":
                valid_test["test"] = {k: round(v * 0.98, 4) for k, v in metrics.items()}
            yield EpochEnd(
                epoch=epoch,
                stage=self.stage_of(epoch),
                train_losses=dict(last.losses),
                metrics=valid_test,
                val_loss=round(metrics["MAE"], 4),
                lr=last.lr,
                is_best=is_best,
                best_epoch=best_epoch,
                best_metrics=self.metrics(best_epoch),
                patience_left=patience_left,
                elapsed_s=last.elapsed_s,
                integrity_scatter=scatter,
                integrity_r2=r2,
            )
            if is_best:
                yield CheckpointSaved(epoch=epoch, path=f"{self.run_dir}/synthetic_best.pt", kind="best")
            if self.early_stop_at == epoch:
                yield EarlyStop(epoch=epoch, best_epoch=best_epoch, patience=self.patience)
                break
        yield CheckpointSaved(epoch=epoch, path=f"{self.run_dir}/last.pt", kind="last")
        yield Finished(
            epoch=epoch,
            best_epoch=best_epoch,
            best_metrics=self.metrics(best_epoch),
            run_dir=self.run_dir,
            elapsed_s=0.5 * epoch * self.steps,
        )

    def write_events(self, path: Path) -> list[Event]:
        events = list(self.events())
        path.write_text("".join(event_to_json(e) + "\n" for e in events), encoding="utf-8")
        return events


class Pause:
    """Blocks the fake trainer at (epoch, step) until ``release()``; ``reached`` tells when there."""

    def __init__(self, epoch: int, step: int) -> None:
        self.at = (epoch, step)
        self.reached = threading.Event()
        self._go = threading.Event()

    def maybe_wait(self, epoch: int, step: int) -> None:
        if (epoch, step) == self.at:
            self.reached.set()
            self._go.wait(timeout=30)

    def release(self) -> None:
        self._go.set()


class FakeSession:
    """Implements the session contract: ``run_dir``, ``is_main_process``, ``run(callbacks)``,
    ``request_stop()``."""

    def __init__(self, run: FakeRun | None = None, pause: Pause | None = None, sleep_s: float = 0.001) -> None:
        self.fake = run or FakeRun()
        self.run_dir = self.fake.run_dir
        self.pause = pause
        self.sleep_s = sleep_s
        self.stop_requested = threading.Event()
        self.release_on_stop = True  # a paused trainer reaches its next stop check at once
        self.events_emitted: list[Event] = []
        self.notes: list[str] = []

    @property
    def is_main_process(self) -> bool:
        """As the real session's: rank 0 of torchrun (RANK), or no torchrun."""
        return os.environ.get("RANK", "0") == "0"

    def request_stop(self) -> None:
        self.stop_requested.set()
        if self.pause is not None and self.release_on_stop:
            self.pause.release()

    def run(self, callbacks) -> Event:
        last = None
        for event in self.fake.events(self.stop_requested, self.pause, self.sleep_s):
            self.events_emitted.append(event)
            for callback in callbacks:
                callback(event)
            last = event
        return last


def _main() -> None:  # a dev entry to try the app with the fake (not a shipped command)
    import argparse

    from senti_tui.apps.train.app import TrainApp
    from senti_tui.event_sources import SessionSource

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="senti-ifusion")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--sleep", type=float, default=0.05)
    parser.add_argument("--fail", action="store_true")
    parser.add_argument("--paper", action="store_true")
    args = parser.parse_args()
    run = FakeRun(
        model=args.model,
        epochs=args.epochs,
        steps=args.steps,
        stage1_epochs=3,
        fail_at=(4, 7) if args.fail else None,
        selection="paper" if args.paper else "valid",
    )
    result = TrainApp(SessionSource(FakeSession(run, sleep_s=args.sleep))).run()
    print(result)


if __name__ == "__main__":
    _main()
