"""Default e-mails in English."""

# ruff: noqa: E501  (template text: a line break here would be a line break in the e-mail)


def t(subject: str, body_html: str, body_text: str) -> dict[str, str]:
    return {"subject": subject, "body_html": body_html.strip() + "\n", "body_text": body_text.strip() + "\n"}


_LINE_HTML = """<p><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %}
&times; {{ line.quantity }}</p>"""
_LINE_TEXT = "{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} x {{ line.quantity }}"
_SELF_HTML = """<p><a href="{{ self_service_url }}" style="color:{{ store.accent_color }}">See your order, change how it
ships or cancel</a></p>"""
_SELF_TEXT = "Your order, how it ships, cancelling: {{ self_service_url }}"

# A partial refund made in BigCommerce: what was refunded (an amount only when known), what is still to come.
_PART_REFUNDED = "{{ store.name }} has refunded {{ units_refunded }} {% if units_refunded == 1 %}unit{% else %}units{% endif %} of this backordered item{% if amount %} ({{ amount }}){% endif %}:"
_PART_LEFT = '{% if units_remaining %}You still have {{ units_remaining }} {% if units_remaining == 1 %}unit{% else %}units{% endif %} on order{% if line.status == "allocated" %}, in stock and being prepared for shipping{% elif line.expected_ship_date %}, expected to ship by {{ line.expected_ship_date }}{% else %}; {% if units_remaining == 1 %}it ships as soon as it is{% else %}they ship as soon as they are{% endif %} back in stock{% endif %}.{% else %}The rest of this item has already shipped.{% endif %}'
_PART_HI = "Hello{% if shopper.name %} {{ shopper.name }}{% endif %},"
_PART_ITEM_HTML = "<p><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %}</p>"
_PART_ITEM_TEXT = "{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %}"

TEMPLATES = {
    "backorder_confirmation": t(
        "Your backorder with {{ store.name }} (order {{ order_id }})",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>Thank you for your order {{ order_id }}. These items were not in stock when you ordered; we reserved them for
you and ship them as soon as they arrive:</p>
<ul>{% for line in lines %}
<li><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %} &times; {{ line.quantity }}
&ndash; {% if line.expected_ship_date %}expected to ship by {{ line.expected_ship_date }}{% else %}ships as soon
as it is back in stock{% endif %}</li>{% endfor %}
</ul>
<p>Shipping: {{ shipping_preference_text }}.</p>
"""
        + _SELF_HTML,
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

Thank you for your order {{ order_id }}. These items were not in stock when you ordered; we reserved them for you
and ship them as soon as they arrive:
{% for line in lines %}
- {{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} x {{ line.quantity }}: {% if line.expected_ship_date %}expected to ship by {{ line.expected_ship_date }}{% else %}ships as soon as it is back in stock{% endif %}
{% endfor %}

Shipping: {{ shipping_preference_text }}.

"""
        + _SELF_TEXT,
    ),
    "date_brought_forward": t(
        "Good news: your backorder ships sooner (order {{ order_id }})",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>Your backordered item now ships earlier than we told you:</p>
"""
        + _LINE_HTML
        + """
<p>New date: <strong>{{ new_date }}</strong>{% if old_date %} (was {{ old_date }}){% endif %}.</p>
"""
        + _SELF_HTML,
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

Your backordered item now ships earlier than we told you:
"""
        + _LINE_TEXT
        + """

New date: {{ new_date }}{% if old_date %} (was {{ old_date }}){% endif %}.

"""
        + _SELF_TEXT,
    ),
    "delay_notice": t(
        "{% if consent_required %}Action needed: {% endif %}your backorder is delayed (order {{ order_id }})",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>We are sorry: your backordered item will ship later than we told you.</p>
"""
        + _LINE_HTML
        + """
<p>{% if new_date %}New date: <strong>{{ new_date }}</strong>{% else %}We do not know the new date yet.{% endif %}
{% if old_date %}(was {{ old_date }}){% endif %}</p>
{% if consent_required %}
<p>Please tell us by <strong>{{ consent_due_on }}</strong> whether you still want it. If we do not hear from you by
then, we cancel it and refund you in full.</p>
<p><a href="{{ self_service_url }}" style="display:inline-block;padding:10px 16px;background:{{ store.accent_color }};
color:#ffffff;text-decoration:none;border-radius:4px">Accept the new date or cancel</a></p>
{% else %}
"""
        + _SELF_HTML
        + """
{% endif %}
""",
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

We are sorry: your backordered item will ship later than we told you.
"""
        + _LINE_TEXT
        + """

{% if new_date %}New date: {{ new_date }}{% else %}We do not know the new date yet.{% endif %}{% if old_date %} (was {{ old_date }}){% endif %}

{% if consent_required %}
Please tell us by {{ consent_due_on }} whether you still want it. If we do not hear from you by then, we cancel it
and refund you in full.
Accept the new date or cancel: {{ self_service_url }}
{% else %}
"""
        + _SELF_TEXT
        + """
{% endif %}
""",
    ),
    "ready_to_ship": t(
        "Your backorder is in stock (order {{ order_id }})",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>Good news: your backordered item has arrived and is reserved for you. It is being prepared for shipping.</p>
"""
        + _LINE_HTML
        + _SELF_HTML,
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

Good news: your backordered item has arrived and is reserved for you. It is being prepared for shipping.
"""
        + _LINE_TEXT
        + "\n\n"
        + _SELF_TEXT,
    ),
    "shipped": t(
        "Your backorder has shipped (order {{ order_id }})",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>Your backordered item is on its way.</p>
"""
        + _LINE_HTML
        + """
{% if tracking_number %}<p>Tracking number: <strong>{{ tracking_number }}</strong></p>{% endif %}
"""
        + _SELF_HTML,
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

Your backordered item is on its way.
"""
        + _LINE_TEXT
        + """
{% if tracking_number %}
Tracking number: {{ tracking_number }}
{% endif %}

"""
        + _SELF_TEXT,
    ),
    "partly_refunded": t(
        "Part of your backorder was refunded (order {{ order_id }})",
        f"<p>{_PART_HI}</p>\n<p>{_PART_REFUNDED}</p>\n{_PART_ITEM_HTML}\n<p>{_PART_LEFT} You do not need to do anything.</p>\n{_SELF_HTML}",
        f"{_PART_HI}\n\n{_PART_REFUNDED}\n{_PART_ITEM_TEXT}\n\n{_PART_LEFT} You do not need to do anything.\n\n{_SELF_TEXT}",
    ),
    "cancelled": t(
        "Your backorder was cancelled (order {{ order_id }})",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>This backordered item was cancelled{% if reason %}: {{ reason }}{% endif %}.</p>
"""
        + _LINE_HTML
        + """
<p>{% if refund == "refunded" %}We refunded you{% if amount %} {{ amount }}{% endif %}; the money reaches you within a
few days, depending on your bank.{% elif refund == "refund_due" %}The store refunds you{% if amount %}
{{ amount }}{% endif %} shortly.{% elif refund == "pending" %}We are refunding you in full.{% elif refund == "store" %}The store handled your order; any refund comes from the
store.{% else %}No payment was taken for it.{% endif %}</p>
"""
        + _SELF_HTML,
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

This backordered item was cancelled{% if reason %}: {{ reason }}{% endif %}.
"""
        + _LINE_TEXT
        + """

{% if refund == "refunded" %}We refunded you{% if amount %} {{ amount }}{% endif %}; the money reaches you within a few days, depending on your bank.{% elif refund == "refund_due" %}The store refunds you{% if amount %} {{ amount }}{% endif %} shortly.{% elif refund == "pending" %}We are refunding you in full.{% elif refund == "store" %}The store handled your order; any refund comes from the store.{% else %}No payment was taken for it.{% endif %}

"""
        + _SELF_TEXT,
    ),
    "consent_auto_cancelled": t(
        "Your backorder was cancelled and refunded (order {{ order_id }})",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>We did not hear from you by {{ consent_due_on }} about the delay of this item, so we cancelled it as promised.</p>
"""
        + _LINE_HTML
        + """
<p>{% if refund == "refunded" %}We refunded you{% if amount %} {{ amount }}{% endif %}.{% elif refund == "refund_due" %}The
store refunds you{% if amount %} {{ amount }}{% endif %} shortly.{% else %}We are refunding you in full.{% endif %}</p>
""",
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

We did not hear from you by {{ consent_due_on }} about the delay of this item, so we cancelled it as promised.
"""
        + _LINE_TEXT
        + """

{% if refund == "refunded" %}We refunded you{% if amount %} {{ amount }}{% endif %}.{% elif refund == "refund_due" %}The store refunds you{% if amount %} {{ amount }}{% endif %} shortly.{% else %}We are refunding you in full.{% endif %}
""",
    ),
    "self_service_link": t(
        "Your order page at {{ store.name }} (order {{ order_id }})",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>You asked for a new link to your order page. Here it is:</p>
<p><a href="{{ self_service_url }}" style="display:inline-block;padding:10px 16px;background:{{ store.accent_color }};
color:#ffffff;text-decoration:none;border-radius:4px">Open your order</a></p>
""",
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

You asked for a new link to your order page. Here it is:
{{ self_service_url }}
""",
    ),
    "stock_alert_confirmation": t(
        "We will tell you when {{ product.name }} is back",
        """
<p>Hello,</p>
<p>You asked {{ store.name }} to tell you when <strong>{{ product.name }}</strong> is back in stock. We will send
you one e-mail when it is.</p>
""",
        """
Hello,

You asked {{ store.name }} to tell you when {{ product.name }} is back in stock. We will send you one e-mail when it is.
""",
    ),
    "back_in_stock": t(
        "{{ product.name }} is back in stock",
        """
<p>Hello,</p>
<p><strong>{{ product.name }}</strong> is back in stock at {{ store.name }}, while it lasts.</p>
{% if product.url %}<p><a href="{{ product.url }}" style="display:inline-block;padding:10px 16px;
background:{{ store.accent_color }};color:#ffffff;text-decoration:none;border-radius:4px">Shop now</a></p>{% endif %}
""",
        """
Hello,

{{ product.name }} is back in stock at {{ store.name }}, while it lasts.
{% if product.url %}
Shop now: {{ product.url }}
{% endif %}
""",
    ),
    "incentive_offer": t(
        "A thank-you for waiting: {{ discount }} off",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>Thank you for waiting for your backorder. Here is {{ discount }} off your next order with {{ store.name }}:</p>
<p style="font-size:20px"><strong>{{ coupon_code }}</strong></p>
{% if expires_on %}<p>Valid until {{ expires_on }}, once.</p>{% else %}<p>Valid once.</p>{% endif %}
"""
        + _LINE_HTML
        + _SELF_HTML,
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

Thank you for waiting for your backorder. Here is {{ discount }} off your next order with {{ store.name }}:

    {{ coupon_code }}

{% if expires_on %}Valid until {{ expires_on }}, once.{% else %}Valid once.{% endif %}

"""
        + _LINE_TEXT
        + "\n\n"
        + _SELF_TEXT,
    ),
    "merchant_new_backorder": t(
        "New backorder: order {{ order_id }}",
        """
<p>Order {{ order_id }}{% if customer_name %} from {{ customer_name }}{% endif %} has backordered items:</p>
<ul>{% for line in lines %}
<li>{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} &times; {{ line.quantity }}{% if line.expected_ship_date %},
expected {{ line.expected_ship_date }}{% endif %}</li>{% endfor %}
</ul>
<p><a href="{{ dashboard_url }}">Open the dashboard</a></p>
""",
        """
Order {{ order_id }}{% if customer_name %} from {{ customer_name }}{% endif %} has backordered items:
{% for line in lines %}
- {{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} x {{ line.quantity }}{% if line.expected_ship_date %}, expected {{ line.expected_ship_date }}{% endif %}
{% endfor %}

Dashboard: {{ dashboard_url }}
""",
    ),
    "merchant_cap_reached": t(
        "Backorder limit reached: {{ product_name }}",
        """
<p><strong>{{ product_name }}</strong>{% if sku %} ({{ sku }}){% endif %} has reached its backorder limit of {{ cap }}
units ({{ waiting_units }} waiting). Shoppers can no longer backorder it until stock arrives or you raise the limit.</p>
<p><a href="{{ dashboard_url }}">Open the dashboard</a></p>
""",
        """
{{ product_name }}{% if sku %} ({{ sku }}){% endif %} has reached its backorder limit of {{ cap }} units ({{ waiting_units }} waiting).
Shoppers can no longer backorder it until stock arrives or you raise the limit.

Dashboard: {{ dashboard_url }}
""",
    ),
    "merchant_digest": t(
        "Backorders on {{ day }}: {{ late_count }} late, {{ at_risk_count }} at risk",
        """
<p>Your backorders on {{ day }}.</p>
<h3>Late ({{ late_count }})</h3>
{% if late %}<ul>{% for b in late %}
<li>Order {{ b.order_id }}: {{ b.product_name }} &times; {{ b.quantity }}, expected {{ b.expected_ship_date or "(no date)" }}
{% if b.customer_name %}({{ b.customer_name }}){% endif %}</li>{% endfor %}</ul>{% else %}<p>None.</p>{% endif %}
<h3>At risk ({{ at_risk_count }})</h3>
{% if at_risk %}<ul>{% for b in at_risk %}
<li>Order {{ b.order_id }}: {{ b.product_name }} &times; {{ b.quantity }}, expected {{ b.expected_ship_date }}
{% if b.customer_name %}({{ b.customer_name }}){% endif %}</li>{% endfor %}</ul>{% else %}<p>None.</p>{% endif %}
<p><a href="{{ dashboard_url }}">Open the dashboard</a></p>
""",
        """
Your backorders on {{ day }}.

Late ({{ late_count }}):
{% for b in late %}
- Order {{ b.order_id }}: {{ b.product_name }} x {{ b.quantity }}, expected {{ b.expected_ship_date or "(no date)" }}
{% else %}
None.
{% endfor %}

At risk ({{ at_risk_count }}):
{% for b in at_risk %}
- Order {{ b.order_id }}: {{ b.product_name }} x {{ b.quantity }}, expected {{ b.expected_ship_date }}
{% else %}
None.
{% endfor %}

Dashboard: {{ dashboard_url }}
""",
    ),
    "merchant_sync_failure": t(
        "Action needed: {{ store.name }} is not in sync with BigCommerce",
        """
<p>{{ problem }}</p>
{% if details %}<p>{{ details }}</p>{% endif %}
<p><a href="{{ dashboard_url }}">Open the app</a></p>
""",
        """
{{ problem }}
{% if details %}

{{ details }}
{% endif %}

App: {{ dashboard_url }}
""",
    ),
    "merchant_webhook_failure": t(
        "{{ count }} BigCommerce event(s) could not be processed",
        """
<p>{{ count }} event(s) that BigCommerce sent could not be processed after several tries
({{ scopes | join(", ") }}). Our support team can see them and process them again.</p>
<p><a href="{{ dashboard_url }}">Open the app</a></p>
""",
        """
{{ count }} event(s) that BigCommerce sent could not be processed after several tries ({{ scopes | join(", ") }}).
Our support team can see them and process them again.

App: {{ dashboard_url }}
""",
    ),
    "automation_update": t(
        "An update about your backorder (order {{ order_id }})",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
{% if message %}<p style="white-space:pre-line">{{ message }}</p>{% endif %}
"""
        + _LINE_HTML
        + """<p>{% if line.status == "allocated" %}It is in stock and being prepared for shipping.{% elif line.expected_ship_date %}Expected to ship by {{ line.expected_ship_date }}.{% else %}It ships as soon as it is back in stock.{% endif %}</p>
"""
        + _SELF_HTML,
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

{% if message %}{{ message }}

{% endif %}"""
        + _LINE_TEXT
        + """
{% if line.status == "allocated" %}It is in stock and being prepared for shipping.{% elif line.expected_ship_date %}Expected to ship by {{ line.expected_ship_date }}.{% else %}It ships as soon as it is back in stock.{% endif %}

"""
        + _SELF_TEXT,
    ),
    "automation_coupon": t(
        "A thank-you for your patience{% if discount %}: {{ discount }} off{% endif %}",
        """
<p>Hello{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
{% if message %}<p style="white-space:pre-line">{{ message }}</p>{% else %}<p>Thank you for waiting for your backorder.</p>{% endif %}
{% if coupon_code %}<p>Here is {{ discount }} off with {{ store.name }}:</p>
<p style="font-size:20px"><strong>{{ coupon_code }}</strong></p>
{% if expires_on %}<p>Valid until {{ expires_on }}, once.</p>{% else %}<p>Valid once.</p>{% endif %}{% endif %}
"""
        + _LINE_HTML
        + _SELF_HTML,
        """
Hello{% if shopper.name %} {{ shopper.name }}{% endif %},

{% if message %}{{ message }}{% else %}Thank you for waiting for your backorder.{% endif %}
{% if coupon_code %}
Here is {{ discount }} off with {{ store.name }}:

    {{ coupon_code }}

{% if expires_on %}Valid until {{ expires_on }}, once.{% else %}Valid once.{% endif %}
{% endif %}
"""
        + _LINE_TEXT
        + "\n\n"
        + _SELF_TEXT,
    ),
    "merchant_automation": t(
        "{% if subject_line %}{{ subject_line }}{% else %}Rule “{{ rule_name }}”: {{ event }}{% endif %}",
        """
<p style="white-space:pre-line">{{ message }}</p>
<p class="muted">Sent by your rule “{{ rule_name }}” because {{ event }}{% if order_id %} (order {{ order_id }}{% if product_name %}, {{ product_name }}{% if sku %} ({{ sku }}){% endif %}{% endif %}{% if quantity %} &times; {{ quantity }}{% endif %}){% endif %}.</p>
<p>{% if link %}<a href="{{ link }}">Open the backorder</a>{% else %}<a href="{{ dashboard_url }}">Open the app</a>{% endif %}</p>
""",
        """
{{ message }}

Sent by your rule “{{ rule_name }}” because {{ event }}{% if order_id %} (order {{ order_id }}{% if product_name %}, {{ product_name }}{% if sku %} ({{ sku }}){% endif %}{% endif %}{% if quantity %} x {{ quantity }}{% endif %}){% endif %}.

{% if link %}Backorder: {{ link }}{% else %}App: {{ dashboard_url }}{% endif %}
""",
    ),
    "merchant_automation_budget": t(
        "Your rules reached today's limit of {{ limit }} actions",
        """
<p>Your automation rules have taken {{ limit }} actions on {{ day }}, the daily limit. Further actions today are
skipped; they are listed in the run log, where each can be run again once the day is over.</p>
<p><a href="{{ dashboard_url }}automations/">Open Automations</a></p>
""",
        """
Your automation rules have taken {{ limit }} actions on {{ day }}, the daily limit. Further actions today are skipped;
they are listed in the run log, where each can be run again once the day is over.

Automations: {{ dashboard_url }}automations/
""",
    ),
    "merchant_webhook_disabled": t(
        "Webhook endpoint switched off: {{ url }}",
        """
<p>Every delivery to your webhook endpoint <strong>{{ url }}</strong> has failed since {{ since }}, so it has been
switched off. Fix the receiver, switch the endpoint on again and replay the failed deliveries from its log.</p>
<p><a href="{{ dashboard_url }}settings/webhooks/">Open the webhook settings</a></p>
""",
        """
Every delivery to your webhook endpoint {{ url }} has failed since {{ since }}, so it has been switched off.
Fix the receiver, switch the endpoint on again and replay the failed deliveries from its log.

Webhook settings: {{ dashboard_url }}settings/webhooks/
""",
    ),
}
