"""Benchmarks and calibration scripts, run from the repository root: ``python -m bench.NAME``."""
