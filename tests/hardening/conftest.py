"""Fixtures of the hardening tests; `bigcommerce` wants a `sandbox_store` from the module that uses it."""

from tests.fixtures.bigcommerce import bigcommerce  # noqa: F401  (fixture)
