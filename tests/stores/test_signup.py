"""Sign-up: a merchant gets an account, an empty store with its own schema and host, and lands there signed in."""

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from backorder.models import Policy
from stores import provisioning, services
from stores.models import Domain, Store, StoreMembership, User
from tests.conftest import PASSWORD


def sign_up(public_client, **overrides):
    data = {"email": "maria@lamp-shop.example", "password": PASSWORD, "store_name": "Lamp Shop"} | overrides
    return public_client.post("/signup/", data)


@pytest.mark.django_db
def test_sign_up_creates_store_schema_host_and_owner_and_lands_signed_in_on_the_store_host(public_client, settings):
    settings.BIGCOMMERCE_API_URL = "http://127.0.0.1:8001"  # the demo's sandbox: "Try it" is offered
    response = sign_up(public_client)

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.hostname == "lamp-shop.localhost"
    assert target.path.startswith("/auth/handoff/")
    store = Store.objects.get(slug="lamp-shop")
    assert schema_exists(store.schema_name)
    assert Domain.objects.get(tenant=store).domain == "lamp-shop.localhost"
    owner = StoreMembership.objects.get(store=store)
    assert (owner.user.email, owner.role) == ("maria@lamp-shop.example", "owner")

    from django.test import Client

    browser = Client(HTTP_HOST="lamp-shop.localhost")
    landed = browser.get(target.path, follow=True)
    assert landed.status_code == 200
    page = landed.content.decode()
    assert "Connect your BigCommerce store" in page
    assert "Try it with the sandbox store" in page


@pytest.mark.django_db
def test_the_sandbox_is_not_offered_against_the_real_bigcommerce(make_store, settings):
    settings.BIGCOMMERCE_API_URL = "https://api.bigcommerce.com"
    store = make_store()
    from tests.conftest import store_client

    page = store_client(store, signed_in_as=store.owner).get("/").content.decode()
    assert "Connect your BigCommerce store" in page
    assert "Try it with the sandbox store" not in page


@pytest.mark.django_db
def test_a_new_store_starts_with_one_disabled_store_policy(make_store):
    store = make_store()
    with schema_context(store.schema_name):
        assert list(Policy.objects.values_list("scope", "enabled")) == [("store", False)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password": "12345678"}, "password", "too short"),
        ({"password": "password123"}, "password", "too common"),
        ({"store_name": "admin"}, "store_name", "reserved"),
        ({"store_name": "!!"}, "store_name", "at least 3 letters"),
        ({"email": "not-an-email"}, "email", "valid email"),
    ],
)
def test_sign_up_rejects_bad_input_with_a_message_and_creates_nothing(public_client, overrides, field, message):
    response = sign_up(public_client, **overrides)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]).lower()
    assert not Store.objects.merchants().exists()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_sign_up_with_a_taken_email_or_store_name_says_so(public_client, make_store):
    make_store(name="Lamp Shop", email="maria@lamp-shop.example")

    response = sign_up(public_client, store_name="Other Lamps")
    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["email"][0]

    response = sign_up(public_client, email="new@lamp-shop.example", store_name="Lamp shop")
    assert response.status_code == 400
    assert "already exists" in response.context["form"].errors["store_name"][0]
    assert Store.objects.merchants().count() == 1


@pytest.mark.django_db
def test_a_failure_after_the_schema_is_made_leaves_no_half_created_store(public_client, monkeypatch):
    def broken_setup_step(store):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(provisioning, "_store_setup_steps", [*provisioning._store_setup_steps, broken_setup_step])

    with pytest.raises(RuntimeError):
        services.store_sign_up(email="maria@lamp-shop.example", password=PASSWORD, store_name="Lamp Shop")

    assert not Store.objects.filter(slug="lamp-shop").exists()
    assert not User.objects.filter(username="maria@lamp-shop.example").exists()
    assert not Domain.objects.filter(domain="lamp-shop.localhost").exists()
    assert not schema_exists("store_lamp_shop")
    assert connection.schema_name == "public"
