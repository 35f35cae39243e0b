"""Reads for the storefront widget: the store's appearance settings and what the widget is told at load."""

from collections import namedtuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from backorder import texts
from backorder.models import Policy, PolicyChangePending, VariantAvailability, WidgetAppearance
from backorder.services.widget_appearance import appearance_cache_key, text_on

STATES_WITH_LABELS = ("backorder", "preorder", "unavailable")
# The storefront reads the appearance on every widget.js and config request; a change is dropped from the
# cache when saved (everywhere with a shared cache, REDIS_URL), and other processes' copies expire by then.
APPEARANCE_CACHE_SECONDS = 60


def widget_appearance_get(*, cached: bool = False) -> WidgetAppearance:
    """The store's saved appearance, or the defaults (unsaved) when the merchant never changed it; from the
    cache when `cached` (the storefront's reads), from the database otherwise (the merchant's)."""
    if cached and (appearance := cache.get(appearance_cache_key())) is not None:
        return appearance
    appearance = WidgetAppearance.objects.filter(pk=1).first() or WidgetAppearance(pk=1)
    if cached:
        cache.set(appearance_cache_key(), appearance, APPEARANCE_CACHE_SECONDS)
    return appearance


def widget_languages(appearance: WidgetAppearance, store_language: str) -> tuple[list[str], str]:
    """(languages the widget speaks, the one it falls back to): the store's own language when enabled."""
    languages = [code for code in appearance.languages if code in texts.LANGUAGES] or ["en"]
    fallback = texts.language_for(store_language, "en")
    return languages, fallback if fallback in languages else languages[0]


def widget_strings(appearance: WidgetAppearance, language: str) -> dict[str, str]:
    """The widget's own words in `language`, plus the built-in button label of every state the merchant
    relabelled (the widget swaps a built-in label for the merchant's, never a policy's own label)."""
    strings = dict(texts.WIDGET[language])
    for state in STATES_WITH_LABELS:
        if getattr(appearance, f"label_{state}"):
            strings[f"default_{state}"] = texts.BUTTON[language][state]
    return strings


def widget_appearance_public(appearance: WidgetAppearance) -> dict:
    """The appearance as the storefront may see it."""
    return {
        "colors": {
            "accent": appearance.accent_color,
            "on_accent": text_on(appearance.accent_color),
            "text": appearance.text_color,
            "background": appearance.background_color,
        },
        "labels": {state: getattr(appearance, f"label_{state}") for state in STATES_WITH_LABELS},
        "show": {
            "split": appearance.show_split,
            "notify_me": appearance.show_notify_me,
            "alternatives": appearance.show_alternatives,
        },
    }


def _group_policies_key() -> str:
    return f"sf:group-policies:{connection.schema_name}"


def store_has_group_policies(*, cached: bool = False) -> bool:
    """Whether any policy of the store is for some customer groups only; from the cache when `cached` (the
    widget's reads: dropped after a policy save commits, else at most APPEARANCE_CACHE_SECONDS old)."""
    if cached and (found := cache.get(_group_policies_key())) is not None:
        return found
    exists = Policy.objects.exclude(customer_group_ids=[]).exists()
    if cached:
        cache.set(_group_policies_key(), exists, APPEARANCE_CACHE_SECONDS)
    return exists


def group_policies_forget() -> None:
    """A policy was saved or deleted: the widget asks again whether the store has group policies (after the
    commit)."""
    key = _group_policies_key()
    transaction.on_commit(lambda: cache.delete(key))


def widget_config(*, store) -> dict:
    """Everything the widget script needs before its first request: where the API is, how to look, and its
    words in the store's language. The storefront's language is known only in the browser: a page in another
    language the store enabled asks `pack` (with `{lang}` filled in) for that language's words. `customer`
    (the app's client id) is there only when some policy is for certain customer groups: the widget then asks
    the storefront who the shopper is (BigCommerce's Current Customer token) and passes that on."""
    appearance = widget_appearance_get(cached=True)
    languages, fallback = widget_languages(appearance, store.language)
    public = widget_appearance_public(appearance)
    groups = {"customer": settings.BIGCOMMERCE_CLIENT_ID} if store_has_group_policies(cached=True) else {}
    return {
        **groups,
        "api": f"{settings.APP_BASE_URL}/api/storefront/v1/{store.public_key}",
        "pack": f"{settings.APP_BASE_URL}/storefront/{store.public_key}/widget-{{lang}}.json",
        "language": fallback,
        "languages": languages,
        **public,
        "labels": {state: label for state, label in public["labels"].items() if label},  # the merchant's own only
        "strings": widget_strings(appearance, fallback),
    }


# -- the availability endpoint's one SELECT ----------------------------------------------------------------
# Fixed SQL and light read-only rows: building the ORM query for this model and a model instance per row
# (27 columns, init signals, a timestamp parsed) cost more CPU than everything else the endpoint does.
# The rows carry every column the answer reads (services.availability reads attributes only).
# `policy_pending`: a policy change saved since the row was computed is being applied (PolicyChangePending; its
# table is empty but for the seconds a large change takes to apply), so the row is answered from the live
# policies (services.availability.rows_under_saved_policies), which give the precomputed answer for a row the
# change does not govern. The test is uncorrelated (any pending change, one InitPlan): which rows a change
# governs, asked per row, cost PostgreSQL about 60 us of planning and execution on every storefront answer
# (measured: 214 / 181 / 155 us per SELECT with that test, this one, none), for changes that are nearly always
# store- or category-wide anyway (a change is pending only when it governs more than 500 variants).
_FIELDS = [field for field in VariantAvailability._meta.concrete_fields if field.name not in {"id", "computed_at"}]
_CONVERTED = [(index, field) for index, field in enumerate(_FIELDS) if hasattr(field, "from_db_value")]
_SELECT = "SELECT {}, EXISTS (SELECT FROM {}) FROM {} a WHERE product_id = %s".format(
    ", ".join(connection.ops.quote_name(field.column) for field in _FIELDS),
    PolicyChangePending._meta.db_table,
    VariantAvailability._meta.db_table,
)
AvailabilityRow = namedtuple("AvailabilityRow", [*(field.attname for field in _FIELDS), "policy_pending"])


def availability_rows(*, product_id: int, variant_id: int | None) -> list[AvailabilityRow]:
    """The precomputed availability of a product (or of one of its variants), in one SELECT; while a policy
    change is being applied the rows come with `policy_pending` (answer them with rows_under_saved_policies)."""
    sql, params = (_SELECT, [product_id]) if variant_id is None else (_SELECT + " AND variant_id = %s",
                                                                      [product_id, variant_id])  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    if not _CONVERTED:
        return [AvailabilityRow._make(values) for values in fetched]
    rows = []
    for values in fetched:
        values = list(values)
        for index, field in _CONVERTED:
            values[index] = field.from_db_value(values[index], None, connection)
        rows.append(AvailabilityRow._make(values))
    return rows
