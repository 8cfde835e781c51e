"""Text renderings of core results for the terminal (no tensors here)."""
