"""The widget script: small (the build fails above 5 KB gzipped with four languages enabled), cacheable, and told
where its store's API is, how the store wants it to look, and its words in the store's language; the other
languages the store enabled come from a small cacheable file each, for the pages in them."""

import gzip
import json
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backorder.services.widget_appearance import widget_appearance_update
from backorder.storefront_widget import widget_code

GZIP_BUDGET = 5 * 1024  # bytes (Shopify's theme-check limit for an app's script is 10 KB)


def script_url(store) -> str:
    return f"/storefront/{store.public_key}/widget.js"


def served_config(body: str) -> dict:
    """The configuration object the server put into the script."""
    return json.loads(re.search(r"\}\)\((\{.*\})\);?\s*$", body, re.S).group(1))


def pack_url(store, language: str) -> str:
    return f"/storefront/{store.public_key}/widget-{language}.json"


@pytest.mark.django_db
def test_the_gzipped_widget_stays_within_5_kb_with_four_languages_and_every_option(store, public_client):
    # The longest configuration a store can have: four languages, every switch on, its own labels, and a policy
    # for a customer group (the widget then asks who the shopper is).
    from backorder.services.policies import policy_create

    labels = {
        "label_backorder": "Order now, ship later",
        "label_preorder": "Reserve yours",
        "label_unavailable": "Gone",
    }
    widget_appearance_update(data={"languages": ["en", "de", "fr", "es"], **labels})
    policy_create(data={"scope": "store", "customer_group_ids": [5]})
    response = public_client.get(script_url(store), HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    size = len(response.content)
    assert size <= GZIP_BUDGET, f"widget.js is {size} bytes gzipped; the budget is {GZIP_BUDGET}"
    code = gzip.decompress(response.content).decode()
    assert "fetch(" in code and "MutationObserver" in code and "bo-notify" in code and "bo-alt" in code
    assert "/customer/current.jwt" in code and served_config(code)["customer"] == settings.BIGCOMMERCE_CLIENT_ID


@pytest.mark.django_db
def test_the_script_knows_its_stores_api_colours_and_words(store, public_client):
    public_client.get(script_url(store))  # warm the store lookup and the cached appearance
    with CaptureQueriesContext(connection) as captured:
        response = public_client.get(script_url(store))
    assert [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")] == []
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    config = served_config(response.content.decode())
    assert config["api"] == f"{settings.APP_BASE_URL}/api/storefront/v1/{store.public_key}"
    assert config["languages"] == ["en", "de", "fr", "es"] and config["language"] == "en"
    assert config["strings"]["notify"] == "Notify me"  # the store's language only: the others on demand
    assert config["pack"] == f"{settings.APP_BASE_URL}/storefront/{store.public_key}/widget-{{lang}}.json"
    assert config["colors"]["on_accent"] == "#FFFFFF"
    assert "__BACKORDER_CONFIG__" not in response.content.decode()


@pytest.mark.django_db
def test_it_is_cacheable_and_revalidates_with_a_304_until_the_appearance_changes(store, public_client):
    first = public_client.get(script_url(store), HTTP_ACCEPT_ENCODING="gzip")
    assert first["Cache-Control"] == "public, max-age=300, stale-while-revalidate=86400"
    assert "Accept-Encoding" in first["Vary"]
    etag = first["ETag"]  # weak once gzipped: W/"…"
    again = public_client.get(script_url(store), HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content) == (304, b"")

    widget_appearance_update(data={"accent_color": "#0F766E", "label_backorder": "Order now"})
    changed = public_client.get(script_url(store), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    config = served_config(changed.content.decode())
    assert config["colors"]["accent"] == "#0F766E"
    assert config["labels"]["backorder"] == "Order now"
    assert config["strings"]["default_backorder"] == "Backorder"  # what "Order now" replaces


@pytest.mark.django_db
def test_the_shipped_code_has_no_comment_lines_and_one_placeholder():
    code = widget_code()
    assert code.count("__BACKORDER_CONFIG__") == 1
    assert not any(line.startswith(("//", "/*", "*")) for line in code.splitlines())


@pytest.mark.django_db
def test_the_config_endpoint_speaks_the_storefronts_language_when_the_widget_does(store, public_client):
    widget_appearance_update(data={"languages": ["en", "fr"]})
    url = f"/api/storefront/v1/{store.public_key}/config"
    french = public_client.get(url, {"locale": "fr-CA"}).json()
    assert (french["widget_language"], french["strings"]["notify"]) == ("fr", "Me prévenir")
    german = public_client.get(url, {"locale": "de"}).json()  # not enabled: the store's language
    assert german["widget_language"] == "en"
    assert german["show"] == {"split": True, "notify_me": True, "alternatives": True}
    assert public_client.get(url, {"locale": "<x>"}).status_code == 400


@pytest.mark.django_db
def test_a_german_store_ships_its_german_words_in_the_script(store, public_client):
    store.language = "de-DE"
    store.save()
    config = served_config(public_client.get(script_url(store)).content.decode())
    assert (config["language"], config["strings"]["notify"]) == ("de", "Benachrichtigen")
    assert config["languages"] == ["en", "de", "fr", "es"]


@pytest.mark.django_db
def test_another_enabled_language_comes_from_its_own_small_cacheable_file(store, public_client):
    store.storefront_origins = ["https://lamps.example.com"]
    store.save()
    widget_appearance_update(data={"label_unavailable": "Gone"})
    response = public_client.get(pack_url(store, "de"), HTTP_ACCEPT_ENCODING="gzip",
                                 HTTP_ORIGIN="https://lamps.example.com")  # fmt: skip
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "https://lamps.example.com"  # the widget reads it with fetch
    assert response["Cache-Control"] == "public, max-age=300, stale-while-revalidate=86400"
    words = json.loads(gzip.decompress(response.content))
    assert words["notify"] == "Benachrichtigen"
    assert words["default_unavailable"] == "Ausverkauft"  # what the merchant's "Gone" replaces on a German page
    assert len(response.content) < 600
    again = public_client.get(pack_url(store, "de"), HTTP_IF_NONE_MATCH=response["ETag"])
    assert (again.status_code, again.content) == (304, b"")


@pytest.mark.django_db
def test_a_language_the_store_did_not_enable_has_no_file(store, public_client):
    widget_appearance_update(data={"languages": ["en", "fr"]})
    assert public_client.get(pack_url(store, "fr")).status_code == 200
    missing = public_client.get(pack_url(store, "de"))
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert public_client.get(f"/storefront/{store.public_key}/widget-xx.json").status_code == 404
    assert public_client.get(f"/storefront/{store.public_key}/widget-DE.json").status_code == 404
