"""Settings for the comparison server of bench/availability.py: one store's schema, and the minimal view."""

from bench.settings_fixed_schema import *  # noqa: F403

ROOT_URLCONF = "bench.urls_availability_bench"
