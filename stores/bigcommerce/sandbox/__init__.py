"""A fake BigCommerce (API host, login host, webhook sender, control-panel driver) for demos and tests.

No Django here: it runs standalone (`python -m stores.bigcommerce.sandbox serve`) or in a thread:

    with SandboxServer(app_base_url="http://127.0.0.1:8000") as sandbox:
        sandbox.create_store("abc123", seed=42)
        token = sandbox.issue_token("abc123")
"""

from stores.bigcommerce.sandbox.framework import ApiError
from stores.bigcommerce.sandbox.server import SandboxServer
from stores.bigcommerce.sandbox.state import ALL_SCOPES, ORDER_STATUSES
from stores.bigcommerce.sandbox.webhooks import RETRY_SCHEDULE

__all__ = ["ALL_SCOPES", "ORDER_STATUSES", "RETRY_SCHEDULE", "ApiError", "SandboxServer"]
