"""E-mail templates: defaults in four languages, the merchant's edits (validated, with the line at fault),
previews on sample data, and a sandbox that reaches nothing but the documented variables."""

import pytest

from notifications import kinds
from notifications.defaults import LANGUAGES, TEMPLATES
from notifications.models import MessageTemplate, Notification
from notifications.outbox import notification_enqueue
from notifications.rendering import TemplateInvalid, render_message, template_validate
from notifications.sending import notifications_send
from tests.backorder.conftest import backorder_make, variant_make
from tests.conftest import store_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/templates/"


@pytest.fixture
def api(store):
    return store_client(store, signed_in_as=store.owner)


def edit(**parts):
    base = {"subject": "Hi {{ shopper.name }}", "body_html": "<p>{{ line.product_name }}</p>",
            "body_text": "{{ line.product_name }}"}  # fmt: skip
    return {**base, **parts}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_has_a_default_in_every_language_that_renders_with_its_sample(language):
    assert set(TEMPLATES[language]) == set(kinds.KINDS)
    for kind, template in TEMPLATES[language].items():
        template_validate(kind=kind, **template)
        message = render_message(kind=kind, language=language, context=kinds.KINDS[kind].sample, store=None,
                                 template=template)  # fmt: skip
        assert message.subject and message.text.strip() and "<html" in message.html


def test_a_broken_template_is_refused_with_the_line_at_fault(api):
    broken = "<p>Hello</p>\n<p>{{ line.product_name }</p>\n"

    response = api.put(f"{URL}ready_to_ship/en/", edit(body_html=broken), content_type="application/json")

    assert response.status_code == 400
    (message,) = response.json()["fields"]["body_html"]
    assert message.startswith("Line 2: ")
    assert not MessageTemplate.objects.exists()


def test_an_unknown_variable_is_refused_with_its_line(api):
    response = api.put(f"{URL}ready_to_ship/de/", edit(body_text="Hallo\n\n{{ tracking_number }}"),
                       content_type="application/json")  # fmt: skip

    assert response.status_code == 400
    (message,) = response.json()["fields"]["body_text"]
    assert message.startswith("Line 3: ") and "tracking_number" in message


@pytest.mark.parametrize(
    "attack",
    [
        "{{ line.__class__.__mro__[1].__subclasses__() }}",
        "{{ shopper.email.__class__ }}",
        "{{ lines.append(1) }}",
        "{{ store.update({'name': 'x'}) }}",
        "{{ ''.__class__.__base__ }}",
        "{{ self.__init__.__globals__ }}",
    ],
)
def test_the_sandbox_reaches_no_unsafe_attribute_nor_changes_data(attack):
    with pytest.raises(TemplateInvalid):
        template_validate(kind="backorder_confirmation", subject="x", body_html=attack, body_text="x")


def test_html_is_escaped_but_text_is_not(store):
    sample = {**kinds.KINDS["ready_to_ship"].sample, "line": {**kinds.KINDS["ready_to_ship"].sample["line"],
                                                               "product_name": "<script>x</script> & Co"}}  # fmt: skip
    message = render_message(kind="ready_to_ship", language="en", context=sample, store=store)

    assert "&lt;script&gt;x&lt;/script&gt; &amp; Co" in message.html and "<script>" not in message.html
    assert "<script>x</script> & Co" in message.text


def test_the_merchant_edits_a_template_and_the_next_email_uses_it(api, store, smtp_sink):
    response = api.put(f"{URL}ready_to_ship/en/", edit(subject="{{ line.product_name }} is here!"),
                       content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["customized"] is True
    backorder = backorder_make(variant_make(), 1, product_name="Trail Tent", customer_locale="en")
    notification_enqueue(kind="ready_to_ship", key="b", to="a@example.com", context={"backorder_id": backorder.pk},
                         backorder=backorder, language="en")  # fmt: skip

    notifications_send()

    assert smtp_sink.messages[0]["Subject"] == "Trail Tent is here!"
    assert api.get(f"{URL}ready_to_ship/en/").json()["subject"] == "{{ line.product_name }} is here!"
    assert api.delete(f"{URL}ready_to_ship/en/").status_code == 204
    assert api.get(f"{URL}ready_to_ship/en/").json()["customized"] is False


def test_preview_renders_saved_or_unsaved_wording_with_sample_data(api, store):
    saved = api.post(f"{URL}shipped/fr/preview/", {}, content_type="application/json")
    assert saved.status_code == 200
    assert saved.json()["subject"] == "Votre article a été expédié (commande 1042)"
    assert "1Z999AA10123456784" in saved.json()["text"] and store.name in saved.json()["html"]

    unsaved = api.post(f"{URL}shipped/fr/preview/", {"subject": "Colis {{ tracking_number }}"},
                       content_type="application/json")  # fmt: skip
    assert unsaved.json()["subject"] == "Colis 1Z999AA10123456784"
    broken = api.post(f"{URL}shipped/fr/preview/", {"subject": "{% if %}"}, content_type="application/json")
    assert broken.status_code == 400 and broken.json()["fields"]["subject"][0].startswith("Line 1: ")
    assert not MessageTemplate.objects.exists()


def test_the_list_documents_every_kind_and_its_variables(api):
    data = api.get(URL).json()

    by_kind = {entry["kind"]: entry for entry in data}
    assert set(by_kind) == set(kinds.KINDS)
    assert {"name": "tracking_number", "description": kinds.KINDS["shipped"].variables["tracking_number"]} in (
        by_kind["shipped"]["variables"]
    )
    assert by_kind["back_in_stock"]["transactional"] is False
    assert [lang["language"] for lang in by_kind["shipped"]["languages"]] == list(LANGUAGES)


def test_unknown_kinds_and_languages_are_404(api):
    assert api.get(f"{URL}nonsense/en/").status_code == 404
    assert api.get(f"{URL}shipped/xx/").status_code == 404
    assert api.put(f"{URL}shipped/xx/", edit(), content_type="application/json").status_code == 404


def test_a_failing_render_at_send_time_is_retried_not_lost(store, smtp_sink):
    """A template saved before a variable was renamed, say: the row waits and is visible, never dropped."""
    MessageTemplate.objects.create(kind="shipped", language="en", subject="{{ nope }}", body_html="x", body_text="x")
    backorder = backorder_make(variant_make(), 1)
    context = {"backorder_id": backorder.pk, "tracking_number": ""}
    notification_enqueue(
        kind="shipped", key="b", to="a@example.com", language="en", context=context, backorder=backorder
    )

    notifications_send()

    row = Notification.objects.get()
    assert row.status == "pending" and "Rendering failed" in row.last_error and smtp_sink.messages == []
