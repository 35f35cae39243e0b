"""Long lists of ids in SQL: one array parameter instead of one parameter per id.

Django writes `filter(x__in=ids)` as `IN (%s, %s, …)`, one parameter per id, and psycopg quotes each one in
Python; for the thousands of ids of a catalog page or a store-wide refresh that costs more than the query.
`id_array` makes the ids one PostgreSQL array literal (cast it with `::bigint[]` in raw SQL); `among` is the
same list for the ORM: `filter(x__in=among(ids))` becomes `x IN (SELECT unnest(%s::bigint[]))`.
"""

from collections.abc import Iterable

from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL


def id_array(ids: Iterable[int]) -> str:
    """The ids as one PostgreSQL array literal, e.g. `{1,2,3}` (only integers: nothing to quote)."""
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


def among(ids: Iterable[int]) -> RawSQL:
    """The ids for an ORM `__in` filter, as one array parameter."""
    return RawSQL("SELECT unnest(%s::bigint[])", [id_array(ids)], output_field=BigIntegerField())
