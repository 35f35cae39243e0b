"""Policies: the most specific existing policy wins, the merchant can ask why, and bad combinations are refused.

Resolution is tested through the services; the merchant API through a signed-in browser on the store's host,
with its answers checked against the generated OpenAPI schema.
"""

import itertools
from datetime import timedelta
from decimal import Decimal

import jsonschema
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator

from backorder.models import Category, Policy, VariantAvailability
from backorder.services import policies
from backorder.services.availability import store_today
from tests.backorder.conftest import variant_make
from tests.conftest import store_client

_category_ids = itertools.count(100)


def category_make(*, parent: Category | None = None, name: str = "", bigcommerce_id: int | None = None) -> Category:
    """A mirrored category below `parent` (its path runs from the top category down to itself)."""
    bigcommerce_id = bigcommerce_id or next(_category_ids)
    return Category.objects.create(
        bigcommerce_id=bigcommerce_id,
        parent_bigcommerce_id=parent.bigcommerce_id if parent else None,
        name=name or f"Category {bigcommerce_id}",
        path=[*(parent.path if parent else []), bigcommerce_id],
        synced_at=timezone.now(),
    )


def store_policy() -> Policy:
    return Policy.objects.get(scope=Policy.Scope.STORE)


def policy_make(scope: str, bigcommerce_id: int | None = None, **fields) -> Policy:
    fields.setdefault("enabled", True)
    return policies.policy_create(data={"scope": scope, "bigcommerce_id": bigcommerce_id, **fields})


def effective(variant) -> policies.EffectivePolicy:
    return policies.policy_effective(variant_id=variant.bigcommerce_id)


def statements(context: CaptureQueriesContext) -> list[str]:
    """The SQL a block ran, without the search_path switches django-tenants adds."""
    return [q["sql"] for q in context.captured_queries if not q["sql"].startswith("SET search_path")]


# -- which policy applies ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_store_has_one_disabled_store_policy_that_applies_to_every_variant(store):
    variant = variant_make()
    result = effective(variant)
    assert (result.level, result.policy, result.policy.enabled) == ("store", store_policy(), False)
    assert Policy.objects.count() == 1


@pytest.mark.django_db
def test_a_variant_policy_beats_product_category_and_store(store):
    shoes = category_make(name="Shoes")
    variant = variant_make(category_ids=[shoes.bigcommerce_id])
    policy_make("category", shoes.bigcommerce_id)
    policy_make("product", variant.product.bigcommerce_id)
    own = policy_make("variant", variant.bigcommerce_id, lead_time_days=3)

    result = effective(variant)

    assert (result.level, result.policy) == ("variant", own)
    assert [c.level for c in result.candidates] == ["variant", "product", "category", "store"]


@pytest.mark.django_db
def test_a_product_policy_beats_its_categories_and_the_store(store):
    shoes = category_make()
    variant = variant_make(category_ids=[shoes.bigcommerce_id])
    policy_make("category", shoes.bigcommerce_id)
    product_policy = policy_make("product", variant.product.bigcommerce_id)
    assert (effective(variant).level, effective(variant).policy) == ("product", product_policy)


@pytest.mark.django_db
def test_a_disabled_product_policy_switches_backorders_off_for_that_product(store):
    switched_off = variant_make()
    elsewhere = variant_make()
    policies.policy_update(policy=store_policy(), data={"enabled": True})
    policy_make("product", switched_off.product.bigcommerce_id, enabled=False)

    assert effective(switched_off).level == "product" and effective(switched_off).policy.enabled is False
    assert effective(elsewhere).level == "store" and effective(elsewhere).policy.enabled is True
    assert VariantAvailability.objects.get(variant_id=switched_off.bigcommerce_id).enabled is False
    assert VariantAvailability.objects.get(variant_id=elsewhere.bigcommerce_id).enabled is True


@pytest.mark.django_db
def test_the_deepest_category_wins(store):
    clothing = category_make(name="Clothing")
    shoes = category_make(parent=clothing, name="Shoes")
    running = category_make(parent=shoes, name="Running")
    sale = category_make(name="Sale")
    variant = variant_make(category_ids=[sale.bigcommerce_id, running.bigcommerce_id])
    policy_make("category", sale.bigcommerce_id)
    policy_make("category", clothing.bigcommerce_id)
    deepest = policy_make("category", shoes.bigcommerce_id)

    result = effective(variant)

    assert (result.level, result.policy) == ("category", deepest)
    assert [c.bigcommerce_id for c in result.candidates if c.level == "category"] == [
        shoes.bigcommerce_id, clothing.bigcommerce_id, sale.bigcommerce_id,
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_category_policy_covers_products_in_every_category_below_it(store):
    clothing = category_make()
    socks = category_make(parent=category_make(parent=clothing))
    variant = variant_make(category_ids=[socks.bigcommerce_id])
    unrelated = variant_make(category_ids=[category_make().bigcommerce_id])
    policy = policy_make("category", clothing.bigcommerce_id)

    assert (effective(variant).level, effective(variant).policy) == ("category", policy)
    assert effective(unrelated).level == "store"


@pytest.mark.django_db
def test_equally_deep_categories_tie_to_the_lowest_category_id(store):
    high, low = category_make(bigcommerce_id=900), category_make(bigcommerce_id=800)
    variant = variant_make(category_ids=[high.bigcommerce_id, low.bigcommerce_id])
    policy_make("category", high.bigcommerce_id)
    lowest = policy_make("category", low.bigcommerce_id)
    assert effective(variant).policy == lowest


@pytest.mark.django_db
def test_deleting_a_product_policy_lets_the_next_level_apply_again(store):
    variant = variant_make()
    policies.policy_delete(policy=policy_make("product", variant.product.bigcommerce_id))
    assert effective(variant).level == "store"


@pytest.mark.django_db
def test_a_variant_missing_from_the_catalog_gets_the_store_policy(store):
    result = policies.policy_effective(variant_id=987654)
    assert (result.level, result.in_catalog) == ("store", False)
    assert "not in the catalog" in result.why


@pytest.mark.django_db
def test_why_names_the_level_and_the_policy(store):
    shoes = category_make(name="Shoes")
    variant = variant_make(category_ids=[shoes.bigcommerce_id])
    policy = policy_make("category", shoes.bigcommerce_id, mode="preorder")

    why = effective(variant).why

    assert f"category policy of category {shoes.bigcommerce_id} (Shoes) (policy {policy.pk})" in why
    assert "deepest category" in why and "pre-order" in why
    assert "disabled, so this variant cannot be backordered" in effective(variant_make()).why


@pytest.mark.django_db
def test_resolving_many_variants_costs_the_same_three_queries_as_one(store):
    top = category_make()
    middle = category_make(parent=top)
    policy_make("category", top.bigcommerce_id)
    variants = [variant_make(category_ids=[category_make(parent=middle).bigcommerce_id]) for _ in range(40)]
    for variant in variants[::3]:
        policy_make("product", variant.product.bigcommerce_id)
    for variant in variants[1::5]:
        policy_make("variant", variant.bigcommerce_id)

    with CaptureQueriesContext(connection) as one:
        policies.policy_effective(variant_id=variants[0].bigcommerce_id)
    with CaptureQueriesContext(connection) as many:
        result = policies.policies_effective_for_variants(variant_ids=[v.bigcommerce_id for v in variants])

    assert len(statements(one)) == len(statements(many)) == 3
    assert {r.level for r in result.values()} == {"variant", "product", "category"}


# -- writes refresh availability ---------------------------------------------------------------------------


@pytest.fixture
def refreshed(monkeypatch) -> list[int]:
    """The variant ids the policy services asked the availability engine to recompute."""
    from backorder.services import availability

    seen: list[int] = []
    monkeypatch.setattr(availability, "availability_refresh", lambda *, variant_ids, **_: seen.extend(variant_ids))
    return seen


@pytest.mark.django_db
def test_a_category_policy_refreshes_the_variants_below_that_category_only(store, refreshed):
    shoes = category_make()
    inside = variant_make(category_ids=[category_make(parent=shoes).bigcommerce_id])
    variant_make(category_ids=[category_make().bigcommerce_id])
    policy_make("category", shoes.bigcommerce_id)
    assert refreshed == [inside.bigcommerce_id]


@pytest.mark.django_db
def test_a_store_policy_change_refreshes_every_variant(store, refreshed):
    variants = [variant_make(), variant_make()]
    policies.policy_update(policy=store_policy(), data={"enabled": True})
    assert sorted(refreshed) == sorted(v.bigcommerce_id for v in variants)


@pytest.mark.django_db
def test_moving_a_variant_policy_refreshes_the_old_and_the_new_variant(store, refreshed):
    old, new = variant_make(), variant_make()
    policy = policy_make("variant", old.bigcommerce_id)
    refreshed.clear()
    policies.policy_update(policy=policy, data={"bigcommerce_id": new.bigcommerce_id})
    assert sorted(refreshed) == sorted([old.bigcommerce_id, new.bigcommerce_id])


# -- the merchant API -------------------------------------------------------------------------------------

CONTRACT_KEYS = {
    "id", "scope", "bigcommerce_id", "customer_group_ids", "enabled", "mode", "lead_time_days", "max_units"
}  # fmt: skip
ALL_KEYS = CONTRACT_KEYS | {
    "preorder_starts_on", "preorder_ends_on", "max_per_order", "lead_time_business_days", "fixed_ship_date",
    "button_label", "product_message", "cart_message", "shipping_preference", "shopper_may_cancel",
    "incentive_percent", "incentive_trigger", "incentive_after_days", "created_at", "updated_at",
    "target_name",
}  # fmt: skip


@pytest.fixture(scope="module")
def openapi() -> dict:
    """The merchant API's schema, made JSON-Schema friendly (OpenAPI 3.0's `nullable` becomes a null option)."""

    def convert(node):
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: convert(value) for key, value in node.items()}
        if node.pop("nullable", False):
            return {"anyOf": [node, {"type": "null"}]}
        return node

    return convert(SchemaGenerator(urlconf="config.urls_tenant").get_schema(request=None, public=True))


def assert_matches_schema(openapi: dict, response, path: str, method: str) -> None:
    """The response body is what the schema promises for this path, method and status."""
    operation = openapi["paths"][path][method]
    schema = operation["responses"][str(response.status_code)]["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), {**schema, "components": openapi["components"]})


@pytest.fixture
def api(store):
    return store_client(store, signed_in_as=store.owner)


def post(api, data):
    return api.post("/api/v1/policies/", data, content_type="application/json")


def patch(api, policy_id, data):
    return api.patch(f"/api/v1/policies/{policy_id}/", data, content_type="application/json")


@pytest.mark.django_db
def test_the_list_is_paginated_and_each_policy_has_the_contract_keys(api, openapi):
    response = api.get("/api/v1/policies/")
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 1
    store_wide = body["results"][0]
    assert set(store_wide) == ALL_KEYS
    assert (store_wide["scope"], store_wide["bigcommerce_id"], store_wide["enabled"]) == ("store", None, False)
    assert_matches_schema(openapi, response, "/api/v1/policies/", "get")


@pytest.mark.django_db
def test_the_list_shows_the_store_policy_first_and_filters_by_scope(api):
    variant = variant_make()
    policy_make("variant", variant.bigcommerce_id)
    policy_make("product", variant.product.bigcommerce_id)
    scopes = [p["scope"] for p in api.get("/api/v1/policies/").json()["results"]]
    assert scopes == ["store", "product", "variant"]
    assert [p["scope"] for p in api.get("/api/v1/policies/?scope=product").json()["results"]] == ["product"]


@pytest.mark.django_db
def test_creating_a_policy_returns_it_and_ignores_id_and_timestamps(api, openapi):
    variant = variant_make()
    response = post(api, {
        "id": 999, "created_at": "2001-01-01T00:00:00Z", "scope": "product",
        "bigcommerce_id": variant.product.bigcommerce_id, "enabled": True, "mode": "backorder",
        "lead_time_days": 10, "lead_time_business_days": True, "max_units": 25, "max_per_order": 5,
        "product_message": "Ships by {date}", "cart_message": "{quantity} ship in {days} days",
        "incentive_percent": "7.5", "incentive_trigger": "after_days", "incentive_after_days": 30,
    })  # fmt: skip
    body = response.json()
    assert response.status_code == 201, body
    assert body["id"] != 999 and not body["created_at"].startswith("2001")
    assert (body["max_units"], body["incentive_percent"], body["lead_time_business_days"]) == (25, "7.50", True)
    assert Policy.objects.get(pk=body["id"]).incentive_percent == Decimal("7.5")
    assert_matches_schema(openapi, response, "/api/v1/policies/", "post")


@pytest.mark.django_db
def test_patch_changes_only_the_fields_it_names(api, openapi):
    response = patch(api, store_policy().pk, {"enabled": True, "max_units": 40})
    assert response.status_code == 200, response.json()
    policy = store_policy()
    assert (policy.enabled, policy.max_units, policy.lead_time_days) == (True, 40, 14)
    assert_matches_schema(openapi, response, "/api/v1/policies/{policy_id}/", "patch")


@pytest.mark.django_db
def test_a_preorder_with_a_window_and_a_fixed_date_is_accepted(api):
    variant = variant_make()
    today = store_today()
    response = post(api, {
        "scope": "variant", "bigcommerce_id": variant.bigcommerce_id, "enabled": True, "mode": "preorder",
        "preorder_starts_on": today.isoformat(), "preorder_ends_on": (today + timedelta(days=30)).isoformat(),
        "lead_time_days": None, "fixed_ship_date": (today + timedelta(days=45)).isoformat(),
    })  # fmt: skip
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
def test_an_unknown_policy_is_404_in_the_error_shape(api):
    response = api.get("/api/v1/policies/424242/")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "This store has no policy 424242."}
    assert patch(api, 424242, {"enabled": True}).status_code == 404
    assert api.delete("/api/v1/policies/424242/").status_code == 404


@pytest.mark.django_db
def test_the_store_policy_cannot_be_deleted(api):
    response = api.delete(f"/api/v1/policies/{store_policy().pk}/")
    assert response.status_code == 409
    assert response.json()["error"] == "store_policy_required"
    assert "Disable it instead" in response.json()["message"]
    assert Policy.objects.filter(scope="store").exists()


@pytest.mark.django_db
def test_deleting_a_product_policy_answers_204(api):
    policy = policy_make("product", variant_make().product.bigcommerce_id)
    assert api.delete(f"/api/v1/policies/{policy.pk}/").status_code == 204
    assert not Policy.objects.filter(pk=policy.pk).exists()


def _past():
    return (store_today() - timedelta(days=1)).isoformat()


INVALID = {
    # name: (payload given a mirrored variant, field named in the answer, words in the message)
    "store scope with an id": (lambda v: {"scope": "store", "bigcommerce_id": 5}, "bigcommerce_id", "leave"),
    "product without an id": (lambda v: {"scope": "product"}, "bigcommerce_id", "needs the BigCommerce id"),
    "product not in the catalog": (lambda v: {"scope": "product", "bigcommerce_id": 31337}, "bigcommerce_id",
                                   "No product with BigCommerce id 31337 is in the store's catalog"),
    "category not in the catalog": (lambda v: {"scope": "category", "bigcommerce_id": 31337}, "bigcommerce_id",
                                    "No category"),
    "variant id given as product": (lambda v: {"scope": "product", "bigcommerce_id": v.bigcommerce_id},
                                    "bigcommerce_id", "not a SKU"),
    "window ends before it starts": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                                "mode": "preorder", "preorder_starts_on": "2099-05-02",
                                                "preorder_ends_on": "2099-05-01"}, "preorder_ends_on", "2099-05-02"),
    "window in backorder mode": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                            "preorder_starts_on": "2099-05-02"}, "preorder_starts_on", "pre-order"),
    "enabled without a date basis": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                                "enabled": True, "lead_time_days": None}, "lead_time_days",
                                     "lead time in days or a fixed ship date"),
    "fixed ship date in the past": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                               "fixed_ship_date": _past()}, "fixed_ship_date", "in the past"),
    "per-order cap above the total": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                                 "max_units": 5, "max_per_order": 6}, "max_per_order", "(6)"),
    "per-order cap of zero": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                         "max_per_order": 0}, "max_per_order", "at least 1"),
    "incentive of 0 percent": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                          "incentive_percent": "0", "incentive_trigger": "at_order"},
                               "incentive_percent", "more than 0"),
    "incentive over 100 percent": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                              "incentive_percent": "100.01", "incentive_trigger": "at_order"},
                                   "incentive_percent", "at most 100"),
    "trigger without a percentage": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                                "incentive_trigger": "on_delay"}, "incentive_percent", "trigger"),
    "percentage without a trigger": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                                "incentive_percent": "5"}, "incentive_trigger", "when"),
    "after_days without days": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                           "incentive_percent": "5", "incentive_trigger": "after_days"},
                                "incentive_after_days", "number of days"),
    "days for another trigger": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                            "incentive_percent": "5", "incentive_trigger": "at_order",
                                            "incentive_after_days": 3}, "incentive_after_days", "only"),
    "unknown placeholder": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                       "product_message": "Only {price}!"}, "product_message", "{price}"),
    "unbalanced braces": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                     "cart_message": "Ships {date"}, "cart_message", "braces"),
    "a format spec": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                 "product_message": "Ships {date:%Y}"}, "product_message", "{date:%Y}"),
    "attribute access": (lambda v: {"scope": "variant", "bigcommerce_id": v.bigcommerce_id,
                                    "product_message": "{date.__class__}"}, "product_message", "Unknown"),
    "a second store policy": (lambda v: {"scope": "store"}, "scope", "already exists"),
    "an unknown mode": (lambda v: {"scope": "store", "mode": "sometimes"}, "mode", "not a valid choice"),
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("case", INVALID, ids=list(INVALID))
def test_an_invalid_combination_is_refused_with_the_field_named(api, openapi, case):
    make_payload, field, words = INVALID[case]
    before = Policy.objects.count()

    response = post(api, make_payload(variant_make()))

    body = response.json()
    assert response.status_code == 400, body
    assert body["error"] == "invalid" and field in body["fields"], body
    assert any(words in message for message in body["fields"][field]), body["fields"][field]
    assert Policy.objects.count() == before


@pytest.mark.django_db
def test_a_duplicate_policy_names_the_one_that_exists(api):
    variant = variant_make()
    existing = policy_make("product", variant.product.bigcommerce_id)
    response = post(api, {"scope": "product", "bigcommerce_id": variant.product.bigcommerce_id})
    assert response.status_code == 400
    assert f"(policy {existing.pk})" in response.json()["fields"]["bigcommerce_id"][0]


@pytest.mark.django_db
def test_a_patch_is_checked_against_the_policy_as_it_would_be(api):
    variant = variant_make()
    policy = policy_make("variant", variant.bigcommerce_id, max_units=10)
    assert patch(api, policy.pk, {"max_per_order": 11}).json()["fields"].keys() == {"max_per_order"}
    assert patch(api, store_policy().pk, {"scope": "product"}).json()["fields"].keys() == {"scope"}
    assert patch(api, policy.pk, {"enabled": True, "lead_time_days": None}).status_code == 400
    assert (
        patch(api, policy.pk, {"enabled": True, "lead_time_days": None, "fixed_ship_date": "2099-01-01"}).status_code
        == 200
    )


@pytest.mark.django_db
def test_a_fixed_date_that_has_passed_does_not_block_other_changes(api):
    policy = policy_make("product", variant_make().product.bigcommerce_id)
    Policy.objects.filter(pk=policy.pk).update(fixed_ship_date=store_today() - timedelta(days=3))
    assert patch(api, policy.pk, {"button_label": "Order now"}).status_code == 200


@pytest.mark.django_db
def test_the_effective_policy_of_a_variant_says_which_level_and_why(api, openapi):
    shoes = category_make(name="Shoes")
    variant = variant_make(category_ids=[shoes.bigcommerce_id])
    category_policy = policy_make("category", shoes.bigcommerce_id)

    response = api.get(f"/api/v1/policies/effective/?variant_id={variant.bigcommerce_id}")

    body = response.json()
    assert response.status_code == 200, body
    assert (body["level"], body["policy"]["id"], body["product_id"]) == (
        "category", category_policy.pk, variant.product.bigcommerce_id,
    )  # fmt: skip
    assert "category" in body["why"] and "Shoes" in body["why"]
    assert [(c["level"], c["applies"]) for c in body["candidates"]] == [("category", True), ("store", False)]
    assert body["candidates"][0]["name"] == "Shoes"
    assert_matches_schema(openapi, response, "/api/v1/policies/effective/", "get")


@pytest.mark.django_db
def test_the_effective_policy_needs_a_known_variant(api):
    assert api.get("/api/v1/policies/effective/").status_code == 400
    assert api.get("/api/v1/policies/effective/?variant_id=abc").status_code == 400
    missing = api.get("/api/v1/policies/effective/?variant_id=987654")
    assert missing.status_code == 404 and "catalog" in missing.json()["message"]


# -- one store never sees another's policies ----------------------------------------------------------------


@pytest.mark.django_db
def test_store_a_session_on_store_b_host_gets_none_of_b_policies(make_store):
    store_a, store_b = make_store(), make_store()
    with schema_context(store_b.schema_name):
        marker = policy_make("product", variant_make().product.bigcommerce_id, button_label="B-secret-label")
    browser_a = store_client(store_a, signed_in_as=store_a.owner)

    thief = store_client(store_b)
    thief.cookies["sessionid"] = browser_a.cookies["sessionid"].value
    responses = [thief.get("/api/v1/policies/"), thief.get(f"/api/v1/policies/{marker.pk}/"),
                 thief.delete(f"/api/v1/policies/{marker.pk}/")]  # fmt: skip

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert all("B-secret-label" not in r.content.decode() for r in responses)
    with schema_context(store_b.schema_name):
        assert Policy.objects.filter(pk=marker.pk).exists()


@pytest.mark.django_db
def test_anonymous_callers_get_nothing(store):
    response = store_client(store).get("/api/v1/policies/")
    assert response.status_code == 403 and response.json()["error"] == "not_authenticated"


@pytest.mark.django_db
def test_validation_reports_every_broken_rule_at_once_for_any_caller(store):
    variant = variant_make()
    with pytest.raises(ValidationError) as refused:
        policies.policy_validate(data={
            "scope": "variant", "bigcommerce_id": variant.bigcommerce_id, "max_units": 1, "max_per_order": 2,
            "incentive_percent": 5, "cart_message": "{price}", "id": 7, "updated_at": "ignored",
        })  # fmt: skip
    assert set(refused.value.message_dict) == {"max_per_order", "incentive_trigger", "cart_message"}
    with pytest.raises(ValidationError) as wrong_type:
        policies.policy_validate(data={"scope": "galaxy", "enabled": "perhaps"})
    assert set(wrong_type.value.message_dict) == {"scope", "enabled"}
