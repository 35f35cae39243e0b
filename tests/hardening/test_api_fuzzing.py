"""Schemathesis against both OpenAPI schemas: the public storefront API (key-routed, on the public host) and
the merchant API (a store's host, with an API token). No 5xx; status codes, content types and bodies as
documented. Operations are read from the schemas, so new endpoints are fuzzed as soon as they exist."""

import pytest
from django.conf import settings

from tests.hardening.fuzzing import fuzz, schema_load
from tests.hardening.shops import shop_make

pytestmark = pytest.mark.django_db


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

    with capsys.disabled():
        print("\nmerchant fuzzing:", report.summary())
    assert len(report.operations) >= 20
    assert report.statuses[200] > 0 and report.statuses[404] > 0
    assert not report.failures, report.summary()
