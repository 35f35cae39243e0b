"""Create the demo merchant (once), connect its store to the sandbox BigCommerce store, print how to sign in.

It lives in `backorder` because it knows both sides: the stores (sign-up, the BigCommerce install) and the
backorder engine (the store policy); `stores` never imports the apps built on it.
"""

import time
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from backorder.models import Policy
from backorder.services.policies import policy_update
from stores import services
from stores.bigcommerce import install
from stores.models import Store, User

DEMO_EMAIL = "demo@backorder.example"
DEMO_PASSWORD = "backorder-demo-2026"
DEMO_STORE = "Demo Store"


class Command(BaseCommand):
    help = "Create the demo merchant and store, connect it to the sandbox store, and print the sign-in details."

    def add_arguments(self, parser):
        parser.add_argument("--sandbox-store", default="sandbox1", help="store hash in the running sandbox")
        parser.add_argument("--no-connect", action="store_true", help="leave the demo store unconnected")

    def handle(self, *args, sandbox_store: str, no_connect: bool, **options):
        store = Store.objects.filter(slug=services.store_slug_for_name(DEMO_STORE)).first()
        if store is None or not User.objects.filter(username=DEMO_EMAIL).exists():
            store = services.store_sign_up(email=DEMO_EMAIL, password=DEMO_PASSWORD, store_name=DEMO_STORE).store
        storefront = {} if no_connect else self._sandbox_storefront(sandbox_store)
        if not no_connect and not store.bigcommerce_store_hash:
            self._connect_to_sandbox(store, sandbox_store)
            self._backorders_on(store)
        elif not no_connect and not storefront.get("app_installed"):
            # The sandbox keeps its stores in memory: after a restart, install the app again (same store).
            self._connect_to_sandbox(store, sandbox_store)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Backorder is running.",
                    f"  Sign in:        {settings.APP_BASE_URL}/login/",
                    f"  E-mail:         {DEMO_EMAIL}",
                    f"  Password:       {DEMO_PASSWORD}",
                    f"  Demo store:     {store.base_url}/",
                    f"  Sign up:        {settings.APP_BASE_URL}/signup/",
                    f"  Support admin:  {settings.APP_BASE_URL}/admin/ (first: python manage.py createsuperuser)",
                    f"  Sandbox:        {settings.BIGCOMMERCE_API_URL} (see README: place an order, ship, restock)",
                    f"  Storefront:     {storefront.get('product_url') or '(not connected)'} (the widget on a "
                    "product page; cart: /cart.php)",
                    "",
                ]
            )
        )

    def _backorders_on(self, store: Store) -> None:
        """The demo shows the whole flow, so its store sells on backorder (14 days) from the start."""
        with schema_context(store.schema_name):
            policy_update(policy=Policy.objects.get(scope="store"), data={"enabled": True, "lead_time_days": 14})
        self.stdout.write("Backorders are on for the demo store (store policy: 14 days' lead time).")

    def _sandbox_storefront(self, store_hash: str) -> dict:
        """The sandbox serves the store's storefront (its channel site, which the app reads at install as the
        storefront origin); returns its URLs and whether our app is installed there."""
        base = f"{settings.BIGCOMMERCE_API_URL}/_sandbox"
        for _ in range(50):
            try:
                urls = requests.post(f"{base}/stores/{store_hash}/storefront", timeout=2)
                urls.raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise CommandError(f"The sandbox does not answer at {base}; is it running?")
        installs = requests.get(f"{base}/stores/{store_hash}", timeout=10).json().get("installs") or {}
        return {**urls.json(), "app_installed": settings.BIGCOMMERCE_CLIENT_ID in installs}

    def _connect_to_sandbox(self, store: Store, store_hash: str) -> None:
        """Install the app on the sandbox store the way the control panel does, attached to the demo store."""
        base = f"{settings.BIGCOMMERCE_API_URL}/_sandbox"
        for _ in range(50):
            try:
                requests.get(f"{base}/health", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise CommandError(f"The sandbox does not answer at {base}; is it running?")
        response = requests.post(f"{base}/stores/{store_hash}/install", json={"perform": False}, timeout=10)
        response.raise_for_status()
        query = {k: v[-1] for k, v in parse_qs(urlsplit(response.json()["auth_url"]).query).items()}
        install.store_install(code=query["code"], scope=query["scope"], context=query["context"], attach_to=store)
        self.stdout.write(f"Connected {store.name} to the sandbox store {store_hash}; the catalog sync is queued.")
