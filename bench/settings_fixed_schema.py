"""Settings for the fixed-schema comparison server (bench/tenant_routing.py)."""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

MIDDLEWARE = ["bench.fixed_schema.FixedSchemaMiddleware", *MIDDLEWARE[1:]]
