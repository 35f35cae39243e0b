"""Backorder's PostgreSQL backend (Django ENGINE "stores.database"): django-tenants' schema switching, made
safe behind a transaction-mode connection pooler when DATABASE_POOL_MODE is "transaction" (see base.py)."""
