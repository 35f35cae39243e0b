"""Backorders as CSV for a spreadsheet, streamed row by row (an export of 100,000 stays small in memory)."""

import csv
from collections.abc import Iterator

COLUMNS = [
    ("id", "Backorder"), ("order_id", "Order"), ("order_created_at", "Ordered at (UTC)"), ("status", "Status"),
    ("product_id", "Product id"), ("variant_id", "Variant id"), ("sku", "SKU"), ("product_name", "Product"),
    ("quantity", "Quantity"), ("quantity_allocated", "Allocated"), ("quantity_shipped", "Shipped"),
    ("expected_ship_date", "Expected ship date"), ("promised_ship_date", "Promised ship date"),
    ("customer_name", "Customer"), ("customer_email", "E-mail"), ("unit_price", "Unit price"),
    ("currency", "Currency"), ("cancellation_reason", "Cancellation reason"),
]  # fmt: skip

# A cell starting with one of these is a formula to a spreadsheet: shoppers type names and e-mails.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_START) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def backorders_csv(queryset) -> Iterator[str]:
    """The header line, then one line per backorder; cells a spreadsheet would run as formulas are quoted."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([label for _, label in COLUMNS])  # BOM: Excel reads UTF-8 then
    fields = [name for name, _ in COLUMNS]
    for row in queryset.values_list(*fields).iterator(chunk_size=2000):
        yield writer.writerow([_cell(value) for value in row])
