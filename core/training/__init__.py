"""Training: a loop that emits typed events and stops cooperatively.

The surface (``senti_tui``) uses exactly this:

    from core.training.options import TrainOptions
    from core.training.session import prepare_training
    session = prepare_training(TrainOptions(model="lnln", preset="demo"))  # validates, raises SentiError
    session.run(callbacks=[print])      # blocking; emits events from core.training.events
    session.request_stop()              # thread-safe; checked every batch; last.pt is saved

Checkpoints (the explorer, eval and probe read them through these; see checkpoint.py):

    from core.runtime.checkpoint import load_checkpoint, check_dims, build_model_from_checkpoint
    ckpt = load_checkpoint(path)            # CheckpointError (one line): missing, unsafe, other version
    check_dims(ckpt, dataset.dims)          # CheckpointError naming each differing dim
    model = build_model_from_checkpoint(ckpt)   # eval mode, CPU, no file or download needed

Module map: session (prepare/run), trainer (the loop), presets (demo, *-paper, tiny), batches,
validation, selection, stages, schedule, distributed, rng, run_folder (the checkpoint format and
the device live in core.runtime, which the probe and eval share).
"""
