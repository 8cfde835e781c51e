"""A minimal entry point to the trainer: ``python -m core.training.run_cli --preset tiny``.

The product command is ``senti-tui train`` (with live panes); this plain-argparse runner exists
for scripts, subprocess tests and ``torchrun`` without the UI stack. It prints one line per epoch
(and every event as JSON with ``--jsonl``) and exits 0 when the run finishes, 1 when it fails,
2 on a user error (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys

from core.errors import SentiError
from core.training.events import EpochEnd, Failed, Finished, event_to_json
from core.training.options import TrainOptions


def parse_args(argv: list[str] | None = None) -> tuple[TrainOptions, bool]:
    parser = argparse.ArgumentParser(prog="python -m core.training.run_cli", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="senti-ifusion")
    parser.add_argument("--data")
    parser.add_argument("--preset")
    parser.add_argument("--text-encoder")
    parser.add_argument("--freeze-text", action="store_true")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--selection", default="valid")
    parser.add_argument("--out")
    parser.add_argument("--resume")
    parser.add_argument("--jsonl", action="store_true", help="print every event as a JSON line")
    args = parser.parse_args(argv)
    return TrainOptions(
        model=args.model,
        data=args.data,
        preset=args.preset,
        text_encoder=args.text_encoder,
        freeze_text=args.freeze_text,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        device=args.device,
        selection=args.selection,
        out=args.out,
        resume=args.resume,
    ), args.jsonl


def main(argv: list[str] | None = None) -> int:
    options, jsonl = parse_args(argv)
    from core.training.session import prepare_training

    try:
        session = prepare_training(options)
    except SentiError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    def report(event) -> None:
        if jsonl:
            print(event_to_json(event), flush=True)
        elif isinstance(event, EpochEnd):
            valid = event.metrics.get("valid", {})
            print(f"epoch {event.epoch} stage {event.stage} val_loss {event.val_loss:.4f} MAE {valid.get('MAE')} best {event.best_epoch}", flush=True)
        elif isinstance(event, (Finished, Failed)):
            print(event, flush=True)

    result = session.run([report])
    return 1 if isinstance(result, Failed) else 0


if __name__ == "__main__":
    sys.exit(main())
