"""The storefront answers a signed-in shopper for their customer group (BigCommerce's Current Customer token in
`customer_jwt`), a guest for guests, refuses a token it cannot trust with a 401, and never lets one group's
answer reach anyone else: not from the shared answer cache (the group is part of the key), not from a browser or
CDN (a group answer is private, `Vary: *`, with its own ETag)."""

import time
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backorder.models import Policy
from backorder.services.availability import availability_refresh, store_today
from backorder.services.policies import policy_create, policy_update
from tests.backorder.conftest import variant_make

pytestmark = pytest.mark.django_db

STORE_HASH = "groups01"
TRADE, KEY_ACCOUNTS, NO_GROUP = 5, 9, 0


def customer_jwt(*, group: int | str | None = TRADE, customer_id: int = 42, **changes) -> str:
    """A Current Customer token as BigCommerce signs it for this app (claims: research, current-customer.mdx)."""
    now = int(time.time())
    claims = {
        "customer": {"id": customer_id, "email": f"buyer{customer_id}@trade.example", "group_id": str(group)},
        "iss": "bc/apps", "sub": STORE_HASH, "iat": now, "exp": now + 900, "version": 1,
        "aud": settings.BIGCOMMERCE_CLIENT_ID, "application_id": settings.BIGCOMMERCE_CLIENT_ID,
        "store_hash": STORE_HASH, "operation": "current_customer",
    }  # fmt: skip
    secret = changes.pop("secret", settings.BIGCOMMERCE_CLIENT_SECRET)
    claims.update(changes)
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.fixture
def sold_out(store):
    """A sold-out variant; backorders are off for everyone, on for trade buyers (20 days' lead time)."""
    store.bigcommerce_store_hash = STORE_HASH
    store.save()
    policy_create(data={"scope": "store", "customer_group_ids": [TRADE], "enabled": True, "lead_time_days": 20,
                        "button_label": "Order for trade"})  # fmt: skip
    variant = variant_make(on_hand=0)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    return variant


def url(store, variant) -> str:
    return f"/api/storefront/v1/{store.public_key}/products/{variant.product.bigcommerce_id}"


def ask(client, store, variant, token: str | None = None, **headers):
    query = {"variant_id": variant.bigcommerce_id, **({"customer_jwt": token} if token else {})}
    return client.get(url(store, variant), query, **headers)


def test_a_trade_buyer_sees_a_backorder_offer_a_guest_does_not(store, sold_out, public_client):
    guest = ask(public_client, store, sold_out)
    assert guest.status_code == 200 and guest.json()["state"] == "unavailable"
    trade = ask(public_client, store, sold_out, customer_jwt())
    assert trade.status_code == 200
    body = trade.json()
    assert (body["state"], body["button_label"]) == ("backorder", "Order for trade")
    assert body["expected_ship_date"] == (store_today() + timedelta(days=20)).isoformat()
    # a signed-in shopper of another group, or of none, is answered as everyone else is
    assert ask(public_client, store, sold_out, customer_jwt(group=KEY_ACCOUNTS)).json()["state"] == "unavailable"
    assert ask(public_client, store, sold_out, customer_jwt(group=NO_GROUP)).json()["state"] == "unavailable"
    assert ask(public_client, store, sold_out, customer_jwt(group="")).json()["state"] == "unavailable"


@pytest.mark.parametrize(
    "token, says",
    [
        (lambda: customer_jwt(secret="not-the-apps-secret-" * 3), "not signed by BigCommerce for this app"),
        (lambda: customer_jwt(iat=int(time.time()) - 3600, exp=int(time.time()) - 1800), "expired"),
        (lambda: customer_jwt(store_hash="another1", sub="another1"), "another store"),
        (lambda: customer_jwt(aud="another-apps-client-id"), "another app"),
        (lambda: customer_jwt(operation="customer_login"), "not a Current Customer token"),
        (lambda: customer_jwt(customer="nobody"), "no customer id"),
        (lambda: customer_jwt(group="wholesale"), "not a number"),
        (lambda: jwt.encode({"store_hash": STORE_HASH}, None, algorithm="none"), "not a token"),
        (lambda: "garbage", "not a token"),
        (lambda: "x" * 5000, "too long"),
    ],
    ids=["forged", "expired", "another store", "another app", "another kind", "no customer", "odd group",
         "alg none", "garbage", "huge"],
)  # fmt: skip
def test_a_token_that_cannot_be_trusted_is_refused_with_a_401(store, sold_out, public_client, token, says):
    for asked in (url(store, sold_out), f"/api/storefront/v1/{store.public_key}/cart"):
        response = public_client.get(
            asked, {"variant_id": sold_out.bigcommerce_id, "lines": f"{sold_out.product.bigcommerce_id}::1",
                    "customer_jwt": token()},
        )  # fmt: skip
        assert response.status_code == 401, response.content
        assert response.json()["error"] == "unauthorized" and says in response.json()["message"]
        assert response["Cache-Control"] == "no-store"


def test_a_store_not_connected_to_bigcommerce_trusts_no_token(store, sold_out, public_client):
    store.bigcommerce_store_hash = ""
    store.save()
    response = ask(public_client, store, sold_out, customer_jwt())
    assert response.status_code == 401 and "not connected" in response.json()["message"]


@pytest.mark.parametrize("answer_cache", [False, True], ids=["database", "warm answers"])
def test_a_guest_and_a_trade_buyer_on_the_same_page_get_two_answers_and_no_cache_mixes_them(
    store, sold_out, public_client, settings, answer_cache, django_assert_num_queries
):
    settings.STOREFRONT_ANSWER_CACHE = answer_cache
    token = customer_jwt()
    for _ in range(2):  # the second round is warm when the answer cache is on
        guest, trade = ask(public_client, store, sold_out), ask(public_client, store, sold_out, token)
        assert (guest.json()["state"], trade.json()["state"]) == ("unavailable", "backorder")
        assert guest["Cache-Control"].startswith("public")
        assert (trade["Cache-Control"], trade["Vary"]) == ("private, max-age=30", "*")  # no shared cache keeps it
        assert guest["ETag"] != trade["ETag"]
    # Each one's tag revalidates only its own answer.
    assert ask(public_client, store, sold_out, token, HTTP_IF_NONE_MATCH=guest["ETag"]).status_code == 200
    assert ask(public_client, store, sold_out, HTTP_IF_NONE_MATCH=trade["ETag"]).status_code == 200
    assert ask(public_client, store, sold_out, token, HTTP_IF_NONE_MATCH=trade["ETag"]).status_code == 304
    # Another trade buyer (another token, the same group) gets the trade answer; a key account does not.
    assert ask(public_client, store, sold_out, customer_jwt(customer_id=7)).json() == trade.json()
    assert ask(public_client, store, sold_out, customer_jwt(group=KEY_ACCOUNTS)).json() == guest.json()
    if answer_cache:
        with django_assert_num_queries(0):
            assert ask(public_client, store, sold_out, token).json() == trade.json()
            assert ask(public_client, store, sold_out).json() == guest.json()


def test_a_guest_answer_stays_one_select_and_a_group_answer_adds_the_policy_lookup(store, sold_out, public_client):
    ask(public_client, store, sold_out)  # warms the store lookup

    def statements(token=None) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert ask(public_client, store, sold_out, token).status_code == 200
        return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]

    assert len(statements()) == 1  # the precomputed row
    # the row, then the policy lookup for the trade buyer's group (variants, policies; categories when it has any)
    assert 2 < len(statements(customer_jwt())) <= 4
    assert len(statements(customer_jwt(group=NO_GROUP))) == 1  # a shopper in no group: the guests' row


def test_a_change_of_the_groups_policy_reaches_the_next_warm_answer(
    store, sold_out, public_client, settings, django_capture_on_commit_callbacks
):
    settings.STOREFRONT_ANSWER_CACHE = True
    token = customer_jwt()
    assert ask(public_client, store, sold_out, token).json()["state"] == "backorder"
    with django_capture_on_commit_callbacks(execute=True):
        policy_update(policy=Policy.objects.get(customer_group_ids=[TRADE]), data={"enabled": False})
    assert ask(public_client, store, sold_out, token).json()["state"] == "unavailable"


def test_the_cart_answers_for_the_shoppers_group_privately(store, sold_out, public_client):
    cart = f"/api/storefront/v1/{store.public_key}/cart"
    lines = {"lines": f"{sold_out.product.bigcommerce_id}:{sold_out.bigcommerce_id}:2"}
    guest = public_client.get(cart, lines)
    trade = public_client.get(cart, {**lines, "customer_jwt": customer_jwt()})
    assert (guest.json()["state"], trade.json()["state"]) == ("unavailable", "backorder")
    assert trade.json()["ships_by"] == (store_today() + timedelta(days=20)).isoformat()
    assert (trade["Cache-Control"], trade["Vary"]) == ("private, max-age=30", "*")


def test_the_widget_asks_who_the_shopper_is_only_when_a_policy_is_for_some_groups(
    store, public_client, django_capture_on_commit_callbacks
):
    from backorder.services.policies import policy_delete
    from tests.backorder.test_storefront_widget_js import script_url, served_config

    assert "customer" not in served_config(public_client.get(script_url(store)).content.decode())
    with django_capture_on_commit_callbacks(execute=True):  # the cached "no group policies" goes at the commit
        trade = policy_create(data={"scope": "store", "customer_group_ids": [TRADE]})
    config = served_config(public_client.get(script_url(store)).content.decode())
    assert config["customer"] == settings.BIGCOMMERCE_CLIENT_ID  # the app's client id, for current.jwt
    with CaptureQueriesContext(connection) as captured:  # still no query once warm
        public_client.get(script_url(store))
    assert [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")] == []
    with django_capture_on_commit_callbacks(execute=True):
        policy_delete(policy=trade)
    assert "customer" not in served_config(public_client.get(script_url(store)).content.decode())
