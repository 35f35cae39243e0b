"""Start Django for a benchmark script (the database comes from DATABASE_URL, as for the app)."""

import os


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 40)
    os.environ.setdefault("ENCRYPTION_KEYS", "bench-encryption-key")
    import django

    django.setup()
