"""A throwaway tenant app for bench/migrations_many_schemas.py: one table, then an index on it (never installed
in the real settings; only bench/settings_migrations_bench.py adds it, against a database of its own)."""
