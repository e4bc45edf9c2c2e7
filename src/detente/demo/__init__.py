"""Synthetic demo and test data for Detente (no real person's data)."""
