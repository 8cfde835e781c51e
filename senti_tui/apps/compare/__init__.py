"""``senti-tui watch RUN RUN ...``: several runs' curves overlaid (senti_tui/run_compare.py)."""
