"""Ready-made rules (the template gallery): one click installs one as a rule, switched off, to edit and enable.

A recipe may leave a value for the merchant to fill (a customer group, a Slack URL, an address, an endpoint):
the rule is then saved but cannot be switched on until it is filled (`needs`). Texts shoppers read come in the
four languages of the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Recipe:
    key: str
    name: str
    description: str
    category: str
    trigger: str
    actions: list[dict]
    conditions: list[dict] = field(default_factory=list)
    match: str = "all"
    needs: tuple[str, ...] = ()  # what the merchant fills in before switching it on


_SORRY = {
    "en": "We are sorry your order is taking longer than we promised. Here is a little thank-you for your patience.",
    "de": "Es tut uns leid, dass Ihre Bestellung länger dauert als versprochen. Hier ist ein kleines Dankeschön für "
          "Ihre Geduld.",
    "fr": "Nous sommes désolés que votre commande prenne plus de temps que prévu. Voici un petit geste pour vous "
          "remercier de votre patience.",
    "es": "Sentimos que tu pedido esté tardando más de lo prometido. Aquí tienes un pequeño detalle para agradecer tu "
          "paciencia.",
}  # fmt: skip
_DELAY = {
    "en": "Our supplier has pushed back the delivery of this item. You can accept the new date or cancel for a full "
          "refund on your order page.",
    "de": "Unser Lieferant hat die Lieferung dieses Artikels verschoben. Auf Ihrer Bestellseite können Sie das neue "
          "Datum annehmen oder gegen volle Erstattung stornieren.",
    "fr": "Notre fournisseur a repoussé la livraison de cet article. Sur la page de votre commande, vous pouvez "
          "accepter la nouvelle date ou annuler avec un remboursement intégral.",
    "es": "Nuestro proveedor ha retrasado la entrega de este artículo. En la página de tu pedido puedes aceptar la "
          "nueva fecha o cancelar con el reembolso completo.",
}  # fmt: skip

RECIPES: dict[str, Recipe] = {
    r.key: r
    for r in [
        Recipe("slack_ready", "Slack the warehouse when a backorder is ready", "Posts to your warehouse channel as "
               "soon as every unit of a backorder is allocated, so it can be picked and shipped.", "Fulfilment",
               "backorder.allocated",
               [{"type": "slack", "url": "", "message": "Ready to ship: order {order_id}, {product_name} ({sku}) x "
                 "{quantity}. {link}"}], needs=("the Slack webhook URL",)),
        Recipe("staff_note_created", "Staff note on orders with backorders", "Adds a line to the order's staff notes "
               "in BigCommerce when one of its lines is backordered, so your team sees it in the order list.",
               "Orders", "backorder.created",
               [{"type": "staff_note", "text": "Backordered by rule: {product_name} ({sku}) x {quantity}, "
                 "promised {promised_ship_date}"}]),
        Recipe("coupon_21_days_late", "10 % coupon after 21 days late", "When a backorder is three weeks past the "
               "date promised at checkout, creates a single-use 10 % coupon and e-mails it to the shopper.",
               "Shopper care", "backorder.late",
               [{"type": "coupon", "discount_type": "percent", "amount": "10", "applies_to": "order",
                 "valid_days": 60},
                {"type": "email", "to": "shopper", "template": "automation_coupon", "message": _SORRY["en"],
                 "messages": dict(_SORRY)}],
               conditions=[{"field": "days_late", "op": "gte", "value": 21}]),
        Recipe("tag_wholesale", "Tag wholesale orders", "Marks backorders of your wholesale customers in the "
               "order's staff notes, so the team gives them priority.", "Orders", "backorder.created",
               [{"type": "staff_note", "text": "WHOLESALE backorder: {product_name} x {quantity}"}],
               conditions=[{"field": "customer_group", "op": "in", "value": []}],
               needs=("your wholesale customer group",)),
        Recipe("po_overdue_purchasing", "Alert purchasing when a PO is overdue", "E-mails your purchasing address when "
               "a purchase-order line passes its expected date with units still outstanding.", "Purchasing",
               "purchase_order.overdue",
               [{"type": "email", "to": "address", "address": "", "subject": "Overdue: purchase order "
                 "{purchase_order} from {supplier}",
                 "message": "Purchase order {purchase_order} ({supplier}) is {days_late} day(s) late: {sku}, "
                 "{quantity} unit(s) outstanding. Backorders are waiting for these units."}],
               needs=("your purchasing team's address",)),
        Recipe("status_for_3pl", "Move ready orders to “Awaiting Shipment” for your 3PL", "When a backorder is ready "
               "to ship, moves its order to the status your fulfilment partner picks orders from.", "Fulfilment",
               "backorder.allocated", [{"type": "order_status", "status_id": 9}]),
        Recipe("erp_new_backorders", "Send new backorders to your ERP", "Delivers every new backorder to your ERP's "
               "webhook endpoint (signed, retried for a day).", "Integrations", "backorder.created",
               [{"type": "webhook", "webhook_id": 0}], needs=("a webhook endpoint (Settings > Webhooks)",)),
        Recipe("teams_at_risk", "Teams message when a backorder is at risk", "Posts to a Microsoft Teams channel when "
               "a backorder is due within three days with no stock allocated.", "Fulfilment", "backorder.at_risk",
               [{"type": "teams", "url": "", "message": "At risk: order {order_id}, {product_name} x {quantity}, "
                 "expected {expected_ship_date}, nothing allocated yet. {link}"}],
               needs=("the Teams webhook URL",)),
        Recipe("call_unanswered_delay", "Task to call shoppers who did not answer a delay", "When a backorder is "
               "cancelled because the shopper never answered a long delay, adds a task to call them.",
               "Shopper care", "backorder.delay_consent_expired",
               [{"type": "task", "title": "Call {shopper_name} about order {order_id}",
                 "note": "Their backorder of {product_name} was cancelled because they did not answer the delay. "
                 "{shopper_email}"}]),
        Recipe("explain_long_delay", "Explain long delays to the shopper", "When a delay needs the shopper's "
               "consent, e-mails them a personal explanation besides the standard notice.", "Shopper care",
               "backorder.delay_consent_requested",
               [{"type": "email", "to": "shopper", "template": "automation_update", "message": _DELAY["en"],
                 "messages": dict(_DELAY)}]),
        Recipe("back_in_stock_team", "Tell the team when a sold-out item is back", "E-mails your alert recipients "
               "when a sold-out variant can be bought from stock again.", "Catalog", "variant.back_in_stock",
               [{"type": "email", "to": "team", "subject": "Back in stock: {product_name} ({sku})",
                 "message": "{product_name} ({sku}) can be bought from stock again."}]),
        Recipe("task_week_late", "Task for backorders a week late", "Adds a task to follow up with the supplier "
               "when a backorder is seven days past its promised date.", "Purchasing", "backorder.late",
               [{"type": "task", "title": "Chase stock for {sku} (order {order_id}, {days_late} days late)"}],
               conditions=[{"field": "days_late", "op": "gte", "value": 7}]),
        Recipe("vip_long_wait", "Reward long waits with a customer group", "Moves shoppers whose backorder is two "
               "weeks late into a customer group (e.g. one with a standing discount).", "Shopper care",
               "backorder.late", [{"type": "customer_group", "customer_group_id": 0}],
               conditions=[{"field": "days_late", "op": "gte", "value": 14}], needs=("the customer group",)),
        Recipe("note_preorders_shipped", "Note shipped pre-orders on the order", "Adds a staff note when a "
               "pre-ordered item ships, so support can answer “where is my pre-order?” at a glance.", "Orders",
               "backorder.shipped", [{"type": "staff_note", "text": "Pre-order shipped: {product_name} x {quantity}"}],
               conditions=[{"field": "policy_mode", "op": "is", "value": "preorder"}]),
    ]
}  # fmt: skip
