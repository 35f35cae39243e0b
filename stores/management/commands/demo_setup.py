"""Create the demo merchant (idempotent) and print how to sign in."""

from django.conf import settings
from django.core.management.base import BaseCommand

from stores import services
from stores.models import Store, User

DEMO_EMAIL = "demo@backorder.example"
DEMO_PASSWORD = "backorder-demo-2026"
DEMO_STORE = "Demo Store"


class Command(BaseCommand):
    help = "Create the demo merchant and store (once) and print the sign-in details."

    def handle(self, *args, **options):
        store = Store.objects.filter(slug=services.store_slug_for_name(DEMO_STORE)).first()
        if store is None or not User.objects.filter(username=DEMO_EMAIL).exists():
            store = services.store_sign_up(email=DEMO_EMAIL, password=DEMO_PASSWORD, store_name=DEMO_STORE).store
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Backorder is running.",
                    f"  Sign in:       {settings.APP_BASE_URL}/login/",
                    f"  E-mail:        {DEMO_EMAIL}",
                    f"  Password:      {DEMO_PASSWORD}",
                    f"  Demo store:    {store.base_url}/",
                    f"  Sign up:       {settings.APP_BASE_URL}/signup/",
                    f"  BigCommerce sandbox: {settings.BIGCOMMERCE_API_URL}",
                    "",
                ]
            )
        )
