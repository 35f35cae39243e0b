"""docs/automations.md is the merchant's and integrator's reference: it lists every trigger, condition (with its
operators and what it applies to), action (with its parameters), placeholder, template and payload field the
code has. Adding one to the code without documenting it fails here."""

import re
from pathlib import Path

import pytest

from notifications.automations import catalog, recipes
from notifications.webhooks import payloads

DOC = (Path(__file__).resolve().parents[2] / "docs" / "automations.md").read_text()
FLAT = " ".join(DOC.split())  # paragraphs are wrapped: compare with the line breaks gone
SUBJECT_WORDS = {"backorder": "backorder", "purchase_order": "purchase order", "variant": "variant",
                 "stock_alert": "stock alert"}  # fmt: skip


def table_row(section: str, first_cell: str) -> list[str]:
    """The cells of the row of `section`'s table whose first cell is `first_cell`."""
    body = DOC.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith(f"| {first_cell} |")]
    assert len(rows) == 1, f"{first_cell} has {len(rows)} rows in the {section} table"
    return [cell.strip() for cell in rows[0].strip("|").split(" | ")]


@pytest.mark.parametrize("trigger", list(catalog.TRIGGERS.values()), ids=lambda t: t.name)
def test_every_trigger_is_in_the_triggers_table_with_what_it_is_about(trigger):
    cells = table_row("Triggers", f"`{trigger.name}`")
    assert cells[-1] == SUBJECT_WORDS[trigger.subject]
    assert ("hourly" in cells[1]) is trigger.scheduled


def test_the_reserved_payment_triggers_are_named():
    for name in catalog.RESERVED_TRIGGERS:
        assert f"`{name}`" in DOC


@pytest.mark.parametrize("condition", list(catalog.CONDITIONS.values()), ids=lambda c: c.field)
def test_every_condition_is_in_the_conditions_table_with_its_operators_and_subjects(condition):
    cells = table_row("Conditions", f"`{condition.field}`")
    assert cells[1] == ", ".join(catalog.OPS[condition.kind])
    applies_to = cells[3]
    if set(condition.subjects) == set(SUBJECT_WORDS):
        assert applies_to == "every trigger"
    else:
        assert applies_to == ", ".join(SUBJECT_WORDS[s] for s in condition.subjects)
    for choice in condition.choices:
        assert f"`{choice}`" in cells[2]


@pytest.mark.parametrize("action", list(catalog.ACTIONS.values()), ids=lambda a: a.type)
def test_every_action_is_in_the_actions_table_with_its_parameters(action):
    cells = table_row("Actions", f"`{action.type}`")
    for param in action.params:
        assert f"`{param}`" in cells[1], param
    if action.type == "order_status":
        assert cells[1].startswith(f"`status_id` ({', '.join(str(s) for s in catalog.SETTABLE_STATUSES)})")
    if action.type == "email":
        for template in catalog.SHOPPER_TEMPLATES:
            assert f"`{template}`" in cells[1]


def test_every_placeholder_is_listed():
    listed = set(re.findall(r"`\{([a-z_]+)\}`", DOC.split("\n## Actions\n", 1)[1].split("\n| type |", 1)[0]))
    assert listed == set(catalog.PLACEHOLDERS)


def test_every_template_is_named_and_counted():
    for recipe in recipes.RECIPES.values():
        assert recipe.name in FLAT, recipe.name
    assert f"the {len(recipes.RECIPES)} templates" in FLAT


@pytest.mark.parametrize(
    ("first_cell", "serializers"),
    [
        ("`backorder.*`, `webhook.test`", {"backorder": payloads.BackorderOutputSerializer}),
        ("`purchase_order.received`, `purchase_order.overdue`",
         {"purchase_order": payloads.PurchaseOrderPayloadSerializer,
          "lines": payloads.PurchaseOrderLinePayloadSerializer}),
        ("`variant.back_in_stock`", {"variant": payloads.VariantPayloadSerializer}),
        ("`stock_alert.subscribed`", {"stock_alert": payloads.StockAlertPayloadSerializer}),
    ],
)  # fmt: skip
def test_every_payload_field_is_listed(first_cell, serializers):
    cells = table_row("Outbound webhooks", first_cell)
    for key, serializer in serializers.items():
        assert f'"{key}"' in cells[1]
        documented = re.search(rf'"{key}": \[?\{{([^}}]*)\}}', cells[1])[1]
        assert {f.strip() for f in documented.split(",")} == set(serializer().fields), key
