"""Benchmarks: every figure a ratio against its floor, measured in the same run (`make bench`)."""
