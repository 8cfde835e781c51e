"""Training: a loop that emits typed events and stops cooperatively.

The surface (``senti_tui``) uses exactly this:

    from core.training.options import TrainOptions
    from core.training.session import prepare_training
    session = prepare_training(TrainOptions(model="lnln", preset="demo"))  # validates, raises SentiError
    session.run(callbacks=[print])      # blocking; emits events from core.training.events
    session.request_stop()              # thread-safe; checked every batch; last.pt is saved
"""
