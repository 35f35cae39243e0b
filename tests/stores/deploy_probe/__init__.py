"""A throwaway tenant app with one migration: what a release adds, for the deploy tests (test_migrate.py)."""
