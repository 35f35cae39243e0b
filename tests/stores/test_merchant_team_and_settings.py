"""Team members and roles, the store's details, and who may change them: owners may, staff may only look,
an integration's token may not, and another store's people see nothing of this store."""

import pytest
from django.core import mail
from django.test import Client

from stores import services
from stores.models import StoreMembership, User
from tests.conftest import PASSWORD, store_client


def staff_of(store, email="staff@shop.example") -> User:
    user = User.objects.create_user(email, password=PASSWORD)
    services.membership_grant(user=user, store=store, role=StoreMembership.Role.STAFF)
    return user


def json(client, method, path, body=None):
    return getattr(client, method)(path, body or {}, content_type="application/json")


@pytest.mark.django_db
def test_the_owner_gives_a_new_person_access_and_they_get_a_link_to_choose_a_password(
    make_store, django_capture_on_commit_callbacks
):
    store = make_store()
    owner = store_client(store, signed_in_as=store.owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = json(owner, "post", "/api/v1/team/", {"email": "Kim@Shop.example", "role": "staff"})

    assert response.status_code == 201 and response.json()["email"] == "kim@shop.example"
    assert StoreMembership.objects.get(store=store, user__username="kim@shop.example").role == "staff"
    assert mail.outbox[-1].to == ["kim@shop.example"] and "/password-reset/" in mail.outbox[-1].body
    team = owner.get("/api/v1/team/").json()
    assert team["your_role"] == "owner"
    assert [(m["email"], m["role"], m["is_you"]) for m in team["results"]] == [
        (store.owner.email, "owner", True), ("kim@shop.example", "staff", False)
    ]  # fmt: skip
    again = json(owner, "post", "/api/v1/team/", {"email": "kim@shop.example"})
    assert again.status_code == 400 and "already has access" in str(again.json())


@pytest.mark.django_db
def test_the_last_owner_can_be_neither_demoted_nor_removed(make_store):
    store = make_store()
    owner = store_client(store, signed_in_as=store.owner)
    mine = StoreMembership.objects.get(store=store, user=store.owner)

    assert json(owner, "patch", f"/api/v1/team/{mine.pk}/", {"role": "staff"}).status_code == 400
    assert owner.delete(f"/api/v1/team/{mine.pk}/").status_code == 400
    other = staff_of(store)
    other_membership = StoreMembership.objects.get(store=store, user=other)
    assert json(owner, "patch", f"/api/v1/team/{other_membership.pk}/", {"role": "owner"}).json()["role"] == "owner"
    assert json(owner, "patch", f"/api/v1/team/{mine.pk}/", {"role": "staff"}).status_code == 200


@pytest.mark.django_db
def test_staff_see_the_team_and_settings_but_change_neither(make_store):
    store = make_store()
    member = staff_of(store)
    staff = store_client(store, signed_in_as=member)
    owner_membership = StoreMembership.objects.get(store=store, user=store.owner)

    assert staff.get("/api/v1/team/").json()["your_role"] == "staff"
    refused = [
        json(staff, "post", "/api/v1/team/", {"email": "x@shop.example"}),
        json(staff, "patch", f"/api/v1/team/{owner_membership.pk}/", {"role": "staff"}),
        staff.delete(f"/api/v1/team/{owner_membership.pk}/"),
        json(staff, "patch", "/api/v1/store/", {"name": "Mine now"}),
        json(staff, "post", "/api/v1/api-tokens/", {"name": "ERP"}),
        staff.get("/api/v1/api-tokens/"),
    ]
    assert [r.status_code for r in refused] == [403] * 6
    assert staff.get("/api/v1/store/").status_code == 200
    assert "Give someone access" not in staff.get("/settings/team/").content.decode()
    assert "Only the store's owner manages API tokens" in staff.get("/settings/api-tokens/").content.decode()


@pytest.mark.django_db
def test_an_integration_token_reads_the_store_but_cannot_change_its_settings(make_store):
    from stores import api_tokens

    store = make_store()
    _, token = api_tokens.api_token_create(store=store, name="ERP", created_by=store.owner)
    erp = Client(HTTP_HOST=store.host, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert erp.get("/api/v1/store/").status_code == 200
    assert json(erp, "patch", "/api/v1/store/", {"name": "Renamed"}).status_code == 403
    assert json(erp, "post", "/api/v1/team/", {"email": "x@shop.example"}).status_code == 403


@pytest.mark.django_db
def test_the_owner_renames_the_store_and_sets_its_time_zone_and_language(make_store):
    store = make_store()
    owner = store_client(store, signed_in_as=store.owner)

    body = json(
        owner, "patch", "/api/v1/store/", {"name": "Lamp Co", "timezone": "Europe/Berlin", "language": "de"}
    ).json()

    assert (body["name"], body["timezone"], body["language"], body["slug"]) == (
        "Lamp Co",
        "Europe/Berlin",
        "de",
        store.slug,
    )
    assert owner.get("/api/v1/store/").json()["name"] == "Lamp Co"  # the cached store was forgotten
    bad = json(owner, "patch", "/api/v1/store/", {"timezone": "Mars/Olympus", "language": "xx"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"timezone", "language"}
    assert json(owner, "patch", "/api/v1/store/", {"name": " "}).status_code == 400


@pytest.mark.django_db
def test_another_stores_owner_sees_nothing_of_this_store(make_store):
    store, other = make_store(), make_store()
    member = staff_of(store)
    intruder = store_client(other, signed_in_as=other.owner)
    membership = StoreMembership.objects.get(store=store, user=member)

    # Their own host answers for their own store only; this store's member ids mean nothing there.
    assert intruder.get("/api/v1/team/").json()["results"][0]["email"] == other.owner.email
    assert intruder.delete(f"/api/v1/team/{membership.pk}/").status_code == 404
    # On this store's host their session is worthless: pages send them to sign in, the API refuses.
    thief = Client(HTTP_HOST=store.host)
    thief.cookies["sessionid"] = intruder.cookies["sessionid"].value
    for path in ["/api/v1/team/", "/api/v1/dashboard/", "/api/v1/products/", "/api/v1/connection/",
                 "/api/v1/catalog/sync/", "/api/v1/backorders/export/"]:  # fmt: skip
        assert thief.get(path).status_code == 403, path
    for path in ["/", "/backorders/", "/settings/team/", "/notifications/"]:
        response = thief.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"], path
    assert StoreMembership.objects.filter(pk=membership.pk).exists()
