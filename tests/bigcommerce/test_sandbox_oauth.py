"""Single-click install, token exchange and the signed_payload_jwt callbacks (research §2)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from stores.bigcommerce import errors
from stores.bigcommerce.client import BigCommerceClient, exchange_auth_code, notify_external_install
from stores.bigcommerce.sandbox import oauth
from stores.bigcommerce.sandbox.state import Store

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
STORE_HASH = "abc123"
# The research test vectors use a short secret on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
SCOPES = ["store_v2_products", "store_v2_orders", "store_v2_information_read_only"]

RESEARCH_JWT = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ0ZXN0LWNsaWVudC1pZCIsImlzcyI6ImJjIiwiaWF0IjoxNzAwMDAwMDAwLCJuYmYi"
    "OjE2OTk5OTk5OTUsImV4cCI6MTcwMDA4NjQwMCwianRpIjoiOGMxYzJmNGUtNWEzYi00YTdmLTlkN2UtMWEyYjNjNGQ1ZTZmIiwic3ViIjoic3Rv"
    "cmVzL2FiYzEyMyIsInVzZXIiOnsiaWQiOjk4NzY1NDMsImVtYWlsIjoic3RhZmZAZXhhbXBsZS5jb20iLCJsb2NhbGUiOiJlbi1VUyJ9LCJvd25l"
    "ciI6eyJpZCI6NzY1NDMyMSwiZW1haWwiOiJvd25lckBleGFtcGxlLmNvbSJ9LCJ1cmwiOiIvIiwiY2hhbm5lbF9pZCI6bnVsbH0."
    "j92DNFFzkio1vtLjS3047J-T4h_5HKgRpL4RHEBZid4"
)


def _query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _exchange(sandbox, fake_app, auth_url: str, **overrides):
    query = _query(auth_url)
    kwargs = {
        "code": query["code"],
        "scope": query["scope"],
        "context": query["context"],
        "redirect_uri": f"{fake_app.base_url}/bigcommerce/auth",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "login_url": sandbox.base_url,
    }
    kwargs.update(overrides)
    return exchange_auth_code(**kwargs)


def test_install_calls_the_auth_callback_which_exchanges_the_code_for_a_token(sandbox, fake_app):
    result = sandbox.install(STORE_HASH, scopes=SCOPES)
    assert result["status"] == 302
    [callback] = fake_app.requests_to("/bigcommerce/auth")
    assert set(callback.query) == {"code", "scope", "context", "account_uuid"}
    assert callback.query["context"] == f"stores/{STORE_HASH}"
    assert callback.query["scope"] == " ".join(SCOPES)
    [token] = fake_app.tokens
    assert set(token) == {"access_token", "scope", "user", "owner", "context", "account_uuid"}
    assert token["scope"] == " ".join(SCOPES)
    assert token["context"] == f"stores/{STORE_HASH}"
    assert isinstance(token["user"]["id"], int) and set(token["user"]) == {"id", "username", "email"}
    assert token["owner"]["email"] == sandbox.store_summary(STORE_HASH)["owner"]["email"]
    uuid.UUID(token["account_uuid"])
    api = BigCommerceClient(store_hash=STORE_HASH, access_token=token["access_token"], api_url=sandbox.base_url)
    assert api.get("/v2/store")["id"] == STORE_HASH


def test_reinstall_issues_a_new_token_and_the_old_one_stops_working(sandbox, fake_app):
    sandbox.install(STORE_HASH, scopes=SCOPES)
    sandbox.install(STORE_HASH, scopes=SCOPES)
    old, new = (t["access_token"] for t in fake_app.tokens)
    assert old != new
    with pytest.raises(errors.AuthenticationError):
        BigCommerceClient(store_hash=STORE_HASH, access_token=old, api_url=sandbox.base_url).get("/v2/store")
    assert BigCommerceClient(store_hash=STORE_HASH, access_token=new, api_url=sandbox.base_url).get("/v2/store")


def test_a_code_can_be_exchanged_only_once(sandbox, fake_app):
    url = sandbox.begin_install(STORE_HASH, scopes=SCOPES)
    assert _exchange(sandbox, fake_app, url)["access_token"]
    with pytest.raises(errors.TokenExchangeError) as caught:
        _exchange(sandbox, fake_app, url)
    assert caught.value.status == 400
    assert caught.value.error == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"code": "not-a-real-code"}, 400, "invalid_grant"),
        ({"client_secret": "wrong-secret"}, 401, "invalid_client"),
        ({"client_id": "someone-else"}, 401, "invalid_client"),
        ({"redirect_uri": "https://evil.example.com/bigcommerce/auth"}, 400, "invalid_grant"),
        ({"context": "stores/otherstore"}, 400, "invalid_grant"),
    ],
    ids=["bad-code", "wrong-secret", "unknown-client", "redirect-mismatch", "context-mismatch"],
)
def test_token_exchange_is_refused_with_an_oauth_error(sandbox, fake_app, overrides, status, error):
    url = sandbox.begin_install(STORE_HASH, scopes=SCOPES)
    with pytest.raises(errors.TokenExchangeError) as caught:
        _exchange(sandbox, fake_app, url, **overrides)
    assert caught.value.status == status
    assert caught.value.error == error
    assert CLIENT_SECRET not in str(caught.value)


def test_a_refused_exchange_leaves_the_code_usable(sandbox, fake_app):
    url = sandbox.begin_install(STORE_HASH, scopes=SCOPES)
    with pytest.raises(errors.TokenExchangeError):
        _exchange(sandbox, fake_app, url, client_secret="wrong-secret")
    assert _exchange(sandbox, fake_app, url)["access_token"]


def test_token_endpoint_also_accepts_a_form_encoded_body(sandbox, fake_app):
    query = _query(sandbox.begin_install(STORE_HASH))
    response = requests.post(
        f"{sandbox.base_url}/oauth2/token",
        data={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": query["code"],
            "context": query["context"],
            "scope": query["scope"],
            "grant_type": "authorization_code",
            "redirect_uri": f"{fake_app.base_url}/bigcommerce/auth",
        },
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_external_install_is_flagged_and_its_result_reported_to_the_login_host(sandbox, fake_app):
    sandbox.install(STORE_HASH, scopes=SCOPES, external=True)
    [callback] = fake_app.requests_to("/bigcommerce/auth")
    assert callback.query["external_install"] == "1"
    assert notify_external_install("succeeded", client_id=CLIENT_ID, login_url=sandbox.base_url) == 200
    assert sandbox.state.external_install_results == [{"client_id": CLIENT_ID, "result": "succeeded"}]

    marketplace = requests.get(
        f"{sandbox.base_url}/app/{CLIENT_ID}/install", params={"store_hash": STORE_HASH}, allow_redirects=False
    )
    assert marketplace.status_code == 302
    assert "external_install=1" in marketplace.headers["Location"]


def test_load_callback_carries_an_hs256_jwt_with_bigcommerce_claims(sandbox, fake_app):
    sandbox.load(STORE_HASH, url="/orders", channel_id=1)
    [callback] = fake_app.requests_to("/bigcommerce/load")
    token = callback.query["signed_payload_jwt"]
    assert jwt.get_unverified_header(token) == {"typ": "JWT", "alg": "HS256"}
    claims = jwt.decode(token, CLIENT_SECRET, algorithms=["HS256"], audience=CLIENT_ID, issuer="bc", leeway=10)
    owner = sandbox.store_summary(STORE_HASH)["owner"]
    assert claims["sub"] == f"stores/{STORE_HASH}"
    assert claims["nbf"] == claims["iat"] - 5
    assert claims["exp"] == claims["iat"] + 86400
    uuid.UUID(claims["jti"])
    assert claims["user"] == {"id": owner["id"], "email": owner["email"], "locale": "en-US"}
    assert claims["owner"] == {"id": owner["id"], "email": owner["email"]}
    assert claims["url"] == "/orders" and claims["channel_id"] == 1


def test_each_callback_gets_a_fresh_jti(sandbox):
    first = jwt.decode(sandbox.signed_payload_jwt(STORE_HASH), options={"verify_signature": False})
    second = jwt.decode(sandbox.signed_payload_jwt(STORE_HASH), options={"verify_signature": False})
    assert first["jti"] != second["jti"]


def test_minted_jwt_reproduces_the_research_test_vector():
    store = Store(
        STORE_HASH, 1, "Vector", {"id": 7654321, "username": "owner@example.com", "email": "owner@example.com"}
    )
    claims = oauth.jwt_claims(
        client_id=CLIENT_ID,
        store=store,
        user={"id": 9876543, "email": "staff@example.com", "locale": "en-US"},
        iat=1700000000,
        jti="8c1c2f4e-5a3b-4a7f-9d7e-1a2b3c4d5e6f",
    )
    assert oauth.mint_jwt(claims, CLIENT_SECRET) == RESEARCH_JWT


def test_uninstall_revokes_the_token_removes_hooks_and_auto_uninstall_scripts_then_calls_the_app(
    sandbox, fake_app, access_token
):
    api = BigCommerceClient(store_hash=STORE_HASH, access_token=access_token, api_url=sandbox.base_url)
    api.post("/v3/hooks", json={"scope": "store/order/*", "destination": f"{fake_app.base_url}/webhooks"})
    script = {
        "name": "Widget",
        "kind": "src",
        "src": "https://app.example.com/w.js",
        "location": "footer",
        "visibility": "storefront",
        "load_method": "defer",
        "consent_category": "functional",
    }
    api.post("/v3/content/scripts", json={**script, "auto_uninstall": True})
    kept = api.post("/v3/content/scripts", json={**script, "name": "Kept", "auto_uninstall": False})["data"]

    sandbox.uninstall(STORE_HASH)

    [callback] = fake_app.requests_to("/bigcommerce/uninstall")
    claims = jwt.decode(
        callback.query["signed_payload_jwt"], CLIENT_SECRET, algorithms=["HS256"], audience=CLIENT_ID, leeway=10
    )
    assert claims["sub"] == f"stores/{STORE_HASH}"
    with pytest.raises(errors.AuthenticationError):
        api.get("/v2/store")
    store = sandbox.state.stores[STORE_HASH]
    assert store.hooks == {}
    assert list(store.scripts) == [kept["uuid"]]


def test_remove_user_callback_names_the_removed_user(sandbox, fake_app):
    user = sandbox.add_user(STORE_HASH, "staff@example.com")
    sandbox.remove_user(STORE_HASH, user["id"])
    [callback] = fake_app.requests_to("/bigcommerce/remove-user")
    claims = jwt.decode(callback.query["signed_payload_jwt"], options={"verify_signature": False})
    assert claims["user"]["id"] == user["id"]
    assert claims["user"]["email"] == "staff@example.com"
