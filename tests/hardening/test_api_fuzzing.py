"""Schemathesis against both OpenAPI schemas: the public storefront API (key-routed, on the public host) and
the merchant API (a store's host, with an API token). No 5xx; status codes, content types and bodies as
documented. Operations are read from the schemas, so new endpoints are fuzzed as soon as they exist."""

import pytest
from django.conf import settings

from tests.hardening.fuzzing import fuzz, schema_load
from tests.hardening.shops import shop_make

pytestmark = pytest.mark.django_db

# Failures in modules still being built by others when this sweep was written (see the hardening report):
# listed so that the sweep guards everything else now; each entry names what is wrong. Remove an entry when
# its module documents the answer; the test prints which entries no longer occur.
KNOWN_ELSEWHERE = {
    "GET /api/v1/products/: Response violates schema (200)": "paginated, but no pagination_class tells the schema",
    "GET /api/v1/connection/: Response violates schema (200)": "last_check is null but documented as an object",
    "POST /api/v1/catalog/sync/: Undocumented status code (409)": "409 not_connected not in extend_schema",
    "POST /api/v1/connection/check/: Undocumented status code (409)": "409 not_connected not in extend_schema",
    "POST /api/v1/connection/repair/: Undocumented status code (409)": "409 not_connected not in extend_schema",
}


def test_the_storefront_api_survives_fuzzing_and_answers_as_documented(capsys):
    shop = shop_make()
    schema = schema_load(host=settings.PUBLIC_HOST)

    report = fuzz(
        schema,
        host=settings.PUBLIC_HOST,
        fixed={"public_key": shop.store.public_key},
        known_ids=shop.ids_for,
        max_examples=30,
    )

    with capsys.disabled():
        print("\nstorefront fuzzing:", report.summary())
    assert len(report.operations) >= 4
    assert report.statuses[200] > 0, "fuzzing never reached a real product"
    assert not report.failures, report.summary()


def test_the_merchant_api_survives_fuzzing_and_answers_as_documented(capsys):
    shop = shop_make()
    auth = {"Authorization": f"Bearer {shop.token}"}
    schema = schema_load(host=shop.store.host, headers=auth)

    report = fuzz(schema, host=shop.store.host, headers=auth, known_ids=shop.ids_for, max_examples=12)

    unexpected = {key: example for key, example in report.failures.items() if key not in KNOWN_ELSEWHERE}
    with capsys.disabled():
        print("\nmerchant fuzzing:", report.summary())
        print("known failures elsewhere no longer seen:", sorted(set(KNOWN_ELSEWHERE) - set(report.failures)))
    assert len(report.operations) >= 20
    assert report.statuses[200] > 0 and report.statuses[404] > 0
    assert not unexpected, report.summary()
