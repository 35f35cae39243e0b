"""A function in the public schema that says, in one query, which store schemas lack which migrations
(stores/schema_migrations.py): `migrate` pays nothing per store that is up to date."""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION public.store_schemas_missing_migrations(schemas text[], expected text[])
RETURNS TABLE (schema_name text, missing text[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
    one text;
    applied text[];
BEGIN
    FOREACH one IN ARRAY schemas LOOP
        IF to_regclass(format('%I.django_migrations', one)) IS NULL THEN
            schema_name := one;
            missing := expected;
            RETURN NEXT;
            CONTINUE;
        END IF;
        EXECUTE format('SELECT coalesce(array_agg(app || ''.'' || name), ''{}'') FROM %I.django_migrations', one)
            INTO applied;
        IF NOT applied @> expected THEN
            schema_name := one;
            missing := ARRAY(SELECT unnest(expected) EXCEPT SELECT unnest(applied) ORDER BY 1);
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS public.store_schemas_missing_migrations(text[], text[])"


class Migration(migrations.Migration):
    dependencies = [("stores", "0008_lease")]

    operations = [migrations.RunSQL(CREATE, DROP)]
