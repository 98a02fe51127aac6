"""Text classification with every compared cell against linear baselines (notebook 06)."""
