from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "Stores"

    def ready(self) -> None:
        from stores import cors, signals  # noqa: F401  (storefront CORS, cache invalidation)
        from stores.bigcommerce import handlers  # noqa: F401  (registers the adapter's webhook handlers)
