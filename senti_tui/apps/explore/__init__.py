"""The explorer: ``senti-tui explore`` — probe trained checkpoints one utterance at a time."""
