"""Developer tooling (offline validation, benchmarks); not part of the product."""
