"""Benchmarks of the product and its test suite (``make bench``)."""
