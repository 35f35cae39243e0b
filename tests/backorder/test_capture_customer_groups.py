"""Capture by customer group: a backorder follows the policy of its order's customer group (the customer's group
as BigCommerce says; a guest's is 0), and a line its group's policy does not allow is still captured (BigCommerce
sold it, its checkout cannot tell groups apart) with a task for the merchant."""

from datetime import timedelta

import pytest

from backorder.models import Backorder, BackorderEvent, MerchantTask, Policy
from backorder.services.availability import store_today
from backorder.services.policies import policy_create
from stores.bigcommerce.client import BigCommerceClient
from tests.backorder.conftest import SANDBOX_STORE as STORE
from tests.backorder.test_capture import deliver, order_event, stocked_variant


@pytest.fixture
def paths(monkeypatch) -> list[str]:
    """The path of every request the app sends to BigCommerce."""
    sent: list[str] = []
    original = BigCommerceClient.request
    monkeypatch.setattr(BigCommerceClient, "request", lambda self, method, path, **kw: sent.append(path)
                        or original(self, method, path, **kw))  # fmt: skip
    return sent


@pytest.fixture
def trade(connected_store, sandbox):
    """A Trade customer group in BigCommerce with one buyer, and a store-wide policy for it: backorders with a
    30-day lead time and at most 5 units per order. Everyone else: backorders off (a new store's default)."""
    group = sandbox.add_customer_group(STORE, "Trade")["id"]
    buyer = sandbox.add_customer(STORE, "buyer@trade.example", customer_group_id=group)
    policy_create(data={"scope": "store", "customer_group_ids": [group], "enabled": True, "lead_time_days": 30,
                        "max_per_order": 5})  # fmt: skip
    return {"group": group, "buyer": buyer["id"]}


def order_of(sandbox, store, variant_id: int, quantity: int, customer_id: int = 0) -> Backorder:
    order = sandbox.place_order(STORE, [{"variant_id": variant_id, "quantity": quantity}],
                                email="someone@example.com", customer_id=customer_id)  # fmt: skip
    deliver(store, order_event(order["id"]))
    return Backorder.objects.get(order_id=order["id"])


def test_a_trade_buyers_backorder_is_dated_by_the_trade_policy(connected_store, sandbox, trade):
    Policy.objects.filter(scope="store", customer_group_ids=[]).update(enabled=True, lead_time_days=10)
    variant = stocked_variant(sandbox, on_hand=0)
    buyers = order_of(sandbox, connected_store, variant, 2, customer_id=trade["buyer"])
    assert buyers.promised_ship_date == store_today() + timedelta(days=30)
    assert (buyers.policy["customer_group_id"], buyers.policy["customer_group_ids"]) == (trade["group"],
                                                                                          [trade["group"]])  # fmt: skip
    guests = order_of(sandbox, connected_store, variant, 1)
    assert guests.promised_ship_date == store_today() + timedelta(days=10)
    assert guests.policy["customer_group_id"] == 0
    assert not MerchantTask.objects.exists()


def test_a_backorder_its_group_may_not_place_is_captured_with_a_task_for_the_merchant(connected_store, sandbox, trade):
    variant = stocked_variant(sandbox, on_hand=0)  # the limit is open: trade buyers may backorder
    guests = order_of(sandbox, connected_store, variant, 1)
    assert guests.status == "waiting"  # BigCommerce sold it: it is counted and waits like any other
    flagged = BackorderEvent.objects.get(backorder=guests, kind="group_not_allowed")
    assert flagged.details == {"customer_group_id": 0, "reason": "Its customer group's policy does not sell it beyond "
                               "stock."}  # fmt: skip
    task = MerchantTask.objects.get(backorder=guests)
    assert (task.kind, task.order_id, task.status) == ("group_not_allowed", guests.order_id, "open")

    too_many = order_of(sandbox, connected_store, variant, 7, customer_id=trade["buyer"])
    assert "5 per order" in MerchantTask.objects.get(backorder=too_many).details["reason"]
    fine = order_of(sandbox, connected_store, variant, 3, customer_id=trade["buyer"])
    assert not MerchantTask.objects.filter(backorder=fine).exists()


def test_without_group_policies_capture_asks_bigcommerce_nothing_about_customers(connected_store, sandbox, paths):
    Policy.objects.filter(scope="store").update(enabled=True, lead_time_days=10)
    variant = stocked_variant(sandbox, on_hand=0)
    order_of(sandbox, connected_store, variant, 1, customer_id=sandbox.add_customer(STORE, "a@example.com")["id"])
    assert "/v2/orders" in " ".join(paths) and not [path for path in paths if path.startswith("/v3/customers")]
