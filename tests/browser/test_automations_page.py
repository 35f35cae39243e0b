"""The Automations page and Settings > Webhooks in Chromium, against a live server and the sandbox's receivers.

A merchant installs "Slack the warehouse when a backorder is ready" from the template gallery, fills in the Slack
URL in the sentence-like editor, switches the rule on, runs the dry run; a backorder becomes ready and the run
log shows the message went out (the sandbox's Slack receiver has it). Then they add a webhook endpoint in the
settings, copy its secret, send a test event and see it delivered in the endpoint's log. Screenshots go to
artifacts/screenshots/automations-*.png.
"""

import pytest
from django.db import transaction
from django_tenants.utils import schema_context
from standardwebhooks.webhooks import Webhook

from backorder import events
from backorder.models import Backorder
from stores import provisioning, services, tenancy
from stores.bigcommerce.sandbox import SandboxServer
from tests.backorder.conftest import backorder_make, variant_make
from tests.browser.conftest import screenshot_settled
from tests.fixtures.bigcommerce import drop_store_schemas

try:
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
except ImportError:
    expect = None

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def shop(live_server, settings, make_store):
    """A signed-up store on the live server; outbound requests may go to the sandbox's receivers on loopback."""
    settings.APP_BASE_URL = live_server.url
    settings.OUTBOUND_PRIVATE_TARGETS = True
    receivers = SandboxServer()
    receivers.start()
    drop_store_schemas()
    provisioning.public_tenant_ensure()
    tenancy.forget_everything_local()
    store = make_store("Automation Shop")
    yield store, receivers
    receivers.stop()
    drop_store_schemas()


@pytest.fixture
def console_errors_expected(console_errors_expected):
    console_errors_expected.append(r"favicon\.ico")
    return console_errors_expected


def shot(page, name: str) -> None:
    screenshot_settled(page, f"automations-{name}")


def test_a_merchant_installs_a_template_switches_it_on_and_sees_its_run_and_a_webhook_delivered(page, shop):
    store, sandbox = shop
    page.goto(services.one_time_login_create(user=store.owner, store=store, next_path="/automations/templates/"))
    expect(page.get_by_role("heading", name="Automations", level=1)).to_be_visible()
    card = page.get_by_role("article", name="Slack the warehouse when a backorder is ready")
    expect(card).to_be_visible()
    shot(page, "01-templates")
    card.get_by_role("button", name="Install").click()

    expect(page.get_by_role("heading", name="Edit rule")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Slack the warehouse when a backorder is ready")
    expect(page.get_by_label("Trigger")).to_have_value("backorder.allocated")
    page.get_by_label("Slack incoming webhook URL").fill(sandbox.receiver_url("slack"))
    page.get_by_text("Switched on").click()
    shot(page, "02-editor")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_text("is saved and on")).to_be_visible()
    page.get_by_role("button", name="Check the last 30 days").click()
    expect(page.get_by_text("would have matched")).to_be_visible()

    with schema_context(store.schema_name), transaction.atomic():  # a backorder becomes ready to ship
        backorder = backorder_make(variant_make(), 2, product_name="Trail Tent")
        Backorder.objects.filter(pk=backorder.pk).update(status="allocated", quantity_allocated=2)
        events.publish("backorders.allocated", backorder_ids=[backorder.pk], source="restock")
    (slack,) = sandbox.receiver_requests("slack")
    assert f"order {backorder.order_id}" in slack["body"] and "Trail Tent" in slack["body"]

    page.get_by_role("link", name="Automations", exact=True).first.click()
    page.get_by_role("navigation", name="Automations").get_by_role("link", name="Run log").click()
    expect(page.get_by_role("cell", name="Done")).to_be_visible()
    shot(page, "03-run-log")

    page.goto(f"{store.base_url}/settings/webhooks/")
    page.get_by_label("URL").fill(sandbox.receiver_url("erp"))
    page.get_by_label("What is it?").fill("ERP")
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator("[data-new-secret] code").inner_text()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("Test event queued")).to_be_visible()
    page.get_by_role("button", name="Delivery log").click()
    expect(page.get_by_text("Delivered")).to_be_visible()
    shot(page, "04-webhooks")
    (request,) = sandbox.receiver_requests("erp")
    assert Webhook(secret).verify(request["body"].encode(), request["headers"])["type"] == "webhook.test"
