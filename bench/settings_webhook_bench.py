"""App settings plus the comparison view's URL (bench/webhook_ack.py)."""

from config.settings import *  # noqa: F403

PUBLIC_SCHEMA_URLCONF = "bench.urls_public_bench"
