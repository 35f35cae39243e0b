"""Support staff find stores and open their data; every change they make is recorded."""

import pytest
from django_tenants.utils import schema_context

from backorder.models import Policy
from stores.models import StaffAuditEntry, User


@pytest.fixture
def staff_client(db, public_client):
    staff = User.objects.create_superuser("support@backorder.example", "support@backorder.example", "s3cret-pass!")
    public_client.force_login(staff)
    public_client.staff = staff
    return public_client


@pytest.mark.django_db
def test_staff_find_a_store_by_member_email(staff_client, make_store):
    store = make_store(name="Lamp Shop", email="maria@lamp.example")
    make_store(name="Chair Shop")
    response = staff_client.get("/admin/stores/store/", {"q": "maria@lamp"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Lamp Shop" in page and "Chair Shop" not in page
    assert f"/admin/store/{store.pk}/" in page


@pytest.mark.django_db
def test_staff_open_a_store_policy_and_their_change_is_audited(staff_client, make_store):
    store, other = make_store(), make_store()
    with schema_context(store.schema_name):
        policy = Policy.objects.get()

    listing = staff_client.get(f"/admin/store/{store.pk}/backorder/policy/")
    assert listing.status_code == 200
    assert f"/admin/store/{store.pk}/backorder/policy/{policy.pk}/change/" in listing.content.decode()

    form = {
        "scope": "store", "bigcommerce_id": "", "enabled": "on", "mode": "backorder", "lead_time_days": "21",
        "shipping_preference": "together", "shopper_may_cancel": "until_allocated",
    }  # fmt: skip
    response = staff_client.post(f"/admin/store/{store.pk}/backorder/policy/{policy.pk}/change/", form)
    assert response.status_code == 302

    with schema_context(store.schema_name):
        assert Policy.objects.get().enabled is True
    with schema_context(other.schema_name):
        assert Policy.objects.get().enabled is False
    entry = StaffAuditEntry.objects.get()
    assert (entry.store_id, entry.user_email, entry.action) == (store.pk, "support@backorder.example", "change")
    assert entry.changes["enabled"] == {"from": False, "to": True}
    assert entry.changes["lead_time_days"] == {"from": 14, "to": 21}


@pytest.mark.django_db
def test_people_who_are_not_staff_cannot_open_store_data(make_store, public_client):
    store = make_store()
    public_client.force_login(store.owner)
    response = public_client.get(f"/admin/store/{store.pk}/backorder/policy/")
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_staff_changes_to_a_store_record_are_audited(staff_client, make_store):
    store = make_store()
    response = staff_client.post(
        f"/admin/stores/store/{store.pk}/change/",
        {
            "name": store.name, "slug": store.slug, "status": "deactivated", "plan": "trial", "timezone": "UTC",
            "language": "en",
            "domains-TOTAL_FORMS": "0", "domains-INITIAL_FORMS": "0",
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = StaffAuditEntry.objects.get()
    assert entry.store_id == store.pk
    assert entry.changes["status"] == {"from": "active", "to": "deactivated"}
