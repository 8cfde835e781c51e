"""``senti-tui train``.

``train`` turns the options into a :class:`~core.training.options.TrainOptions`, lets
``core.training.session.prepare_training`` validate them (a user mistake raises SentiError before
anything starts: one line, exit 2), then shows the run in the training app with a terminal, or as
text with ``--headless`` (the default when stdout is not a terminal, or under CI). Under
``torchrun`` only rank 0 shows anything; the other ranks train silently.

``senti-tui watch`` (:mod:`senti_tui.commands.watch`) shows the same app for a run folder.

Exit codes: 0 when the run finished (or was stopped and saved), 1 when it failed, 2 for a user
mistake. torch is imported only inside ``prepare_training``, never at the top of this module.
"""

from __future__ import annotations

from pathlib import Path

import typer

from core.errors import SentiError
from core.models.registry import display_name, model_names
from core.training.events import Event, Failed, Finished
from core.training.options import DEFAULT_MODEL, TrainOptions
from senti_tui.terminal import is_interactive_terminal


def register(app: typer.Typer) -> None:
    app.command("train", help=f"Train {_model_list()} with live progress panes (or text with --headless).")(train)


def _model_list() -> str:
    """``Senti-iFusion, LNLN or DAR``: the registered models' display names."""
    names = [display_name(name) for name in model_names()]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def train(
    model: str | None = typer.Option(None, "--model", help=f"{' | '.join(model_names())}  [default: {DEFAULT_MODEL}]"),
    data: str | None = typer.Option(None, "--data", help="An MMSA pickle, a label.csv, or 'synthetic'."),
    dataset: str | None = typer.Option(
        None,
        "--dataset",
        help="The data family: mosi | mosei | sims | custom (label range, metrics, paper preset, checkpoint name)  [default: from the path]",
    ),
    preset: str | None = typer.Option(None, "--preset", help="demo | mosi-paper | mosei-paper | sims-paper"),
    text_encoder: str | None = typer.Option(None, "--text-encoder", help="scratch | minilm | bert-base-uncased | PATH"),
    freeze_text: bool = typer.Option(False, "--freeze-text", help="Keep the text encoder's weights fixed."),
    epochs: int | None = typer.Option(None, "--epochs", help="Number of epochs (default: the preset's)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Batch size (default: the preset's)."),
    lr: float | None = typer.Option(None, "--lr", help="Learning rate (default: the preset's)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: the paper's)."),
    seeds: str | None = typer.Option(
        None,
        "--seeds",
        help="Train one run per seed, one after the other, into <out>/seed-<N> (e.g. 1111,1112,1113); eval takes them as one model.",
    ),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda | cuda:N (auto: CUDA when present)."),
    precision: str = typer.Option(
        "auto", "--precision", help="fp32 | bf16 | auto (auto: bf16 on a CUDA GPU that supports it, else fp32)."
    ),
    selection: str = typer.Option(
        "valid", "--selection", help="valid, or paper: LNLN's test-split selection (labelled TEST-SELECTED)."
    ),
    out: str | None = typer.Option(None, "--out", help="Run folder (default: a new folder under checkpoints/)."),
    resume: str | None = typer.Option(None, "--resume", help="Continue the run in this folder from its last.pt."),
    headless: bool = typer.Option(False, "--headless", help="Print progress as text (the default without a terminal)."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Train into --out even if it already holds a run (its files are replaced)."
    ),
    config: str | None = typer.Option(
        None, "--config", help="A YAML run configuration (a run folder's config.yaml repeats that run)."
    ),
    set_: list[str] | None = typer.Option(
        None,
        "--set",
        help="Override one setting, repeatable: model.<option>=V, protocol.<option>=V or train.<setting>=V (e.g. model.stage1_epochs=3).",
    ),
    print_config: bool = typer.Option(False, "--print-config", help="Print the resolved configuration as YAML and exit."),
    tensorboard: str | None = typer.Option(
        None,
        "--tensorboard",
        help="Also write every loss term, metric, lr and integrity R² to this TensorBoard log folder (senti-tui\\[tensorboard]; with --seeds: DIR/seed-N).",
    ),
) -> None:
    from core.training.config_file import parse_set

    seed_list = _parse_train_seeds(seeds, seed, resume) if seeds is not None else None
    options = TrainOptions(
        data=data,
        dataset=dataset,
        preset=preset,
        text_encoder=text_encoder,
        freeze_text=freeze_text,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        device=device,
        precision=precision,
        selection=selection,
        out=out,
        resume=resume,
        overrides=parse_set(set_ or []),
        overwrite=overwrite,
        config=config,
        tensorboard=tensorboard,
    )
    if model is not None:
        options.model = model
    interactive = not headless and is_interactive_terminal()
    if seed_list is not None:
        raise typer.Exit(_train_seeds(options, seed_list, interactive, print_config))
    if interactive:  # loading data and building the model takes a few seconds before the panes
        typer.echo("preparing the run (data, text encoder, model)…", err=True)
    from core.training.session import prepare_training  # torch is imported here, not before

    session = prepare_training(options)  # SentiError -> one line, exit 2 (cli.main)
    if print_config:
        typer.echo(session.config_yaml, nl=False)
        raise typer.Exit(0)
    for note in session.notes:
        typer.echo(f"note: {note}", err=True)
    history = _resume_history(resume)
    if not session.is_main_process:
        result: Event | None = session.run([])  # other ranks compute; rank 0 shows and writes
    elif not interactive:
        from senti_tui.event_sources import SessionSource
        from senti_tui.headless import run_headless

        result = run_headless(SessionSource(session))
    else:
        result = _run_app(session, history)
    raise typer.Exit(_exit_code(result))


def _parse_train_seeds(text: str, seed: int | None, resume: str | None) -> list[int]:
    from core.errors import ConfigError

    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if not values or any(v < 0 for v in values):
        raise ConfigError(f"--seeds {text!r} is not a list of non-negative integers: use e.g. --seeds 1111,1112,1113")
    if len(set(values)) != len(values):
        raise ConfigError(f"--seeds {text}: a seed is repeated: each run needs its own seed")
    if seed is not None:
        raise ConfigError("--seed and --seeds both given: pass one (--seeds trains one run per seed)")
    if resume is not None:
        raise ConfigError(
            "--seeds starts new runs and --resume continues one: resume each seed's folder (<out>/seed-N) on its own"
        )
    return values


def seed_folder(base: Path, seed: int) -> Path:
    return base / f"seed-{seed}"


def _train_seeds(options: TrainOptions, seeds: list[int], interactive: bool, print_config: bool) -> int:
    """One run per training seed, sequentially, each a normal run folder ``<out>/seed-<N>``."""
    import dataclasses

    from core.training.session import check_out_folder, prepare_training

    base = Path(options.out) if options.out else _default_seeds_dir(options)
    for value in seeds:  # every folder checked before the first run starts
        check_out_folder(seed_folder(base, value), bool(options.overwrite))
    code = 0
    for n, value in enumerate(seeds, start=1):
        run_options = dataclasses.replace(
            options,
            seed=value,
            out=str(seed_folder(base, value)),
            tensorboard=str(seed_folder(Path(options.tensorboard), value)) if options.tensorboard else None,
        )
        if print_config:
            session = prepare_training(run_options)
            typer.echo(f"# seed {value}: {seed_folder(base, value)}")
            typer.echo(session.config_yaml, nl=False)
            continue
        typer.echo(f"training seed {value} ({n} of {len(seeds)}) into {seed_folder(base, value)}", err=True)
        session = prepare_training(run_options)
        for note in session.notes:
            typer.echo(f"note: {note}", err=True)
        if not session.is_main_process:
            result: Event | None = session.run([])
        elif not interactive:
            from senti_tui.event_sources import SessionSource
            from senti_tui.headless import run_headless

            result = run_headless(SessionSource(session))
        else:
            result = _run_app(session, [])
        code = _exit_code(result)
        if code != 0:
            typer.echo(
                f"seed {value} failed: the remaining seeds ({', '.join(str(s) for s in seeds[n:]) or 'none'}) were not trained",
                err=True,
            )
            return code
        if isinstance(result, Finished) and result.stopped_by_user and n < len(seeds):
            typer.echo(
                f"stopped at seed {value}: the remaining seeds ({', '.join(str(s) for s in seeds[n:])}) were not trained",
                err=True,
            )
            return code
    if not print_config:
        typer.echo(
            f"trained {len(seeds)} runs in {base} (seed-{', seed-'.join(str(s) for s in seeds)}); "
            f"evaluate them as one model: senti-tui eval {base}"
        )
    return code


def _default_seeds_dir(options: TrainOptions) -> Path:
    from core.training.config_file import named_option
    from core.training.run_folder import default_run_dir

    model = named_option(options, "model") or DEFAULT_MODEL
    data = named_option(options, "data") or "synthetic"
    return default_run_dir(str(model), (Path(str(data)).stem if data != "synthetic" else "synthetic") + "-seeds")


def _run_app(session, history: list[Event]) -> Event | None:
    from senti_tui.apps.train.app import TrainApp
    from senti_tui.event_sources import SessionSource
    from senti_tui.headless import final_summary

    app = TrainApp(SessionSource(session, history=history), mode="train")
    app.run()
    result = app.result
    # The screen is gone: leave the outcome in the terminal's scroll-back.
    if isinstance(result, Finished):
        from rich.console import Console

        console = Console(highlight=False)
        for line in final_summary(result, app.state):
            console.print(line, soft_wrap=True)
    elif isinstance(result, Failed):
        typer.echo(f"training failed: {result.error}", err=True)
    return result


def _resume_history(resume: str | None) -> list[Event]:
    """The events of the run being resumed, so its panes start with the epochs already done."""
    if not resume:
        return []
    from senti_tui.event_sources import read_event_log

    try:
        events, _bad = read_event_log(resume)
    except SentiError:
        return []  # the trainer decides whether the folder can be resumed; panes just start empty
    return events


def _exit_code(result: Event | None) -> int:
    if isinstance(result, Failed):
        return 1
    return 0
