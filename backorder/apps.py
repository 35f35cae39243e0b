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
        from django.db.models.signals import post_delete, post_save

        from backorder import storefront_answers
        from stores.models import Store

        post_save.connect(storefront_answers.store_changed, sender=Store, dispatch_uid="storefront_answers_store")
        post_delete.connect(storefront_answers.store_changed, sender=Store, dispatch_uid="storefront_answers_gone")
