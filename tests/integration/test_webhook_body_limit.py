"""A webhook body over the size limit gets a JSON 413 that states the limit, at once and without a query."""

import json

import pytest
from django.conf import settings
from django.test import Client, override_settings

from stores.bigcommerce.webhooks import MAX_BODY_BYTES, webhook_body_limit

pytestmark = pytest.mark.django_db


def post_webhook(body: bytes) -> object:
    return Client(HTTP_HOST=settings.PUBLIC_HOST).post(
        "/bigcommerce/webhooks", data=body, content_type="application/json"
    )


def body_of(size: int) -> bytes:
    """A well-formed BigCommerce-shaped event padded to exactly `size` bytes."""
    head = b'{"scope": "store/product/updated", "producer": "stores/nosuchstore", "padding": "'
    tail = b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_the_limit_is_the_inbox_limit_unless_django_allows_less():
    assert webhook_body_limit() == min(MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        assert webhook_body_limit() == 1000
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=None):  # Django's "no limit"
        assert webhook_body_limit() == MAX_BODY_BYTES


def test_a_body_over_the_limit_gets_a_json_413_stating_the_limit(django_assert_num_queries):
    limit = webhook_body_limit()
    post_webhook(b"{}")  # a warm process: the host's tenant lookup is cached (stores/tenancy.py)
    with django_assert_num_queries(0):
        response = post_webhook(body_of(limit + 1))

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["error"] == "payload_too_large"
    assert answer["message"] == (
        f"The webhook body ({limit + 1:,} bytes) is over the {limit // 1024} KB limit ({limit:,} bytes)."
    )


def test_a_body_over_djangos_own_upload_limit_gets_the_same_json_413_not_an_html_400():
    """Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig, an HTML 400)."""
    response = post_webhook(body_of(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))

    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_a_body_at_the_limit_is_read_and_acknowledged():
    response = post_webhook(body_of(webhook_body_limit()))

    assert response.status_code == 200
    assert json.loads(response.content) == {"message": "Ignored: no active store."}
