"""Benchmark scenarios for the portal: ``python -m bench [SCENARIO ...]`` (``make bench``)."""
