from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "Stores"

    def ready(self) -> None:
        from stores import signals  # noqa: F401  (connects cache invalidation)
        from stores.bigcommerce import handlers  # noqa: F401  (registers the adapter's webhook handlers)
