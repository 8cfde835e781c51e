"""Data sources: MMSA pickles, MMSA-style label.csv (text only) and the synthetic generator."""
