"""Installing the app from the BigCommerce control panel, opening it, uninstalling it."""

import time
import uuid
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from django.conf import settings
from django_tenants.utils import schema_context

from backorder.models import CatalogSync, Product, Variant
from stores import services
from stores.bigcommerce import connection as bc_connection
from stores.bigcommerce.views import connect_link
from stores.models import Store, StoreMembership, User
from tests.conftest import PASSWORD
from tests.integration.conftest import STORE_HASH, install, installed_store

pytestmark = pytest.mark.django_db(transaction=True)


def sandbox_hooks(sandbox) -> list[dict]:
    with sandbox.state.lock:
        return list(sandbox.state.store(STORE_HASH).hooks.values())


def sandbox_scripts(sandbox) -> list[dict]:
    with sandbox.state.lock:
        return list(sandbox.state.store(STORE_HASH).scripts.values())


def test_install_creates_the_store_registers_hooks_and_scripts_and_copies_the_catalog(bigcommerce):
    response = install(bigcommerce)

    assert response.status_code == 302
    store = installed_store()
    assert urlsplit(response.headers["Location"]).hostname == store.host
    assert store.connection == Store.Connection.CONNECTED
    assert store.name == "Lamp Shop"
    hooks = sandbox_hooks(bigcommerce)
    assert sorted(h["scope"] for h in hooks) == sorted(bc_connection.WEBHOOK_SCOPES)
    assert {h["destination"] for h in hooks} == {f"{settings.APP_BASE_URL}/bigcommerce/webhooks"}
    scripts = {s["location"]: s for s in sandbox_scripts(bigcommerce)}  # the widget, and its head script
    assert sorted(scripts) == ["footer", "head"]
    assert scripts["footer"]["src"] == f"{settings.APP_BASE_URL}/storefront/{store.public_key}/widget.js"
    assert scripts["footer"]["load_method"] == "defer" and scripts["footer"]["auto_uninstall"] is True
    assert scripts["head"]["kind"] == "script_tag" and scripts["head"]["auto_uninstall"] is True
    assert store.storefront_origins == [f"https://store-{STORE_HASH}.mybigcommerce.com"]
    summary = bigcommerce.store_summary(STORE_HASH)
    with schema_context(store.schema_name):
        sync = CatalogSync.objects.get()
        assert (sync.status, sync.products_done) == ("done", summary["counts"]["products"])
        assert Product.objects.count() == summary["counts"]["products"]
        assert Variant.objects.count() == summary["counts"]["variants"]


def test_the_access_token_is_encrypted_at_rest(bigcommerce):
    install(bigcommerce)
    store = installed_store()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM stores_store WHERE id = %s", [store.pk])
        stored = cursor.fetchone()[0]
    assert store.access_token and store.access_token not in stored


def test_installing_again_creates_no_duplicate_store_hooks_or_scripts(bigcommerce):
    install(bigcommerce)
    first_token = installed_store().access_token
    install(bigcommerce)

    assert Store.objects.merchants().count() == 1
    assert installed_store().access_token != first_token
    assert len(sandbox_hooks(bigcommerce)) == len(bc_connection.WEBHOOK_SCOPES)
    assert len(sandbox_scripts(bigcommerce)) == 2  # the widget and its head script, on the one channel


def test_an_external_install_returns_to_bigcommerce(bigcommerce):
    response = install(bigcommerce, external=True)
    assert response.headers["Location"] == (
        f"{settings.BIGCOMMERCE_LOGIN_URL}/app/{settings.BIGCOMMERCE_CLIENT_ID}/install/succeeded"
    )
    assert installed_store().connection == Store.Connection.CONNECTED


def test_a_web_signed_up_merchant_connecting_gets_the_store_attached_to_their_account(bigcommerce):
    signup = services.store_sign_up(email="maria@lamps.example", password=PASSWORD, store_name="Maria Lamps")
    browser = requests.Session()
    auth_url = bigcommerce.begin_install(STORE_HASH)
    marker = browser.get(connect_link(store=signup.store, next_url=auth_url), allow_redirects=False, timeout=10)
    assert marker.status_code == 302 and marker.headers["Location"] == auth_url

    response = browser.get(auth_url, allow_redirects=False, timeout=60)

    assert response.status_code == 302
    assert Store.objects.merchants().count() == 1
    store = installed_store()
    assert store.pk == signup.store.pk and store.name == "Maria Lamps"
    roles = dict(StoreMembership.objects.filter(store=store).values_list("user__username", "role"))
    assert roles["maria@lamps.example"] == "owner"


def test_a_refused_code_shows_an_error_and_creates_nothing(bigcommerce):
    url = bigcommerce.begin_install(STORE_HASH)
    requests.get(url, allow_redirects=False, timeout=60)
    Store.objects.merchants().delete()  # forget the first install; the code is now used
    response = requests.get(url, allow_redirects=False, timeout=60)
    assert response.status_code == 401
    assert "could not be installed" in response.text
    assert not Store.objects.merchants().exists()


def test_load_signs_the_merchant_in_on_the_store_host(bigcommerce):
    install(bigcommerce)
    response = requests.get(bigcommerce.callback_url(STORE_HASH, "load"), allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).hostname == installed_store().host


def test_a_new_user_of_a_multi_user_store_gets_in_as_staff(bigcommerce):
    install(bigcommerce)
    staff = bigcommerce.add_user(STORE_HASH, "lee@lamps.example")
    response = requests.get(
        bigcommerce.callback_url(STORE_HASH, "load", user_id=staff["id"]), allow_redirects=False, timeout=10
    )
    assert response.status_code == 302
    user = User.objects.get(bigcommerce_user_id=staff["id"])
    assert StoreMembership.objects.get(user=user).role == "staff"


def mint(**overrides) -> str:
    now = int(time.time())
    claims = {
        "aud": settings.BIGCOMMERCE_CLIENT_ID, "iss": "bc", "iat": now, "nbf": now - 5, "exp": now + 86400,
        "jti": str(uuid.uuid4()), "sub": f"stores/{STORE_HASH}", "user": {"id": 1, "email": "a@b.example"},
        "owner": {"id": 1, "email": "a@b.example"}, "url": "/", "channel_id": None,
    }  # fmt: skip
    headers = overrides.pop("_headers", None)
    key = overrides.pop("_key", settings.BIGCOMMERCE_CLIENT_SECRET)
    algorithm = overrides.pop("_alg", "HS256")
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def unsigned(**overrides) -> str:
    import base64
    import json

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    token = jwt.decode(mint(**overrides), options={"verify_signature": False})
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(token)}."


@pytest.mark.parametrize(
    ("label", "token"),
    [
        ("bad signature", lambda: mint(_key="not-our-secret-but-long-enough-for-hs256-0123456789")),
        ("alg none", lambda: unsigned()),
        ("HS512", lambda: mint(_alg="HS512", _key=settings.BIGCOMMERCE_CLIENT_SECRET * 2)),
        ("wrong aud", lambda: mint(aud="someone-else")),
        ("wrong iss", lambda: mint(iss="evil")),
        ("expired", lambda: mint(exp=int(time.time()) - 3600, iat=int(time.time()) - 90000)),
        ("not yet valid", lambda: mint(nbf=int(time.time()) + 3600)),
        ("unknown store", lambda: mint(sub="stores/nobody")),
        ("no store", lambda: mint(sub="someone")),
    ],
)
def test_load_refuses_an_untrustworthy_jwt_with_401(bigcommerce, label, token):
    install(bigcommerce)
    response = requests.get(
        f"{settings.APP_BASE_URL}/bigcommerce/load", params={"signed_payload_jwt": token()}, timeout=10
    )
    assert response.status_code == 401, label


def test_a_replayed_load_jwt_is_refused(bigcommerce):
    install(bigcommerce)
    url = bigcommerce.callback_url(STORE_HASH, "load")
    assert requests.get(url, allow_redirects=False, timeout=10).status_code == 302
    assert requests.get(url, allow_redirects=False, timeout=10).status_code == 401


def test_uninstall_deactivates_the_store_keeps_its_data_and_drops_the_token(bigcommerce):
    install(bigcommerce)
    result = bigcommerce.uninstall(STORE_HASH)
    assert result["status"] == 200
    store = installed_store()
    assert (store.connection, store.status, store.access_token) == ("uninstalled", "deactivated", "")
    with schema_context(store.schema_name):
        assert Product.objects.exists()


def test_remove_user_removes_only_that_membership(bigcommerce):
    install(bigcommerce)
    staff = bigcommerce.add_user(STORE_HASH, "lee@lamps.example")
    requests.get(bigcommerce.callback_url(STORE_HASH, "load", user_id=staff["id"]), allow_redirects=False, timeout=10)
    assert StoreMembership.objects.count() == 2

    bigcommerce.remove_user(STORE_HASH, staff["id"])

    assert list(StoreMembership.objects.values_list("user__bigcommerce_user_id", flat=True)) != [staff["id"]]
    assert StoreMembership.objects.count() == 1


def test_a_store_without_native_backorders_is_told_so(bigcommerce):
    bigcommerce.set_store_settings(STORE_HASH, backorders_enabled=False)
    install(bigcommerce)
    store = installed_store()
    assert store.native_backorders is False
    from tests.conftest import store_client

    owner = StoreMembership.objects.filter(store=store).first().user
    page = store_client(store, signed_in_as=owner).get("/").content.decode()
    assert "Switch on backorders in BigCommerce" in page


def test_a_merchant_who_signed_up_here_and_installs_from_the_marketplace_gets_their_store_connected(bigcommerce):
    from django.test import Client

    from stores.bigcommerce.views import MERCHANT_COOKIE

    signup = Client(HTTP_HOST="localhost").post(
        "/signup/", {"email": "lee@lamps.example", "password": PASSWORD, "store_name": "Lee Lamps"}
    )
    assert signup.status_code == 302
    browser = requests.Session()
    browser.cookies.set(MERCHANT_COOKIE, signup.cookies[MERCHANT_COOKIE].value)

    response = browser.get(bigcommerce.begin_install(STORE_HASH), allow_redirects=False, timeout=60)

    assert response.status_code == 302
    assert Store.objects.merchants().count() == 1
    assert installed_store().name == "Lee Lamps"
