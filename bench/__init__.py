"""Benchmarks; results and commands in docs/benchmarks.md."""
