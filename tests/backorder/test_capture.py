"""Capture: BigCommerce orders become backorders, follow the order's fate, and the state goes back onto the
order. BigCommerce is the sandbox over loopback; webhooks are handed to the handler directly."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from backorder.handlers import order_changed
from backorder.models import Backorder, CartChoice, Policy, StockAdjustment, Variant, VariantAvailability
from backorder.services import allocation, capture
from backorder.services.availability import availability_refresh
from backorder.services.cart import cart_choice_record
from backorder.services.lifecycle import backorder_transition
from stores.bigcommerce.client import BigCommerceClient
from stores.bigcommerce.connection import client_for
from tests.backorder.conftest import SANDBOX_STORE as STORE

TODAY = date(2026, 11, 26)


# -- helpers -----------------------------------------------------------------------------------------------


@pytest.fixture
def calls(monkeypatch):
    """Every request the app sends to BigCommerce, as (method, path)."""
    sent: list[tuple[str, str]] = []
    original = BigCommerceClient.request

    def request(self, method, path, **kwargs):
        sent.append((method.upper(), path))
        return original(self, method, path, **kwargs)

    monkeypatch.setattr(BigCommerceClient, "request", request)
    return sent


def writes(sent: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [call for call in sent if call[0] != "GET"]


@pytest.fixture
def selling(connected_store):
    """The store sells on backorder: store-wide policy on, 10 days' lead time."""
    Policy.objects.update_or_create(
        scope=Policy.Scope.STORE, defaults={"enabled": True, "lead_time_days": 10, "max_units": None}
    )
    return connected_store


def stocked_variant(sandbox, *, on_hand: int, limit: int | None = 20, skip: tuple[int, ...] = ()) -> int:
    """A tracked variant of the sandbox store with this stock and backorder limit, mirrored; its id."""
    variant = (
        Variant.objects.filter(product__inventory_tracking="variant", is_deleted=False, purchasing_disabled=False)
        .exclude(bigcommerce_id__in=skip)
        .order_by("bigcommerce_id")
        .first()
    )
    sandbox.restock(STORE, quantity=on_hand, variant_id=variant.bigcommerce_id)
    sandbox.set_backorder_limit(STORE, limit, variant_id=variant.bigcommerce_id)
    Variant.objects.filter(pk=variant.pk).update(on_hand=on_hand, backorder_limit=limit, qty_backordered=0)
    availability_refresh(variant_ids=[variant.bigcommerce_id])
    return variant.bigcommerce_id


def order_event(order_id: int, scope: str = "store/order/created") -> dict:
    return {"scope": scope, "data": {"type": "order", "id": order_id}}


def deliver(store, *payloads) -> None:
    order_changed(store, list(payloads))


def line_of(order: dict, variant_id: int) -> dict:
    return next(line for line in order["lines"] if line["variant_id"] == variant_id)


# -- capture -----------------------------------------------------------------------------------------------


def test_an_order_with_backordered_lines_gets_one_backorder_per_backordered_line(selling, sandbox):
    short = stocked_variant(sandbox, on_hand=1)
    empty = stocked_variant(sandbox, on_hand=0, skip=(short,))
    plenty = stocked_variant(sandbox, on_hand=50, skip=(short, empty))
    order = sandbox.place_order(
        STORE,
        [
            {"variant_id": short, "quantity": 3},
            {"variant_id": empty, "quantity": 2},
            {"variant_id": plenty, "quantity": 1},
        ],
        email="ada@example.com",
        customer_id=7,
    )

    deliver(selling, order_event(order["id"]))

    backorders = {b.variant_id: b for b in Backorder.objects.filter(order_id=order["id"])}
    assert set(backorders) == {short, empty}  # the in-stock line is no backorder
    first = backorders[short]
    assert first.order_line_id == line_of(order, short)["id"]
    assert first.quantity == 2  # 3 ordered, 1 from stock
    assert (first.status, first.quantity_allocated) == ("waiting", 0)  # the unit the order took is not free
    assert (first.customer_email, first.customer_id, first.customer_name) == ("ada@example.com", 7, "Sandbox Shopper")
    assert first.customer_locale == "en"
    assert first.cart_id == order["cart_id"]
    assert first.channel_id == 1
    assert first.product_id == line_of(order, short)["product_id"]
    assert first.sku == line_of(order, short)["sku"]
    assert first.product_name == line_of(order, short)["name"]
    assert first.unit_price == Decimal(line_of(order, short)["price_inc_tax"])
    assert first.currency == "USD"
    assert abs((first.order_created_at - datetime.now(UTC)).total_seconds()) < 60
    assert first.promised_ship_date is not None
    assert first.expected_ship_date == first.promised_ship_date
    assert first.shipping_preference == "together"
    store_policy = Policy.objects.get(scope="store")
    assert first.policy["id"] == store_policy.pk
    assert first.policy["scope"] == "store"
    assert first.policy["lead_time_days"] == 10
    assert first.policy["shopper_may_cancel"] == store_policy.shopper_may_cancel
    event = first.events.get()
    assert (event.kind, event.actor, event.to_status) == ("captured", "bigcommerce", "waiting")
    assert event.details["source"] == "quantity_backordered"
    assert backorders[empty].quantity == 2


def test_a_variant_without_a_projection_yet_still_gets_a_promised_date(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    VariantAvailability.objects.filter(variant_id=variant).delete()
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 1}])

    deliver(selling, order_event(order["id"]))

    assert Backorder.objects.get(order_id=order["id"]).promised_ship_date is not None


def test_the_later_of_two_orders_is_promised_a_date_no_earlier_than_the_first(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    first = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    second = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])

    deliver(selling, order_event(first["id"]), order_event(second["id"]))

    one, two = Backorder.objects.filter(variant_id=variant).order_by("order_id")
    assert one.promised_ship_date <= two.promised_ship_date


def test_capturing_an_order_twice_creates_nothing_more(selling, sandbox, calls):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    deliver(selling, order_event(order["id"]))
    before = list(Backorder.objects.filter(order_id=order["id"]).values())

    calls.clear()
    deliver(
        selling, order_event(order["id"], "store/order/updated"), order_event(order["id"], "store/order/statusUpdated")
    )

    assert list(Backorder.objects.filter(order_id=order["id"]).values()) == before
    assert Backorder.objects.get(order_id=order["id"]).events.count() == 1
    assert writes(calls) == []
    assert [c for c in calls if c == ("GET", f"/v2/orders/{order['id']}")] == [("GET", f"/v2/orders/{order['id']}")]


@pytest.mark.parametrize("status_id", [0, 1, 6], ids=["incomplete", "pending", "declined"])
def test_orders_not_yet_placed_or_declined_create_nothing(selling, sandbox, status_id, calls):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}], status_id=status_id)

    deliver(selling, order_event(order["id"]))

    assert not Backorder.objects.exists()
    assert calls == [("GET", f"/v2/orders/{order['id']}")]  # one read, nothing else


def test_an_incomplete_order_is_captured_once_it_awaits_fulfillment(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 3}], status_id=0)
    deliver(selling, order_event(order["id"]))
    assert not Backorder.objects.exists()

    sandbox.set_order_status(STORE, order["id"], 11)
    deliver(selling, order_event(order["id"], "store/order/statusUpdated"))

    assert Backorder.objects.get(order_id=order["id"]).quantity == 3


def test_an_order_entirely_in_stock_costs_two_reads_and_writes_nothing(selling, sandbox, calls):
    variant = stocked_variant(sandbox, on_hand=10)
    order = sandbox.place_order(
        STORE, [{"variant_id": variant, "quantity": 2}, {"name": "Gift wrap", "price_inc_tax": 5, "quantity": 1}]
    )

    deliver(selling, order_event(order["id"]))

    assert not Backorder.objects.exists()
    assert calls == [("GET", f"/v2/orders/{order['id']}"), ("GET", f"/v2/orders/{order['id']}/products")]


def test_custom_product_lines_are_never_backorders(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(
        STORE, [{"name": "Engraving", "price_inc_tax": 5, "quantity": 2}, {"variant_id": variant, "quantity": 1}]
    )

    deliver(selling, order_event(order["id"]))

    assert list(Backorder.objects.values_list("variant_id", flat=True)) == [variant]


def test_the_shipping_choice_made_in_the_cart_applies_to_the_order_from_that_cart(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 1}], status_id=0)
    cart_choice_record(cart_id=order["cart_id"], shipping_preference="available_first")
    cart_choice_record(cart_id="another-cart", shipping_preference="together")
    sandbox.set_order_status(STORE, order["id"], 11)

    deliver(selling, order_event(order["id"]))

    assert Backorder.objects.get(order_id=order["id"]).shipping_preference == "available_first"


def test_without_a_cart_choice_the_policy_preference_applies(selling, sandbox):
    Policy.objects.filter(scope="store").update(shipping_preference="available_first")
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 1}])

    deliver(selling, order_event(order["id"]))

    assert Backorder.objects.get(order_id=order["id"]).shipping_preference == "available_first"


def test_capture_asks_allocation_to_look_at_the_variants_with_waiting_units(selling, sandbox, monkeypatch):
    asked = []
    monkeypatch.setattr(allocation, "allocation_run", lambda **kwargs: asked.append(kwargs) or 0)
    waiting = stocked_variant(sandbox, on_hand=0)
    in_stock = stocked_variant(sandbox, on_hand=10, skip=(waiting,))
    order = sandbox.place_order(
        STORE, [{"variant_id": waiting, "quantity": 1}, {"variant_id": in_stock, "quantity": 1}]
    )

    deliver(selling, order_event(order["id"]))
    deliver(selling, order_event(order["id"], "store/order/updated"))

    assert asked == [{"variant_id": waiting, "source": "capture"}]  # once, for the variant with waiting units


def test_a_store_without_native_backorders_counts_the_units_beyond_the_mirrored_stock(selling, sandbox):
    # Without native backorders BigCommerce refuses orders beyond on-hand, so the order is placed while stock
    # exists and the mirror's on-hand is lowered afterwards, as if the mirror knew the stock was really gone.
    variant = stocked_variant(sandbox, on_hand=5, limit=0)
    sandbox.set_store_settings(STORE, backorders_enabled=False)
    selling.native_backorders = False
    selling.save(update_fields=["native_backorders"])
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 3}])
    Variant.objects.filter(bigcommerce_id=variant).update(on_hand=1)

    deliver(selling, order_event(order["id"]))

    backorder = Backorder.objects.get(order_id=order["id"])
    assert backorder.quantity == 2
    assert backorder.events.get(kind="captured").details["source"] == "stock_mirror"


def test_an_order_that_does_not_exist_is_logged_and_ignored(selling, sandbox, calls, caplog):
    deliver(selling, order_event(999999))

    assert not Backorder.objects.exists()
    assert writes(calls) == []
    assert "999999 not found" in caplog.text


# -- cancellation ----------------------------------------------------------------------------------------


def _cancel_by_status(sandbox, client, order_id):
    sandbox.set_order_status(STORE, order_id, 5)
    return "store/order/statusUpdated", "Order cancelled in BigCommerce"


def _refund_by_status(sandbox, client, order_id):
    sandbox.set_order_status(STORE, order_id, 4)
    return "store/order/statusUpdated", "Order refunded in BigCommerce"


def _decline(sandbox, client, order_id):
    sandbox.set_order_status(STORE, order_id, 6)
    return "store/order/statusUpdated", "Order declined in BigCommerce"


def _archive(sandbox, client, order_id):
    client.delete(f"/v2/orders/{order_id}")
    return "store/order/archived", "Order archived in BigCommerce"


@pytest.mark.parametrize("change", [_cancel_by_status, _refund_by_status, _decline, _archive])
def test_an_order_cancelled_refunded_declined_or_archived_cancels_its_backorders(selling, sandbox, change):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    deliver(selling, order_event(order["id"]))

    scope, reason = change(sandbox, client_for(selling), order["id"])
    deliver(selling, order_event(order["id"], scope))

    backorder = Backorder.objects.get(order_id=order["id"])
    assert backorder.status == "cancelled"
    assert backorder.cancellation_reason == reason
    assert backorder.events.filter(to_status="cancelled").count() == 1
    deliver(selling, order_event(order["id"], "store/order/updated"))  # again: nothing more
    assert backorder.events.filter(to_status="cancelled").count() == 1


def test_archiving_also_takes_the_units_out_of_bigcommerces_backordered_count(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    cancelled = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 1}])
    archived = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    deliver(selling, order_event(cancelled["id"]), order_event(archived["id"]))

    sandbox.set_order_status(STORE, cancelled["id"], 5)  # BigCommerce releases the unit itself
    client_for(selling).delete(f"/v2/orders/{archived['id']}")  # archiving moves no stock
    deliver(
        selling,
        order_event(cancelled["id"], "store/order/updated"),
        order_event(archived["id"], "store/order/archived"),
    )

    owed = StockAdjustment.objects.filter(variant_id=variant).values_list("on_hand_delta", "qty_backordered_delta")
    assert list(owed) == [(0, -2)]


def test_an_archive_event_for_an_order_bigcommerce_no_longer_returns_still_cancels(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    deliver(selling, order_event(order["id"]))
    Backorder.objects.filter(order_id=order["id"]).update(order_id=888888)  # an id the sandbox never issued

    deliver(selling, order_event(888888, "store/order/archived"))

    assert Backorder.objects.get(order_id=888888).status == "cancelled"


# -- shipments ----------------------------------------------------------------------------------------------


def test_a_shipment_of_the_whole_line_makes_its_backorder_shipped_with_the_tracking_number(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    deliver(selling, order_event(order["id"]))
    backorder = Backorder.objects.get(order_id=order["id"])
    backorder.quantity_allocated = 2
    backorder_transition(
        backorder=backorder, to_status="allocated", kind="allocated", save_fields=("quantity_allocated",)
    )

    shipment = sandbox.ship_order(STORE, order["id"], tracking_number="EJ958083578US")
    deliver(
        selling,
        {"scope": "store/shipment/created", "data": {"type": "shipment", "id": shipment["id"], "orderId": order["id"]}},
    )

    backorder.refresh_from_db()
    assert backorder.status == "shipped"
    assert backorder.quantity_shipped == 2
    assert backorder.shipped_at is not None
    event = backorder.events.get(kind="shipped")
    assert (event.actor, event.from_status, event.details) == (
        "bigcommerce",
        "allocated",
        {"tracking_number": "EJ958083578US"},
    )
    assert not backorder.events.filter(kind="shipped_unallocated").exists()


def test_a_waiting_backorder_that_bigcommerce_ships_anyway_is_shipped_with_a_note(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    deliver(selling, order_event(order["id"]))

    shipment = sandbox.ship_order(STORE, order["id"])
    deliver(
        selling,
        {"scope": "store/shipment/created", "data": {"type": "shipment", "id": shipment["id"], "orderId": order["id"]}},
    )

    backorder = Backorder.objects.get(order_id=order["id"])
    assert backorder.status == "shipped"
    note = backorder.events.get(kind="shipped_unallocated")
    assert note.details == {"units_not_allocated": 2}


def test_shipping_only_the_in_stock_units_leaves_the_backorder_waiting(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=1)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 3}])
    deliver(selling, order_event(order["id"]))
    line = line_of(order, variant)

    sandbox.ship_order(STORE, order["id"], [{"order_product_id": line["id"], "quantity": 1}])
    deliver(selling, order_event(order["id"], "store/order/updated"))
    backorder = Backorder.objects.get(order_id=order["id"])
    assert (backorder.status, backorder.quantity_shipped) == ("waiting", 0)

    sandbox.ship_order(STORE, order["id"], [{"order_product_id": line["id"], "quantity": 1}])
    deliver(selling, order_event(order["id"], "store/order/updated"))
    backorder.refresh_from_db()
    assert (backorder.status, backorder.quantity_shipped) == ("waiting", 1)


def test_an_order_first_seen_already_shipped_is_captured_and_shipped(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    sandbox.ship_order(STORE, order["id"], tracking_number="1Z999")

    deliver(selling, order_event(order["id"], "store/order/updated"))

    backorder = Backorder.objects.get(order_id=order["id"])
    assert backorder.status == "shipped"
    assert list(backorder.events.values_list("kind", flat=True)) == ["captured", "shipped_unallocated", "shipped"]


def test_a_captured_order_is_still_followed_after_it_leaves_the_placed_statuses(selling, sandbox):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    deliver(selling, order_event(order["id"]))
    sandbox.ship_order(STORE, order["id"])
    sandbox.set_order_status(STORE, order["id"], 13)  # Disputed: not a placed status

    deliver(selling, order_event(order["id"], "store/order/statusUpdated"))

    assert Backorder.objects.get(order_id=order["id"]).status == "shipped"


# -- write-back ---------------------------------------------------------------------------------------------


def metafield_of(sandbox, order_id: int) -> dict:
    store = sandbox.state.stores[STORE]
    found = [m for m in store.order_metafields.values() if m["resource_id"] == order_id]
    assert len(found) == 1
    return found[0]


def test_the_state_is_written_to_the_order_as_a_metafield_and_one_staff_note_line(selling, sandbox, calls):
    short = stocked_variant(sandbox, on_hand=1)
    plenty = stocked_variant(sandbox, on_hand=50, skip=(short,))
    order = sandbox.place_order(STORE, [{"variant_id": short, "quantity": 3}, {"variant_id": plenty, "quantity": 1}])
    client_for(selling).put(
        f"/v2/orders/{order['id']}", json={"staff_notes": "Gift: wrap in blue paper.\nCall before delivery."}
    )

    deliver(selling, order_event(order["id"]))

    backorder = Backorder.objects.get(order_id=order["id"])
    metafield = metafield_of(sandbox, order["id"])
    assert (metafield["namespace"], metafield["key"], metafield["permission_set"]) == ("backorder", "state", "app_only")
    assert json.loads(metafield["value"]) == {
        "lines": {
            str(backorder.order_line_id): {
                "status": "waiting",
                "quantity": 2,
                "allocated": 0,
                "expected_ship_date": backorder.expected_ship_date.isoformat(),
            }
        }
    }
    assert "\n" not in metafield["value"] and ": " not in metafield["value"]  # compact
    notes = sandbox.get_order(STORE, order["id"])["staff_notes"].split("\n")
    today = datetime.now(UTC).date().isoformat()
    assert notes == [
        "Gift: wrap in blue paper.",
        "Call before delivery.",
        f"Backorder: 2 of 4 units backordered, expected {backorder.expected_ship_date.isoformat()} (updated {today})",
    ]


def test_the_webhook_caused_by_our_own_write_back_writes_nothing(selling, sandbox, calls):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    deliver(selling, order_event(order["id"]))
    assert writes(calls) == [
        ("POST", f"/v3/orders/{order['id']}/metafields"),
        ("PUT", f"/v2/orders/{order['id']}"),
    ]
    modified = sandbox.get_order(STORE, order["id"])["date_modified"]

    calls.clear()
    deliver(selling, order_event(order["id"], "store/order/updated"))  # what our staff-note PUT fires

    assert writes(calls) == []
    assert sandbox.get_order(STORE, order["id"])["date_modified"] == modified


def test_a_change_of_state_rewrites_our_line_in_place_and_keeps_the_merchants_notes(selling, sandbox, calls):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    deliver(selling, order_event(order["id"]))
    client = client_for(selling)
    ours = sandbox.get_order(STORE, order["id"])["staff_notes"]
    client.put(f"/v2/orders/{order['id']}", json={"staff_notes": f"First note.\n{ours}\nLast note."})

    sandbox.set_order_status(STORE, order["id"], 5)
    calls.clear()
    deliver(selling, order_event(order["id"], "store/order/statusUpdated"))

    notes = sandbox.get_order(STORE, order["id"])["staff_notes"].split("\n")
    assert notes[0] == "First note." and notes[2] == "Last note."
    assert notes[1].startswith("Backorder: 2 backordered units cancelled (updated ")
    assert json.loads(metafield_of(sandbox, order["id"])["value"])["lines"].popitem()[1]["status"] == "cancelled"
    assert sorted(writes(calls)) == sorted(
        [
            ("PUT", f"/v3/orders/{order['id']}/metafields/{metafield_of(sandbox, order['id'])['id']}"),
            ("PUT", f"/v2/orders/{order['id']}"),
        ]
    )


def test_a_new_day_alone_does_not_rewrite_the_staff_note(selling, sandbox, calls):
    variant = stocked_variant(sandbox, on_hand=0)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 2}])
    deliver(selling, order_event(order["id"]))
    client = client_for(selling)

    calls.clear()
    capture.order_state_write_back(client=client, order_id=order["id"], today=date(2099, 1, 1))

    assert writes(calls) == []


def test_orders_without_backorders_are_never_written_to(selling, sandbox, calls):
    variant = stocked_variant(sandbox, on_hand=10)
    order = sandbox.place_order(STORE, [{"variant_id": variant, "quantity": 1}])

    result = capture.order_state_write_back(client=client_for(selling), order_id=order["id"])

    assert result.metafield == "none" and calls == []


# -- the pieces ------------------------------------------------------------------------------------------------


def test_order_ids_come_from_order_and_shipment_events_once_each():
    payloads = [
        {"scope": "store/order/created", "data": {"type": "order", "id": 250}},
        {"scope": "store/order/statusUpdated", "data": {"type": "order", "id": 250, "status": {}}},
        {"scope": "store/shipment/created", "data": {"type": "shipment", "id": 12, "orderId": 251}},
        {"scope": "store/order/archived", "data": {"type": "order", "id": 252}},
        {"scope": "store/order/metafield/created", "data": {"metafield_id": 14, "resource_id": "250"}},
        {"scope": "store/order/transaction/created", "data": {"type": "transaction", "order_id": "253"}},
    ]
    assert capture.order_ids_in(payloads) == ([250, 251, 252], {252})


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ("", "LINE"),
        ("Merchant note.", "Merchant note.\nLINE"),
        ("Merchant note.\n\n", "Merchant note.\nLINE"),
        ("A\r\nBackorder: 1 of 1 unit backordered, date not known yet (updated 2026-11-01)\r\nB", "A\r\nLINE\r\nB"),
        ("Backorder: old (updated 2026-11-01)\nBackorder: older (updated 2026-10-01)", "LINE"),
        ("Backorder: ask the merchant", "Backorder: ask the merchant\nLINE"),  # not our line
    ],
)
def test_staff_notes_merge_replaces_our_line_and_keeps_everything_else(current, expected):
    line = "Backorder: 2 of 3 units backordered, expected 2027-03-14 (updated 2026-11-26)"
    assert capture.staff_notes_merge(current, line) == expected.replace("LINE", line)


def test_staff_notes_merge_finds_nothing_to_write_when_only_the_date_differs():
    current = "Note.\nBackorder: 2 of 3 units backordered, expected 2027-03-14 (updated 2026-11-01)"
    line = "Backorder: 2 of 3 units backordered, expected 2027-03-14 (updated 2026-11-26)"
    assert capture.staff_notes_merge(current, line) is None


def test_staff_note_line_says_what_the_merchant_needs(store):
    waiting = Backorder(
        order_line_id=1, quantity=2, quantity_allocated=1, status="waiting", expected_ship_date=date(2027, 3, 14)
    )
    assert capture.staff_note_line([waiting], items_total=3, today=TODAY) == (
        "Backorder: 2 of 3 units backordered, 1 allocated, expected 2027-03-14 (updated 2026-11-26)"
    )
    unknown = Backorder(order_line_id=1, quantity=1, status="waiting")
    assert capture.staff_note_line([unknown], items_total=1, today=TODAY) == (
        "Backorder: 1 of 1 unit backordered, date not known yet (updated 2026-11-26)"
    )
    ready = Backorder(order_line_id=1, quantity=2, quantity_allocated=2, status="allocated")
    assert capture.staff_note_line([ready], items_total=2, today=TODAY) == (
        "Backorder: 2 of 2 units backordered, all allocated, ready to ship (updated 2026-11-26)"
    )
    done = [
        Backorder(order_line_id=1, quantity=1, status="shipped"),
        Backorder(order_line_id=2, quantity=2, status="cancelled"),
    ]
    assert capture.staff_note_line(done, items_total=5, today=TODAY) == (
        "Backorder: 1 backordered unit shipped, 2 cancelled (updated 2026-11-26)"
    )


def test_a_cart_choice_is_recorded_and_the_latest_wins(store):
    cart_choice_record(cart_id="cart-1", shipping_preference="together")
    choice = cart_choice_record(cart_id="cart-1", shipping_preference="available_first")
    assert CartChoice.objects.get().shipping_preference == "available_first" == choice.shipping_preference


@pytest.mark.parametrize(
    ("cart_id", "preference", "field"),
    [
        ("", "together", "cart_id"),
        ("x" * 65, "together", "cart_id"),
        ("cart-1", "shopper_chooses", "shipping_preference"),
        ("cart-1", "fast", "shipping_preference"),
    ],
)
def test_a_cart_choice_must_be_a_real_choice_for_a_real_cart(store, cart_id, preference, field):
    with pytest.raises(ValidationError) as error:
        cart_choice_record(cart_id=cart_id, shipping_preference=preference)
    assert field in error.value.message_dict
    assert not CartChoice.objects.exists()
