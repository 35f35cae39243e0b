"""Who may still use a self-service link: links carry a version, and revoking bumps it."""

from django.db import models


class SelfServiceAccess(models.Model):
    """The self-service links of one order for one e-mail address.

    No row means version 0 (nothing was ever revoked). Revoking (support staff, or erasing the shopper's
    data) bumps `version`, which kills every link issued before; new links carry the new version.
    """

    order_id = models.BigIntegerField()
    email = models.EmailField(help_text="Lower-cased.")
    version = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "notifications"
        verbose_name = "self-service access"
        verbose_name_plural = "self-service accesses"
        constraints = [models.UniqueConstraint(fields=["order_id", "email"], name="one_self_service_access")]

    def __str__(self) -> str:
        return f"Order {self.order_id} / {self.email} (links v{self.version})"
