from django.apps import AppConfig


class BackorderConfig(AppConfig):
    name = "backorder"
    verbose_name = "Backorders"

    def ready(self) -> None:
        from backorder.services import policies
        from stores.provisioning import register_store_setup

        register_store_setup(policies.policy_create_store_default)
        from backorder import handlers  # noqa: F401  (registers webhook handlers and connection steps)
        from backorder.services import incentives

        incentives.listeners_connect()  # incentives that fire when a backorder is captured or delayed
