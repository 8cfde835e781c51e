"""The product surface of senti-tui: the typer CLI and the Textual apps (explore, train, watch).

Talks to ``core`` only through a few small interfaces and never touches tensors.
"""

__version__ = "0.1.0"
