"""The shopper's self-service page: a signed link shows each line, its date history, and lets the shopper
accept a delay, cancel (behind a confirmation) or change how the order ships; scanners change nothing."""

import re
import time
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from backorder.models import Backorder, BackorderEvent
from backorder.services.backorder_actions import backorder_date_change
from backorder.services.lifecycle import backorder_event_record
from notifications.models import Notification
from notifications.self_service.links import self_service_url
from notifications.self_service.services import access_revoke
from notifications.self_service.tokens import link_token_make
from tests.backorder.conftest import SANDBOX_STORE, backorder_make, variant_make
from tests.backorder.test_allocation import (
    allocated,
    bigcommerce_stock,
    client_of,
    mirror_refresh,
    order_place,
    tracked_variant,
)

pytestmark = pytest.mark.django_db

EMAIL = "Jane.Doe@Example.com"


def order_of(store, *quantities, email=EMAIL, policy=None, **fields):
    """One order with a backordered line per quantity, each with its `captured` line on the timeline."""
    variant = variant_make(on_hand=0)
    order_id = fields.pop("order_id", 77000 + Backorder.objects.count())
    lines = []
    for quantity in quantities:
        backorder = backorder_make(
            variant, quantity, order_id=order_id, customer_email=email, product_name=f"Tent {quantity}",
            promised_ship_date=date(2027, 3, 1), expected_ship_date=date(2027, 3, 1),
            policy={"shopper_may_cancel": "until_allocated", **(policy or {})}, **fields,
        )  # fmt: skip
        backorder_event_record(backorder=backorder, kind="captured", details={"promised_ship_date": "2027-03-01"})
        lines.append(backorder)
    return lines


def path_of(url: str) -> str:
    return urlsplit(url).path


def browse(client, store, method, path, data=None, **extra):
    """One request on the public host; the middleware leaves the public schema active, so step back in."""
    response = getattr(client, method)(path, data or {}, **extra)
    connection.set_tenant(store)
    return response


@pytest.fixture
def shopper(settings):
    return Client(HTTP_HOST=settings.PUBLIC_HOST)


def test_the_link_shows_each_line_its_status_and_its_date_history(store, shopper):
    first, second = order_of(store, 2, 1)
    backorder_date_change(backorder=first, expected_ship_date=date(2027, 3, 10), actor="merchant", actor_label="m")
    Backorder.objects.filter(pk=second.pk).update(status="allocated", quantity_allocated=1)

    page = browse(shopper, store, "get", path_of(self_service_url(order_id=first.order_id, email=EMAIL)))

    assert page.status_code == 200
    html = page.content.decode()
    assert f"Your order {first.order_id}" in html and store.name in html
    assert re.search(r"--accent: #[0-9a-fA-F]{6}", html)  # the store's brand colour
    assert "Waiting for stock" in html and "Reserved for you: ready to ship" in html
    assert "Ordered: ships by Mar 1, 2027" in html
    assert "New date Mar 10, 2027 (was Mar 1, 2027)" in html
    assert "Accept the new date" in html
    assert page["Cache-Control"] == "no-store, private" and page["Referrer-Policy"] == "no-referrer"


def test_the_page_speaks_the_shoppers_language(store, shopper):
    (line,) = order_of(store, 1, customer_locale="de-DE")

    page = browse(shopper, store, "get", path_of(self_service_url(order_id=line.order_id, email=EMAIL)))

    assert f"Ihre Bestellung {line.order_id}" in page.content.decode()
    assert '<html lang="de">' in page.content.decode()


def test_the_page_costs_a_fixed_handful_of_queries(store, shopper, django_assert_max_num_queries):
    lines = order_of(store, 1, 2, 3)
    url = path_of(self_service_url(order_id=lines[0].order_id, email=EMAIL))

    # Public host lookup, the store, the order's lines, the link's version, their timeline, the store's brand
    # colour (+ search_path sets), however many lines the order has.
    with django_assert_max_num_queries(9):
        assert browse(shopper, store, "get", url).status_code == 200


def test_link_scanners_that_open_every_link_change_nothing(store, shopper):
    first, second = order_of(store, 2, 1, policy={"shipping_preference": "shopper_chooses"})
    backorder_date_change(backorder=first, expected_ship_date=date(2027, 6, 1), actor="merchant", actor_label="m")
    before = list(BackorderEvent.objects.order_by("id").values_list("id", flat=True))
    page = browse(shopper, store, "get", path_of(self_service_url(order_id=first.order_id, email=EMAIL)))
    links = set(re.findall(r'href="(/s/[^"]+)"', page.content.decode()))
    assert len(links) >= 4  # accept, cancel (x2), cancel all, shipping

    for link in links:
        assert browse(shopper, store, "get", link).status_code == 200  # a confirmation page, nothing more

    assert list(BackorderEvent.objects.order_by("id").values_list("id", flat=True)) == before
    assert set(Backorder.objects.values_list("status", flat=True)) == {"waiting"}
    assert Backorder.objects.get(pk=first.pk).delay_consent_due_on is not None


def test_accepting_a_delay_is_a_confirmed_post_with_the_csrf_token(store, settings):
    (line,) = order_of(store, 1)
    backorder_date_change(backorder=line, expected_ship_date=date(2027, 6, 1), actor="merchant", actor_label="m")
    browser = Client(HTTP_HOST=settings.PUBLIC_HOST, enforce_csrf_checks=True)
    url = path_of(self_service_url(order_id=line.order_id, email=EMAIL)) + f"accept/{line.pk}/"

    confirm = browse(browser, store, "get", url)
    assert "Accept the new date for Tent 1: Jun 1, 2027?" in confirm.content.decode()
    assert browse(browser, store, "post", url, {"confirm": "yes"}).status_code == 403  # no CSRF token: refused
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', confirm.content.decode())[1]
    done = browse(browser, store, "post", url, {"confirm": "yes", "csrfmiddlewaretoken": token})

    assert done.status_code == 303 and done["Location"].endswith("?done=accepted")
    line.refresh_from_db()
    assert line.delay_consent_due_on is None
    accepted = line.events.get(kind="delay_accepted")
    assert (accepted.actor, accepted.details["date"]) == ("shopper", "2027-06-01")
    assert "you accepted the new date" in browse(browser, store, "get", done["Location"]).content.decode()


def test_a_post_without_the_confirmation_field_changes_nothing(store, shopper):
    (line,) = order_of(store, 1)
    url = path_of(self_service_url(order_id=line.order_id, email=EMAIL)) + f"cancel/{line.pk}/"

    assert browse(shopper, store, "post", url, {}).status_code == 400

    assert Backorder.objects.get(pk=line.pk).status == "waiting"


def test_cancelling_a_line_goes_through_the_cancellation_service(store, shopper, django_capture_on_commit_callbacks):
    first, second = order_of(store, 2, 1)
    url = path_of(self_service_url(order_id=first.order_id, email=EMAIL)) + f"cancel/{first.pk}/"

    assert "Cancel 2 × Tent 2?" in browse(shopper, store, "get", url).content.decode()
    with django_capture_on_commit_callbacks() as queued:
        done = browse(shopper, store, "post", url, {"confirm": "yes"})

    assert done["Location"].endswith("?done=cancelled")
    first.refresh_from_db()
    assert (first.status, first.cancellation_reason) == ("cancelled", "Cancelled by the shopper")
    assert first.events.get(kind="cancelled").actor == "shopper"
    assert first.events.filter(kind="bigcommerce_follow_up_owed", details__refund=True).exists()
    assert len(queued) >= 1  # the refund follows after the commit, from a task
    assert Backorder.objects.get(pk=second.pk).status == "waiting"


def test_a_shoppers_cancellation_refunds_them_in_bigcommerce_and_serves_the_next_in_line(
    connected_store, sandbox, shopper, django_capture_on_commit_callbacks
):
    from backorder.services.allocation import allocation_run

    variant = tracked_variant(sandbox, connected_store)
    first = order_place(sandbox, variant, 2, policy={"shopper_may_cancel": "until_shipped"})  # s@example.com
    second = order_place(sandbox, variant, 2)
    sandbox.restock(SANDBOX_STORE, quantity=2, variant_id=variant.bigcommerce_id, relative=True)
    mirror_refresh(connected_store, variant)
    with django_capture_on_commit_callbacks(execute=True):
        allocation_run(variant_id=variant.bigcommerce_id)
    assert allocated(first, second) == [2, 0]
    url = path_of(self_service_url(order_id=first.order_id, email="s@example.com")) + f"cancel/{first.pk}/"

    with django_capture_on_commit_callbacks(execute=True):
        response = shopper.post(url, {"confirm": "yes"})
        connection.set_tenant(connected_store)  # the follow-up task runs after the commit, in the store

    assert response.status_code == 303
    assert allocated(first, second) == [0, 2]
    refunds = client_of(connected_store).get_data(f"/v3/orders/{first.order_id}/payment_actions/refunds")
    assert len(refunds) == 1 and refunds[0]["items"][0]["quantity"] == 2
    assert sandbox.get_order(SANDBOX_STORE, first.order_id)["status_id"] == 5
    assert bigcommerce_stock(sandbox, variant) == (0, 0)


def test_cancelling_the_whole_order_cancels_only_what_the_policy_allows(store, shopper):
    waiting, allocated = order_of(store, 2, 1)
    Backorder.objects.filter(pk=allocated.pk).update(status="allocated", quantity_allocated=1)
    third = order_of(store, 3, order_id=waiting.order_id)[0]
    url = path_of(self_service_url(order_id=waiting.order_id, email=EMAIL)) + "cancel/"

    browse(shopper, store, "post", url, {"confirm": "yes"})

    statuses = dict(Backorder.objects.values_list("pk", "status"))
    assert (statuses[waiting.pk], statuses[allocated.pk], statuses[third.pk]) == ("cancelled", "allocated", "cancelled")


def test_a_line_the_policy_keeps_cannot_be_cancelled_from_the_page(store, shopper):
    (line,) = order_of(store, 1, policy={"shopper_may_cancel": "never"})
    base = path_of(self_service_url(order_id=line.order_id, email=EMAIL))

    page = browse(shopper, store, "get", base)
    refused = browse(shopper, store, "post", f"{base}cancel/{line.pk}/", {"confirm": "yes"})

    assert "can no longer be cancelled here" in page.content.decode()
    assert refused.status_code == 303 and refused["Location"].endswith("?done=not_possible")
    assert Backorder.objects.get(pk=line.pk).status == "waiting"


def test_a_long_delay_lets_the_shopper_refuse_it_even_when_the_policy_keeps_the_line(store, shopper):
    (line,) = order_of(store, 1, policy={"shopper_may_cancel": "never"})
    backorder_date_change(backorder=line, expected_ship_date=date(2027, 9, 1), actor="merchant", actor_label="m")
    base = path_of(self_service_url(order_id=line.order_id, email=EMAIL))

    browse(shopper, store, "post", f"{base}cancel/{line.pk}/", {"confirm": "yes"})

    line.refresh_from_db()
    assert line.status == "cancelled"
    assert line.events.get(kind="cancelled").actor_label == "The shopper declined the delay"


def test_the_shopper_changes_how_the_order_ships_until_something_ships(store, shopper):
    first, second = order_of(store, 1, 2, policy={"shipping_preference": "shopper_chooses"})
    base = path_of(self_service_url(order_id=first.order_id, email=EMAIL))
    assert "Ship what is ready first" in browse(shopper, store, "get", base).content.decode()

    done = browse(shopper, store, "post", f"{base}shipping/available_first/", {"confirm": "yes"})

    assert done["Location"].endswith("?done=shipping")
    assert set(Backorder.objects.values_list("shipping_preference", flat=True)) == {"available_first"}
    assert first.events.get(kind="shipping_preference_changed").details == {"from": "together", "to": "available_first"}
    Backorder.objects.filter(pk=second.pk).update(status="shipped", quantity_shipped=2)
    late = browse(shopper, store, "post", f"{base}shipping/together/", {"confirm": "yes"})
    assert late["Location"].endswith("?done=not_possible")
    assert Backorder.objects.get(pk=first.pk).shipping_preference == "available_first"


def test_the_shipping_choice_is_not_offered_when_the_policy_decides(store, shopper):
    (line,) = order_of(store, 1, policy={"shipping_preference": "together"})
    base = path_of(self_service_url(order_id=line.order_id, email=EMAIL))

    assert "How should we ship" not in browse(shopper, store, "get", base).content.decode()
    assert browse(shopper, store, "post", f"{base}shipping/available_first/", {"confirm": "yes"})["Location"].endswith(
        "?done=not_possible"
    )


# -- links that do not work ------------------------------------------------------------------------------


def test_a_tampered_link_is_not_found_and_tells_the_shopper_what_to_do(store, shopper):
    (line,) = order_of(store, 1)
    url = path_of(self_service_url(order_id=line.order_id, email=EMAIL))
    token = url.split("/")[2]
    forged = url.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))

    page = browse(shopper, store, "get", forged)

    assert page.status_code == 404
    assert "This link does not work" in page.content.decode()
    assert "most recent e-mail" in page.content.decode()


def test_a_link_for_another_address_shows_nothing(store, shopper):
    (line,) = order_of(store, 1)
    token = link_token_make(schema_name=store.schema_name, order_id=line.order_id, email="other@example.com", version=0)

    assert browse(shopper, store, "get", f"/s/{token}/").status_code == 410


def test_a_revoked_link_is_gone_and_a_new_one_works(store, shopper):
    (line,) = order_of(store, 1)
    old = path_of(self_service_url(order_id=line.order_id, email=EMAIL))

    access_revoke(order_id=line.order_id, email=EMAIL, revoked_by="support@backorder.example")
    new = path_of(self_service_url(order_id=line.order_id, email=EMAIL))

    page = browse(shopper, store, "get", old)
    assert page.status_code == 410 and "no longer valid" in page.content.decode()
    assert browse(shopper, store, "get", new).status_code == 200


def test_an_expired_link_offers_a_fresh_one_by_email(store, shopper):
    (line,) = order_of(store, 1)
    two_years_ago = time.time() - 731 * 86400
    token = link_token_make(schema_name=store.schema_name, order_id=line.order_id, email=EMAIL, version=0,
                            now=two_years_ago)  # fmt: skip

    page = browse(shopper, store, "get", f"/s/{token}/")
    assert page.status_code == 410 and "This link has expired" in page.content.decode()
    assert f'action="/s/{token}/renew/"' in page.content.decode()
    browse(shopper, store, "post", f"/s/{token}/renew/")
    browse(shopper, store, "post", f"/s/{token}/renew/")  # once a day at most

    sent = Notification.objects.get(kind="self_service_link")
    assert (sent.recipient, sent.backorder_id) == (EMAIL, line.pk)


def test_a_link_stops_working_half_a_year_after_the_order_is_done(store, shopper):
    (line,) = order_of(store, 1)
    url = path_of(self_service_url(order_id=line.order_id, email=EMAIL))
    Backorder.objects.filter(pk=line.pk).update(status="shipped", shipped_at=timezone.now() - timedelta(days=100))
    assert browse(shopper, store, "get", url).status_code == 200

    Backorder.objects.filter(pk=line.pk).update(shipped_at=timezone.now() - timedelta(days=181))
    page = browse(shopper, store, "get", url)

    assert page.status_code == 410 and "/renew/" not in page.content.decode()


def test_a_link_of_a_store_that_left_is_gone(store, shopper):
    (line,) = order_of(store, 1)
    url = path_of(self_service_url(order_id=line.order_id, email=EMAIL))
    type(store).objects.filter(pk=store.pk).update(status="deactivated")

    page = browse(shopper, store, "get", url)

    assert page.status_code == 410 and "no longer uses this service" in page.content.decode()


def test_requests_beyond_the_limit_are_throttled_per_link_and_address(store, shopper, settings):
    settings.SELF_SERVICE_REQUESTS_PER_MINUTE = 3
    (line,) = order_of(store, 1)
    url = path_of(self_service_url(order_id=line.order_id, email=EMAIL))

    codes = [browse(shopper, store, "get", url).status_code for _ in range(4)]
    elsewhere = browse(shopper, store, "get", url, REMOTE_ADDR="10.0.0.9")

    assert codes == [200, 200, 200, 429]
    assert elsewhere.status_code == 200
