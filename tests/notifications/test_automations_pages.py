"""The Automations pages and the webhook settings: rendered for members with the app's strict content security
policy, sign-in for everybody else, unknown sections not found. (Their data comes from the API: the browser
test drives them.)"""

import re

import pytest
from django.test import Client

from tests.conftest import store_client

pytestmark = pytest.mark.django_db
PAGES = ["/automations/", "/automations/templates/", "/automations/log/", "/automations/tasks/",
         "/automations/rules/new/", "/automations/rules/1/", "/settings/webhooks/"]  # fmt: skip


def test_the_automation_pages_render_for_members_with_scripts_from_this_app_only(make_store):
    store = make_store()
    browser = store_client(store, signed_in_as=store.owner)
    for path in PAGES:
        response = browser.get(path)
        html = response.content.decode()
        assert response.status_code == 200, path
        assert "script-src 'self'" in response["Content-Security-Policy"], path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {path}"
        assert 'href="/automations/" aria-current="page"' in html or path.startswith("/settings/"), path
    assert "pages/webhooks.js" in browser.get("/settings/webhooks/").content.decode()
    assert "pages/webhooks.js" not in browser.get("/settings/team/").content.decode()


def test_strangers_sign_in_first_and_unknown_sections_are_not_found(make_store):
    store = make_store()
    for path in PAGES:
        response = Client(HTTP_HOST=store.host).get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), path
    owner = store_client(store, signed_in_as=store.owner)
    assert owner.get("/automations/everything/").status_code == 404
