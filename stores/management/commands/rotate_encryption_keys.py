"""`manage.py rotate_encryption_keys`: re-encrypt every secret at rest with the current (first) key.

Rotation: put the new key first in ENCRYPTION_KEYS and keep the old ones after it (every key decrypts, the
first encrypts), deploy, run this command, then drop the old keys from ENCRYPTION_KEYS and deploy again.
It finds the encrypted columns itself (every stores.crypto.EncryptedTextField of every model), works in
batches, and is safe to run twice (a value already under the current key is written back unchanged).
A value no key decrypts is reported and left as it is (the command then exits non-zero).
"""

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django_tenants.utils import schema_context

from stores.crypto import EncryptedTextField, InvalidToken, rotate
from stores.models import Store

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt secrets at rest (access tokens, webhook secrets) with the first key of ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        undecryptable = 0
        tenant_apps = set(settings.TENANT_APPS) - set(settings.SHARED_APPS)
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            if model._meta.app_config.name in tenant_apps:  # a store's own table: in every store's schema
                schemas = list(Store.objects.merchants().values_list("schema_name", flat=True))
            else:
                schemas = [settings.PUBLIC_SCHEMA_NAME]
            for schema in schemas:
                with schema_context(schema):
                    undecryptable += self._rotate(model, fields, schema)
        if undecryptable:
            raise CommandError(f"{undecryptable} value(s) could not be decrypted with any key in ENCRYPTION_KEYS.")

    def _rotate(self, model, fields, schema: str) -> int:
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        rotated, bad = 0, 0
        for field in fields:
            column = connection.ops.quote_name(field.column)
            last = None
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    # Raw values (the field would decrypt them); locked while they are rewritten.
                    cursor.execute(
                        f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''"
                        + (f" AND {pk} > %s" if last is not None else "")
                        + f" ORDER BY {pk} LIMIT {BATCH} FOR UPDATE",
                        [last] if last is not None else [],
                    )
                    rows = cursor.fetchall()
                    for row_pk, value in rows:
                        try:
                            fresh = rotate(value)
                        except InvalidToken:
                            bad += 1
                            self.stderr.write(f"{model._meta.label} {row_pk}: {field.name} decrypts with no key")
                            continue
                        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s", [fresh, row_pk])
                        rotated += 1
                if len(rows) < BATCH:
                    break
                last = rows[-1][0]
        self.stdout.write(f"{model._meta.label} ({schema}): {rotated} value(s) re-encrypted, {bad} not decryptable")
        return bad
