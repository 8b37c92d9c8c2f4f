"""Detectors for this clause (being written)."""
