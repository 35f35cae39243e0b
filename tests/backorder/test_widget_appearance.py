"""The merchant's widget settings: readable colours are enforced, faint accents warned about, and what is saved
is what the storefront's widget gets."""

import pytest
from django_tenants.utils import schema_context

from backorder.models import WidgetAppearance
from backorder.services.widget_appearance import contrast_ratio
from tests.conftest import store_client

URL = "/api/v1/widget-appearance/"


@pytest.fixture
def api(store):
    return store_client(store, signed_in_as=store.owner)


def test_contrast_ratio_follows_wcag():
    assert round(contrast_ratio("#000000", "#FFFFFF"), 1) == 21.0
    assert round(contrast_ratio("#777777", "#FFFFFF"), 2) == 4.48
    assert contrast_ratio("#123456", "#123456") == 1.0


@pytest.mark.django_db
def test_reading_the_defaults_writes_nothing(api):
    body = api.get(URL).json()
    assert body["accent_color"] == "#1D4ED8" and body["accent_text_color"] == "#FFFFFF"
    assert body["languages"] == ["en", "de", "fr", "es"]
    assert (body["updated_at"], body["warnings"]) == (None, [])
    assert not WidgetAppearance.objects.exists()


@pytest.mark.django_db
def test_a_change_is_saved_normalised_and_reaches_the_storefront(api, store, public_client):
    response = api.patch(URL, {"accent_color": "#fc0", "label_unavailable": " Gone for now ", "show_split": False,
                               "languages": ["de", "de", "en"]}, content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accent_color"], body["accent_text_color"]) == ("#FFCC00", "#000000")
    assert (body["label_unavailable"], body["show_split"], body["languages"]) == ("Gone for now", False, ["de", "en"])
    assert body["warnings"] and "white page" in body["warnings"][0] + " ".join(body["warnings"])
    config = public_client.get(f"/api/storefront/v1/{store.public_key}/config").json()
    assert config["colors"]["accent"] == "#FFCC00" and config["labels"]["unavailable"] == "Gone for now"
    assert config["show"]["split"] is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"accent_color": "blue"}, "accent_color", "hex colour"),
        ({"text_color": "#999999", "background_color": "#FFFFFF"}, "text_color", "4.5:1"),
        ({"label_backorder": "x" * 41}, "label_backorder", "40"),
        ({"languages": ["en", "it"]}, "languages", ""),
        ({"languages": []}, "languages", ""),
        ({"show_split": "perhaps"}, "show_split", ""),
    ],
)
def test_unreadable_or_unknown_settings_are_refused(api, store, change, field, says):
    response = api.patch(URL, change, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert says in " ".join(map(str, response.json()["fields"][field]))
    with schema_context(store.schema_name):
        assert not WidgetAppearance.objects.exists()


@pytest.mark.django_db
def test_only_the_stores_members_see_or_change_it(make_store):
    store, other = make_store(), make_store()
    assert store_client(store).get(URL).status_code in (401, 403)
    outsider = store_client(store, signed_in_as=other.owner)
    assert outsider.patch(URL, {"show_split": False}, content_type="application/json").status_code == 403
