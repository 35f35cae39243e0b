"""Secrets are encrypted at rest and never logged.

The log test records everything every logger says, at DEBUG, during a full flow over real HTTP (install
through the OAuth callback against the sandbox, webhook registration and delivery, catalog sync, order
capture and write-back, a restock and its allocation, an API token in use, a password sign-in), and
searches it for the secrets. Decision on SQL: Django logs SQL (with parameters) only when DEBUG is on,
which production never is; the test turns DEBUG on anyway so that `django.db.backends` logs every query
and its parameters too: the strictest case (a plaintext secret in a query would show up here).
"""

import io
import logging

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from backorder.models import Backorder, Policy, Variant
from stores.bigcommerce.webhooks import SECRET_HEADER
from stores.models import ApiToken, Store
from tests.conftest import store_client
from tests.fixtures.bigcommerce import SandboxStore
from tests.hardening.shops import PASSWORD

STORE_HASH = "secrets01"


class Everything(logging.Handler):
    """Keeps each record's formatted message, its raw arguments and any traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record) + " " + repr(record.args) + " " + repr(getattr(record, "data", "")))


@pytest.fixture
def all_logs(settings):
    handler = Everything()
    root = logging.getLogger()
    saved = (root.level, {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict})
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in saved[1]:
        logging.getLogger(name).setLevel(logging.NOTSET)  # every logger passes everything up to the root
    settings.DEBUG = True  # SQL with parameters, see the module docstring
    yield handler
    root.removeHandler(handler)
    root.setLevel(saved[0])
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def sandbox_store() -> SandboxStore:
    return SandboxStore(STORE_HASH, name="Secret Shop", seed=3, products=12)


def test_a_full_flow_logs_no_token_or_secret(bigcommerce, all_logs, live_server):
    # a merchant signs up on the web with a password, and signs in with it
    public = Client(HTTP_HOST=settings.PUBLIC_HOST)
    email = "merchant@secret-shop.example"
    assert public.post("/signup/", {"email": email, "password": PASSWORD, "store_name": "Web Shop"}).status_code == 302
    assert public.post("/login/", {"username": email, "password": "wrong-password-1"}).status_code == 400
    assert public.post("/login/", {"username": email, "password": PASSWORD}).status_code == 302
    # install from the BigCommerce control panel: OAuth callback, token exchange, set-up, catalog sync
    installed = bigcommerce.install(STORE_HASH)
    assert installed["status"] == 302, installed
    store = Store.objects.get(bigcommerce_store_hash=STORE_HASH)
    assert store.webhook_secret and store.access_token
    with schema_context(store.schema_name):
        Policy.objects.filter(scope="store").update(enabled=True, max_units=None)
        variant = Variant.objects.filter(product__inventory_tracking="variant", on_hand__isnull=False).first()
    bigcommerce.set_backorder_limit(STORE_HASH, None, variant_id=variant.bigcommerce_id)
    # a shopper orders beyond stock (webhook -> inbox -> capture -> write-back), then stock arrives
    bigcommerce.place_order(
        STORE_HASH, [{"variant_id": variant.bigcommerce_id, "quantity": (variant.on_hand or 0) + 2}]
    )
    assert bigcommerce.flush_webhooks(20)
    bigcommerce.restock(STORE_HASH, variant_id=variant.bigcommerce_id, quantity=5)
    assert bigcommerce.flush_webhooks(20)
    # a forged webhook, and the owner's integration using an API token
    forged = requests.post(f"{live_server.url}/bigcommerce/webhooks", timeout=10, json={
        "scope": "store/order/created", "producer": f"stores/{STORE_HASH}", "data": {"type": "order", "id": 1},
    }, headers={SECRET_HEADER: "not-" + store.webhook_secret})  # fmt: skip
    assert forged.status_code == 401
    owner = store.memberships.get(role="owner").user
    made = store_client(store, signed_in_as=owner).post("/api/v1/api-tokens/", {"name": "ERP"},
                                                        content_type="application/json")  # fmt: skip
    api_token = made.json()["token"]
    listed = requests.get(f"{live_server.url}/api/v1/backorders/", timeout=10,
                          headers={"Host": f"{store.host}:{live_server.url.rsplit(':', 1)[1]}",
                                   "Authorization": f"Bearer {api_token}"})  # fmt: skip
    assert listed.status_code == 200, listed.content
    bigcommerce.load(STORE_HASH)
    with schema_context(store.schema_name):
        assert Backorder.objects.filter(variant_id=variant.bigcommerce_id).exists()  # the flow really ran

    logs = "\n".join(all_logs.texts)
    secrets = {
        "access token": store.access_token,
        "client secret": settings.BIGCOMMERCE_CLIENT_SECRET,
        "webhook secret": store.webhook_secret,
        "API token": api_token,
        "merchant password": PASSWORD,
    }
    assert len(all_logs.texts) > 200 and "bigcommerce" in logs and "SELECT" in logs  # everything was captured
    leaked = [name for name, value in secrets.items() if value in logs]
    assert not leaked, f"found in the logs: {leaked}"


@pytest.mark.django_db
def test_secrets_are_stored_encrypted_or_as_digests_only(make_store):
    store = make_store()
    token, plaintext = services_api_token(store)
    store.access_token = "bc-access-token-plaintext-0123456789"
    store.webhook_secret = "webhook-secret-plaintext-9876543210"
    store.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, webhook_secret FROM stores_store WHERE id = %s", [store.pk])
        raw_access, raw_webhook = cursor.fetchone()
        cursor.execute("SELECT token_hash, prefix FROM stores_apitoken WHERE id = %s", [token.pk])
        token_hash, prefix = cursor.fetchone()
        cursor.execute("SELECT password FROM stores_user WHERE id = %s", [store.owner.pk])
        (password,) = cursor.fetchone()

    assert raw_access.startswith("gAAAA") and "plaintext" not in raw_access  # Fernet
    assert raw_webhook.startswith("gAAAA") and "plaintext" not in raw_webhook
    assert Store.objects.get(pk=store.pk).access_token == "bc-access-token-plaintext-0123456789"  # decrypts
    assert plaintext not in (token_hash, prefix) and len(token_hash) == 64 and plaintext.startswith(prefix)
    assert PASSWORD not in password and password.count("$") >= 2  # a salted hash


def services_api_token(store) -> tuple[ApiToken, str]:
    from stores import api_tokens

    return api_tokens.api_token_create(store=store, name="ERP", created_by=store.owner)


@pytest.mark.django_db
def test_rotating_encryption_keys_re_encrypts_with_the_new_key_and_old_values_still_decrypt(make_store, settings):
    from django.core.management import call_command

    from stores import crypto

    settings.ENCRYPTION_KEYS = ["old-key"]
    store = make_store()
    store.access_token = "token-under-the-old-key"
    store.save()
    settings.ENCRYPTION_KEYS = ["new-key", "old-key"]  # new first: it encrypts; the old one still decrypts
    assert Store.objects.get(pk=store.pk).access_token == "token-under-the-old-key"

    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "stores.Store (public): 1 value(s) re-encrypted" in out.getvalue()

    settings.ENCRYPTION_KEYS = ["new-key"]  # the old key is gone
    assert Store.objects.get(pk=store.pk).access_token == "token-under-the-old-key"
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM stores_store WHERE id = %s", [store.pk])
        raw = cursor.fetchone()[0]
    assert crypto.decrypt(raw) == "token-under-the-old-key"
