"""The panes of the training app, one per file; each has ``show(state)`` taking a RunState."""
