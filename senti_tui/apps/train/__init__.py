"""The training app behind ``senti-tui train`` and ``senti-tui watch`` (see app.py)."""
