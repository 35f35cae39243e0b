"""Keep the tenant lookup cache true when a store or its domains change."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from stores import tenancy
from stores.models import Domain, Store


@receiver(post_save, sender=Store)
@receiver(post_delete, sender=Store)
def forget_store(sender, instance: Store, **kwargs) -> None:
    keys = [tenancy.public_key_key(instance.public_key)]
    if instance.bigcommerce_store_hash:
        keys.append(tenancy.bigcommerce_hash_key(instance.bigcommerce_store_hash))
    keys += [tenancy.host_key(d) for d in Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True)]
    tenancy.forget(keys)


@receiver(pre_save, sender=Store)
def forget_old_keys(sender, instance: Store, **kwargs) -> None:
    if instance.pk:
        old = Store.objects.filter(pk=instance.pk).values("public_key", "bigcommerce_store_hash").first() or {}
        stale = []
        if old.get("public_key") and old["public_key"] != instance.public_key:
            stale.append(tenancy.public_key_key(old["public_key"]))
        if old.get("bigcommerce_store_hash") and old["bigcommerce_store_hash"] != instance.bigcommerce_store_hash:
            stale.append(tenancy.bigcommerce_hash_key(old["bigcommerce_store_hash"]))
        tenancy.forget(stale)


@receiver(pre_save, sender=Domain)
def forget_old_domain(sender, instance: Domain, **kwargs) -> None:
    if instance.pk:
        old = Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        if old:
            tenancy.forget([tenancy.host_key(old)])


@receiver(post_save, sender=Domain)
@receiver(post_delete, sender=Domain)
def forget_domain(sender, instance: Domain, **kwargs) -> None:
    tenancy.forget([tenancy.host_key(instance.domain)])
