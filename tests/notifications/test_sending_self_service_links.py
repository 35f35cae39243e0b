"""The self-service link of every shopper e-mail in a batch costs one query for the whole batch, and a revoked
link (version bumped) is never handed out again."""

import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from notifications.self_service.links import access_versions_prefetched, self_service_url
from notifications.self_service.models import SelfServiceAccess
from notifications.self_service.services import access_revoke
from notifications.self_service.tokens import link_token_read
from notifications.sending import notifications_send
from notifications.services import shopper_mail
from tests.backorder.conftest import backorder_make, variant_make

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)
LINK = re.compile(r"/s/([^/\s\"]+)/")


def shipped_emails(count: int, email: str = "") -> list:
    """`count` shoppers (or one address) each owed a "shipped" e-mail."""
    variant = variant_make()
    backorders = []
    for _ in range(count):
        number = next(_numbers)
        backorder = backorder_make(variant, 1, customer_email=email or f"shopper{number}@example.com",
                                   product_name="Trail Tent")  # fmt: skip
        shopper_mail(kind="shipped", key=f"backorder:{backorder.pk}:{number}", backorder=backorder,
                     context={"tracking_number": ""})  # fmt: skip
        backorders.append(backorder)
    return backorders


def send_counting() -> tuple[int, int]:
    """Send what is due; (every query, the queries that read self-service link versions)."""
    with CaptureQueriesContext(connection) as queries:
        outcome = notifications_send()
    table = SelfServiceAccess._meta.db_table
    assert outcome["sent"] and not outcome["retry"] and not outcome["failed"]
    return len(queries), sum(table in query["sql"] for query in queries.captured_queries)


def link_version(message) -> int:
    (token,) = set(LINK.findall(message.body))
    return link_token_read(token).version


def test_sending_n_shopper_emails_reads_the_link_versions_once_whatever_n(store, mailoutbox):
    shipped_emails(5)
    total_5, links_5 = send_counting()
    shipped_emails(20)
    total_20, links_20 = send_counting()

    assert len(mailoutbox) == 25
    assert links_5 == links_20 == 1
    # What is left per e-mail is the one statement that records it sent (and the next one handed off).
    assert total_20 - total_5 == 20 - 5


def test_a_batch_carries_each_addresss_current_link_version_like_one_by_one(store, mailoutbox):
    kept, revoked, twice = shipped_emails(3)
    access_revoke(order_id=revoked.order_id, email=revoked.customer_email.upper(), revoked_by="support")
    for _ in range(2):
        access_revoke(order_id=twice.order_id, email=twice.customer_email, revoked_by="support")
    expected = {
        b.customer_email: link_token_read(LINK.search(self_service_url(order_id=b.order_id, email=b.customer_email))[1])
        for b in (kept, revoked, twice)
    }

    notifications_send()

    versions = {message.to[0]: link_version(message) for message in mailoutbox}
    assert versions == {kept.customer_email: 0, revoked.customer_email: 1, twice.customer_email: 2}
    assert versions == {email: claims.version for email, claims in expected.items()}


def test_a_revocation_after_one_batch_reaches_the_next_batchs_links(store, mailoutbox):
    (first,) = shipped_emails(1, email="ada@example.com")
    notifications_send()
    access_revoke(order_id=first.order_id, email="ada@example.com", revoked_by="support")
    shopper_mail(kind="shipped", key=f"backorder:{first.pk}:again", backorder=first, context={"tracking_number": ""})

    notifications_send()

    assert [link_version(m) for m in mailoutbox] == [0, 1]
    assert Notification.objects.filter(status="sent").count() == 2


def test_pairs_not_prefetched_are_still_looked_up_and_nothing_stays_prefetched_after_the_block(store):
    (line,) = shipped_emails(1, email="bob@example.com")
    access_revoke(order_id=line.order_id, email="bob@example.com", revoked_by="support")

    with access_versions_prefetched([(line.order_id, "BOB@example.com ")]) as versions:
        assert versions == {(line.order_id, "bob@example.com"): 1}
        access_revoke(order_id=line.order_id, email="bob@example.com", revoked_by="support")
        with CaptureQueriesContext(connection) as inside:
            inside_url = self_service_url(order_id=line.order_id, email="Bob@example.com")
            other_url = self_service_url(order_id=line.order_id + 1, email="bob@example.com")
    after_url = self_service_url(order_id=line.order_id, email="bob@example.com")

    assert len(inside) == 1  # only the pair nobody prefetched
    assert [link_token_read(LINK.search(u)[1]).version for u in (inside_url, other_url, after_url)] == [1, 0, 2]
