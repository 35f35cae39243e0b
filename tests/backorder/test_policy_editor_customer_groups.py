"""The policy editor's customer groups: the groups come from BigCommerce (guests first, kept a few minutes), a
group a saved policy names is never hidden, and the live preview shows the storefront for a shopper of any group."""

import pytest

from backorder.services.policies import policy_create
from stores.bigcommerce.client import BigCommerceClient
from tests.backorder.conftest import SANDBOX_STORE, variant_make
from tests.conftest import store_client

pytestmark = pytest.mark.django_db

GROUPS = "/api/v1/customer-groups/"


def test_the_groups_are_bigcommerces_with_guests_first_and_read_once_for_a_while(connected_store, sandbox,
                                                                                 monkeypatch):  # fmt: skip
    trade = sandbox.add_customer_group(SANDBOX_STORE, "Trade")["id"]
    vip = sandbox.add_customer_group(SANDBOX_STORE, "Key accounts")["id"]
    asked = []
    original = BigCommerceClient.request
    monkeypatch.setattr(BigCommerceClient, "request", lambda self, method, path, **kw: asked.append(path)
                        or original(self, method, path, **kw))  # fmt: skip
    api = store_client(connected_store, signed_in_as=connected_store.owner)
    body = api.get(GROUPS).json()
    assert [(g["id"], g["name"]) for g in body["groups"]] == [
        (0, "Guests and shoppers in no group"), (trade, "Trade"), (vip, "Key accounts")
    ]  # fmt: skip
    assert body["bigcommerce"] is True and body["message"] == ""
    api.get(GROUPS)
    assert asked == ["/v2/customer_groups"]  # the second look came from the cache


def test_without_bigcommerce_the_editor_still_shows_guests_and_every_group_a_policy_names(store):
    variant_make()
    policy_create(data={"scope": "store", "customer_group_ids": [7]})
    body = store_client(store, signed_in_as=store.owner).get(GROUPS).json()
    assert [(g["id"], g["in_bigcommerce"]) for g in body["groups"]] == [(0, True), (7, False)]
    assert body["bigcommerce"] is False and "Connect the store" in body["message"]


def test_the_preview_shows_the_storefront_for_a_shopper_of_the_chosen_group(store):
    variant = variant_make(on_hand=0)
    api = store_client(store, signed_in_as=store.owner)
    draft = {"scope": "store", "customer_group_ids": [5], "enabled": True, "lead_time_days": 12}

    def preview(group: int) -> dict:
        response = api.post(
            "/api/v1/policies/preview/",
            {"variant_id": variant.bigcommerce_id, "policy": draft, "customer_group_id": group},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        return response.json()

    trade = preview(5)
    assert (trade["customer_group_id"], trade["applies"]) == (5, True)
    assert (trade["current"]["state"], trade["preview"]["state"]) == ("unavailable", "backorder")
    guests = preview(0)
    assert guests["applies"] is False and guests["preview"]["state"] == "unavailable"
    from backorder.models import Policy

    assert not Policy.objects.exclude(customer_group_ids=[]).exists()  # nothing was saved
