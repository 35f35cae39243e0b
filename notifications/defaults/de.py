"""Default e-mails in German."""

# ruff: noqa: E501  (template text: a line break here would be a line break in the e-mail)

from notifications.defaults.en import t

_HI = "Hallo{% if shopper.name %} {{ shopper.name }}{% endif %},"
_LINE_HTML = """<p><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %}
&times; {{ line.quantity }}</p>"""
_LINE_TEXT = "{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} x {{ line.quantity }}"
_SELF_HTML = """<p><a href="{{ self_service_url }}" style="color:{{ store.accent_color }}">Bestellung ansehen, Versandart
ändern oder stornieren</a></p>"""
_SELF_TEXT = "Ihre Bestellung, Versandart, Stornierung: {{ self_service_url }}"
_REFUND = """{% if refund == "refunded" %}Wir haben Ihnen{% if amount %} {{ amount }}{% endif %} erstattet; das Geld ist
je nach Bank in wenigen Tagen bei Ihnen.{% elif refund == "refund_due" %}Der Shop erstattet Ihnen{% if amount %}
{{ amount }}{% endif %} in Kürze.{% elif refund == "pending" %}Wir erstatten Ihnen den vollen Betrag.{% elif refund == "store" %}Der Shop hat Ihre Bestellung bearbeitet; eine Erstattung
erfolgt durch den Shop.{% else %}Dafür wurde keine Zahlung eingezogen.{% endif %}"""
_DASH_HTML = '<p><a href="{{ dashboard_url }}">Zum Dashboard</a></p>'
_DASH_TEXT = "Dashboard: {{ dashboard_url }}"

# A partial refund made in BigCommerce: what was refunded (an amount only when known), what is still to come.
_PART_REFUNDED = "{{ store.name }} hat Ihnen {{ units_refunded }} Stück dieses nachbestellten Artikels erstattet{% if amount %} ({{ amount }}){% endif %}:"
_PART_LEFT = '{% if units_remaining %}Noch für Sie offen: {{ units_remaining }} Stück{% if line.status == "allocated" %}; die Ware ist eingetroffen und wird für den Versand vorbereitet{% elif line.expected_ship_date %}, voraussichtlicher Versand bis {{ line.expected_ship_date }}{% else %}; Versand, sobald wieder vorrätig{% endif %}.{% else %}Alle übrigen Stück dieses Artikels wurden bereits versendet.{% endif %}'
_PART_ITEM_HTML = "<p><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %}</p>"
_PART_ITEM_TEXT = "{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %}"

TEMPLATES = {
    "backorder_confirmation": t(
        "Ihre Nachbestellung bei {{ store.name }} (Bestellung {{ order_id }})",
        f"""
<p>{_HI}</p>
<p>Vielen Dank für Ihre Bestellung {{{{ order_id }}}}. Diese Artikel waren bei Ihrer Bestellung nicht vorrätig; wir
haben sie für Sie reserviert und versenden sie, sobald sie eintreffen:</p>
<ul>{{% for line in lines %}}
<li><strong>{{{{ line.product_name }}}}</strong>{{% if line.sku %}} ({{{{ line.sku }}}}){{% endif %}} &times;
{{{{ line.quantity }}}} &ndash; {{% if line.expected_ship_date %}}voraussichtlicher Versand bis
{{{{ line.expected_ship_date }}}}{{% else %}}Versand, sobald wieder vorrätig{{% endif %}}</li>{{% endfor %}}
</ul>
<p>Versand: {{{{ shipping_preference_text }}}}.</p>
{_SELF_HTML}""",
        f"""
{_HI}

Vielen Dank für Ihre Bestellung {{{{ order_id }}}}. Diese Artikel waren bei Ihrer Bestellung nicht vorrätig; wir haben
sie für Sie reserviert und versenden sie, sobald sie eintreffen:
{{% for line in lines %}}
- {{{{ line.product_name }}}}{{% if line.sku %}} ({{{{ line.sku }}}}){{% endif %}} x {{{{ line.quantity }}}}: {{% if line.expected_ship_date %}}voraussichtlicher Versand bis {{{{ line.expected_ship_date }}}}{{% else %}}Versand, sobald wieder vorrätig{{% endif %}}
{{% endfor %}}

Versand: {{{{ shipping_preference_text }}}}.

{_SELF_TEXT}""",
    ),
    "date_brought_forward": t(
        "Gute Nachricht: Ihre Nachbestellung kommt früher (Bestellung {{ order_id }})",
        f"""
<p>{_HI}</p>
<p>Ihr nachbestellter Artikel wird früher versendet als angekündigt:</p>
{_LINE_HTML}
<p>Neues Datum: <strong>{{{{ new_date }}}}</strong>{{% if old_date %}} (bisher {{{{ old_date }}}}){{% endif %}}.</p>
{_SELF_HTML}""",
        f"""
{_HI}

Ihr nachbestellter Artikel wird früher versendet als angekündigt:
{_LINE_TEXT}

Neues Datum: {{{{ new_date }}}}{{% if old_date %}} (bisher {{{{ old_date }}}}){{% endif %}}.

{_SELF_TEXT}""",
    ),
    "delay_notice": t(
        "{% if consent_required %}Bitte antworten: {% endif %}Ihre Nachbestellung verzögert sich "
        "(Bestellung {{ order_id }})",
        f"""
<p>{_HI}</p>
<p>Es tut uns leid: Ihr nachbestellter Artikel wird später versendet als angekündigt.</p>
{_LINE_HTML}
<p>{{% if new_date %}}Neues Datum: <strong>{{{{ new_date }}}}</strong>{{% else %}}Das neue Datum steht noch nicht
fest.{{% endif %}} {{% if old_date %}}(bisher {{{{ old_date }}}}){{% endif %}}</p>
{{% if consent_required %}}
<p>Bitte teilen Sie uns bis <strong>{{{{ consent_due_on }}}}</strong> mit, ob Sie den Artikel noch möchten. Ohne Ihre
Antwort stornieren wir ihn dann und erstatten Ihnen den vollen Betrag.</p>
<p><a href="{{{{ self_service_url }}}}" style="display:inline-block;padding:10px 16px;
background:{{{{ store.accent_color }}}};color:#ffffff;text-decoration:none;border-radius:4px">Neues Datum annehmen
oder stornieren</a></p>
{{% else %}}
{_SELF_HTML}
{{% endif %}}""",
        f"""
{_HI}

Es tut uns leid: Ihr nachbestellter Artikel wird später versendet als angekündigt.
{_LINE_TEXT}

{{% if new_date %}}Neues Datum: {{{{ new_date }}}}{{% else %}}Das neue Datum steht noch nicht fest.{{% endif %}}{{% if old_date %}} (bisher {{{{ old_date }}}}){{% endif %}}

{{% if consent_required %}}
Bitte teilen Sie uns bis {{{{ consent_due_on }}}} mit, ob Sie den Artikel noch möchten. Ohne Ihre Antwort stornieren
wir ihn dann und erstatten Ihnen den vollen Betrag.
Neues Datum annehmen oder stornieren: {{{{ self_service_url }}}}
{{% else %}}
{_SELF_TEXT}
{{% endif %}}""",
    ),
    "ready_to_ship": t(
        "Ihre Nachbestellung ist eingetroffen (Bestellung {{ order_id }})",
        f"""
<p>{_HI}</p>
<p>Gute Nachricht: Ihr nachbestellter Artikel ist eingetroffen und für Sie reserviert. Er wird für den Versand
vorbereitet.</p>
{_LINE_HTML}
{_SELF_HTML}""",
        f"""
{_HI}

Gute Nachricht: Ihr nachbestellter Artikel ist eingetroffen und für Sie reserviert. Er wird für den Versand vorbereitet.
{_LINE_TEXT}

{_SELF_TEXT}""",
    ),
    "shipped": t(
        "Ihre Nachbestellung wurde versendet (Bestellung {{ order_id }})",
        f"""
<p>{_HI}</p>
<p>Ihr nachbestellter Artikel ist unterwegs.</p>
{_LINE_HTML}
{{% if tracking_number %}}<p>Sendungsnummer: <strong>{{{{ tracking_number }}}}</strong></p>{{% endif %}}
{_SELF_HTML}""",
        f"""
{_HI}

Ihr nachbestellter Artikel ist unterwegs.
{_LINE_TEXT}
{{% if tracking_number %}}
Sendungsnummer: {{{{ tracking_number }}}}
{{% endif %}}

{_SELF_TEXT}""",
    ),
    "partly_refunded": t(
        "Teilerstattung Ihrer Nachbestellung (Bestellung {{ order_id }})",
        f"<p>{_HI}</p>\n<p>{_PART_REFUNDED}</p>\n{_PART_ITEM_HTML}\n<p>{_PART_LEFT} Sie müssen nichts weiter tun.</p>\n{_SELF_HTML}",
        f"{_HI}\n\n{_PART_REFUNDED}\n{_PART_ITEM_TEXT}\n\n{_PART_LEFT} Sie müssen nichts weiter tun.\n\n{_SELF_TEXT}",
    ),
    "cancelled": t(
        "Ihre Nachbestellung wurde storniert (Bestellung {{ order_id }})",
        f"""
<p>{_HI}</p>
<p>Dieser nachbestellte Artikel wurde storniert{{% if reason %}}: {{{{ reason }}}}{{% endif %}}.</p>
{_LINE_HTML}
<p>{_REFUND}</p>
{_SELF_HTML}""",
        f"""
{_HI}

Dieser nachbestellte Artikel wurde storniert{{% if reason %}}: {{{{ reason }}}}{{% endif %}}.
{_LINE_TEXT}

{_REFUND}

{_SELF_TEXT}""",
    ),
    "consent_auto_cancelled": t(
        "Ihre Nachbestellung wurde storniert und erstattet (Bestellung {{ order_id }})",
        f"""
<p>{_HI}</p>
<p>Wir haben bis {{{{ consent_due_on }}}} keine Antwort zur Verzögerung dieses Artikels erhalten und ihn daher wie
angekündigt storniert.</p>
{_LINE_HTML}
<p>{_REFUND}</p>""",
        f"""
{_HI}

Wir haben bis {{{{ consent_due_on }}}} keine Antwort zur Verzögerung dieses Artikels erhalten und ihn daher wie
angekündigt storniert.
{_LINE_TEXT}

{_REFUND}""",
    ),
    "self_service_link": t(
        "Ihre Bestellseite bei {{ store.name }} (Bestellung {{ order_id }})",
        """
<p>Hallo{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>Sie haben einen neuen Link zu Ihrer Bestellseite angefordert. Hier ist er:</p>
<p><a href="{{ self_service_url }}" style="display:inline-block;padding:10px 16px;background:{{ store.accent_color }};
color:#ffffff;text-decoration:none;border-radius:4px">Bestellung öffnen</a></p>
""",
        """
Hallo{% if shopper.name %} {{ shopper.name }}{% endif %},

Sie haben einen neuen Link zu Ihrer Bestellseite angefordert. Hier ist er:
{{ self_service_url }}
""",
    ),
    "stock_alert_confirmation": t(
        "Wir sagen Ihnen Bescheid, wenn {{ product.name }} wieder da ist",
        """
<p>Hallo,</p>
<p>Sie möchten von {{ store.name }} erfahren, wenn <strong>{{ product.name }}</strong> wieder vorrätig ist. Wir senden
Ihnen dann eine einzige E-Mail.</p>""",
        """
Hallo,

Sie möchten von {{ store.name }} erfahren, wenn {{ product.name }} wieder vorrätig ist. Wir senden Ihnen dann eine
einzige E-Mail.""",
    ),
    "back_in_stock": t(
        "{{ product.name }} ist wieder vorrätig",
        """
<p>Hallo,</p>
<p><strong>{{ product.name }}</strong> ist bei {{ store.name }} wieder vorrätig, solange der Vorrat reicht.</p>
{% if product.url %}<p><a href="{{ product.url }}" style="display:inline-block;padding:10px 16px;
background:{{ store.accent_color }};color:#ffffff;text-decoration:none;border-radius:4px">Jetzt kaufen</a></p>{% endif %}""",
        """
Hallo,

{{ product.name }} ist bei {{ store.name }} wieder vorrätig, solange der Vorrat reicht.
{% if product.url %}
Jetzt kaufen: {{ product.url }}
{% endif %}""",
    ),
    "incentive_offer": t(
        "Danke für Ihre Geduld: {{ discount }} Rabatt",
        f"""
<p>{_HI}</p>
<p>Danke, dass Sie auf Ihre Nachbestellung warten. Hier sind {{{{ discount }}}} Rabatt auf Ihre nächste Bestellung
bei {{{{ store.name }}}}:</p>
<p style="font-size:20px"><strong>{{{{ coupon_code }}}}</strong></p>
{{% if expires_on %}}<p>Einmal gültig bis {{{{ expires_on }}}}.</p>{{% else %}}<p>Einmal gültig.</p>{{% endif %}}
{_LINE_HTML}
{_SELF_HTML}""",
        f"""
{_HI}

Danke, dass Sie auf Ihre Nachbestellung warten. Hier sind {{{{ discount }}}} Rabatt auf Ihre nächste Bestellung bei
{{{{ store.name }}}}:

    {{{{ coupon_code }}}}

{{% if expires_on %}}Einmal gültig bis {{{{ expires_on }}}}.{{% else %}}Einmal gültig.{{% endif %}}

{_LINE_TEXT}

{_SELF_TEXT}""",
    ),
    "merchant_new_backorder": t(
        "Neue Nachbestellung: Bestellung {{ order_id }}",
        f"""
<p>Bestellung {{{{ order_id }}}}{{% if customer_name %}} von {{{{ customer_name }}}}{{% endif %}} enthält
nachbestellte Artikel:</p>
<ul>{{% for line in lines %}}
<li>{{{{ line.product_name }}}}{{% if line.sku %}} ({{{{ line.sku }}}}){{% endif %}} &times; {{{{ line.quantity }}}}
{{% if line.expected_ship_date %}}, voraussichtlich {{{{ line.expected_ship_date }}}}{{% endif %}}</li>{{% endfor %}}
</ul>
{_DASH_HTML}""",
        f"""
Bestellung {{{{ order_id }}}}{{% if customer_name %}} von {{{{ customer_name }}}}{{% endif %}} enthält nachbestellte Artikel:
{{% for line in lines %}}
- {{{{ line.product_name }}}}{{% if line.sku %}} ({{{{ line.sku }}}}){{% endif %}} x {{{{ line.quantity }}}}{{% if line.expected_ship_date %}}, voraussichtlich {{{{ line.expected_ship_date }}}}{{% endif %}}
{{% endfor %}}

{_DASH_TEXT}""",
    ),
    "merchant_cap_reached": t(
        "Nachbestell-Limit erreicht: {{ product_name }}",
        f"""
<p><strong>{{{{ product_name }}}}</strong>{{% if sku %}} ({{{{ sku }}}}){{% endif %}} hat sein Nachbestell-Limit von
{{{{ cap }}}} Stück erreicht ({{{{ waiting_units }}}} wartend). Kunden können den Artikel erst wieder nachbestellen,
wenn Ware eintrifft oder Sie das Limit erhöhen.</p>
{_DASH_HTML}""",
        f"""
{{{{ product_name }}}}{{% if sku %}} ({{{{ sku }}}}){{% endif %}} hat sein Nachbestell-Limit von {{{{ cap }}}} Stück erreicht ({{{{ waiting_units }}}} wartend).
Kunden können den Artikel erst wieder nachbestellen, wenn Ware eintrifft oder Sie das Limit erhöhen.

{_DASH_TEXT}""",
    ),
    "merchant_digest": t(
        "Nachbestellungen am {{ day }}: {{ late_count }} verspätet, {{ at_risk_count }} gefährdet",
        f"""
<p>Ihre Nachbestellungen am {{{{ day }}}}.</p>
<h3>Verspätet ({{{{ late_count }}}})</h3>
{{% if late %}}<ul>{{% for b in late %}}
<li>Bestellung {{{{ b.order_id }}}}: {{{{ b.product_name }}}} &times; {{{{ b.quantity }}}}, erwartet
{{{{ b.expected_ship_date or "(kein Datum)" }}}}</li>{{% endfor %}}</ul>{{% else %}}<p>Keine.</p>{{% endif %}}
<h3>Gefährdet ({{{{ at_risk_count }}}})</h3>
{{% if at_risk %}}<ul>{{% for b in at_risk %}}
<li>Bestellung {{{{ b.order_id }}}}: {{{{ b.product_name }}}} &times; {{{{ b.quantity }}}}, erwartet
{{{{ b.expected_ship_date }}}}</li>{{% endfor %}}</ul>{{% else %}}<p>Keine.</p>{{% endif %}}
{_DASH_HTML}""",
        f"""
Ihre Nachbestellungen am {{{{ day }}}}.

Verspätet ({{{{ late_count }}}}):
{{% for b in late %}}
- Bestellung {{{{ b.order_id }}}}: {{{{ b.product_name }}}} x {{{{ b.quantity }}}}, erwartet {{{{ b.expected_ship_date or "(kein Datum)" }}}}
{{% else %}}
Keine.
{{% endfor %}}

Gefährdet ({{{{ at_risk_count }}}}):
{{% for b in at_risk %}}
- Bestellung {{{{ b.order_id }}}}: {{{{ b.product_name }}}} x {{{{ b.quantity }}}}, erwartet {{{{ b.expected_ship_date }}}}
{{% else %}}
Keine.
{{% endfor %}}

{_DASH_TEXT}""",
    ),
    "merchant_sync_failure": t(
        "Bitte handeln: {{ store.name }} ist nicht mit BigCommerce abgeglichen",
        """
<p>{{ problem }}</p>
{% if details %}<p>{{ details }}</p>{% endif %}
<p><a href="{{ dashboard_url }}">Zur App</a></p>""",
        """
{{ problem }}
{% if details %}

{{ details }}
{% endif %}

App: {{ dashboard_url }}""",
    ),
    "merchant_webhook_failure": t(
        "{{ count }} BigCommerce-Ereignis(se) konnten nicht verarbeitet werden",
        """
<p>{{ count }} Ereignis(se) von BigCommerce konnten nach mehreren Versuchen nicht verarbeitet werden
({{ scopes | join(", ") }}). Unser Support sieht sie und kann sie erneut verarbeiten.</p>
<p><a href="{{ dashboard_url }}">Zur App</a></p>""",
        """
{{ count }} Ereignis(se) von BigCommerce konnten nach mehreren Versuchen nicht verarbeitet werden ({{ scopes | join(", ") }}).
Unser Support sieht sie und kann sie erneut verarbeiten.

App: {{ dashboard_url }}""",
    ),
    "automation_update": t(
        "Neuigkeiten zu Ihrer Nachbestellung (Bestellung {{ order_id }})",
        """
<p>Hallo{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
{% if message %}<p style="white-space:pre-line">{{ message }}</p>{% endif %}
"""
        + _LINE_HTML
        + """<p>{% if line.status == "allocated" %}Der Artikel ist eingetroffen und wird für den Versand vorbereitet.{% elif line.expected_ship_date %}Voraussichtlicher Versand bis {{ line.expected_ship_date }}.{% else %}Der Artikel wird versendet, sobald er wieder vorrätig ist.{% endif %}</p>
"""
        + _SELF_HTML,
        """
Hallo{% if shopper.name %} {{ shopper.name }}{% endif %},

{% if message %}{{ message }}

{% endif %}"""
        + _LINE_TEXT
        + """
{% if line.status == "allocated" %}Der Artikel ist eingetroffen und wird für den Versand vorbereitet.{% elif line.expected_ship_date %}Voraussichtlicher Versand bis {{ line.expected_ship_date }}.{% else %}Der Artikel wird versendet, sobald er wieder vorrätig ist.{% endif %}

"""
        + _SELF_TEXT,
    ),
    "automation_coupon": t(
        "Danke für Ihre Geduld{% if discount %}: {{ discount }} Rabatt{% endif %}",
        """
<p>Hallo{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
{% if message %}<p style="white-space:pre-line">{{ message }}</p>{% else %}<p>Vielen Dank, dass Sie auf Ihre Nachbestellung warten.</p>{% endif %}
{% if coupon_code %}<p>Als Dankeschön erhalten Sie {{ discount }} Rabatt bei {{ store.name }}:</p>
<p style="font-size:20px"><strong>{{ coupon_code }}</strong></p>
{% if expires_on %}<p>Einmal einlösbar bis {{ expires_on }}.</p>{% else %}<p>Einmal einlösbar.</p>{% endif %}{% endif %}
"""
        + _LINE_HTML
        + _SELF_HTML,
        """
Hallo{% if shopper.name %} {{ shopper.name }}{% endif %},

{% if message %}{{ message }}{% else %}Vielen Dank, dass Sie auf Ihre Nachbestellung warten.{% endif %}
{% if coupon_code %}
Als Dankeschön erhalten Sie {{ discount }} Rabatt bei {{ store.name }}:

    {{ coupon_code }}

{% if expires_on %}Einmal einlösbar bis {{ expires_on }}.{% else %}Einmal einlösbar.{% endif %}
{% endif %}
"""
        + _LINE_TEXT
        + "\n\n"
        + _SELF_TEXT,
    ),
    "merchant_automation": t(
        "{% if subject_line %}{{ subject_line }}{% else %}Regel „{{ rule_name }}“: {{ event }}{% endif %}",
        """
<p style="white-space:pre-line">{{ message }}</p>
<p class="muted">Gesendet von Ihrer Regel „{{ rule_name }}“ (Anlass: {{ event }}){% if order_id %} (Bestellung {{ order_id }}{% if product_name %}, {{ product_name }}{% if sku %} ({{ sku }}){% endif %}{% endif %}{% if quantity %} &times; {{ quantity }}{% endif %}){% endif %}.</p>
<p>{% if link %}<a href="{{ link }}">Nachbestellung öffnen</a>{% else %}<a href="{{ dashboard_url }}">Zur App</a>{% endif %}</p>
""",
        """
{{ message }}

Gesendet von Ihrer Regel „{{ rule_name }}“ (Anlass: {{ event }}){% if order_id %} (Bestellung {{ order_id }}{% if product_name %}, {{ product_name }}{% if sku %} ({{ sku }}){% endif %}{% endif %}{% if quantity %} x {{ quantity }}{% endif %}){% endif %}.

{% if link %}Nachbestellung: {{ link }}{% else %}App: {{ dashboard_url }}{% endif %}
""",
    ),
    "merchant_automation_budget": t(
        "Ihre Regeln haben das Tageslimit von {{ limit }} Aktionen erreicht",
        """
<p>Ihre Automatisierungsregeln haben am {{ day }} {{ limit }} Aktionen ausgeführt, das Tageslimit. Weitere Aktionen
werden heute übersprungen; sie stehen im Ausführungsprotokoll und lassen sich nach Ablauf des Tages erneut ausführen.</p>
<p><a href="{{ dashboard_url }}automations/">Automatisierungen öffnen</a></p>
""",
        """
Ihre Automatisierungsregeln haben am {{ day }} {{ limit }} Aktionen ausgeführt, das Tageslimit. Weitere Aktionen werden
heute übersprungen; sie stehen im Ausführungsprotokoll und lassen sich nach Ablauf des Tages erneut ausführen.

Automatisierungen: {{ dashboard_url }}automations/
""",
    ),
    "merchant_webhook_disabled": t(
        "Webhook-Endpunkt abgeschaltet: {{ url }}",
        """
<p>Seit {{ since }} ist jede Zustellung an Ihren Webhook-Endpunkt <strong>{{ url }}</strong> fehlgeschlagen;
er wurde deshalb abgeschaltet. Beheben Sie das Problem beim Empfänger, schalten Sie den Endpunkt wieder ein und senden
Sie die fehlgeschlagenen Zustellungen aus seinem Protokoll erneut.</p>
<p><a href="{{ dashboard_url }}settings/webhooks/">Webhook-Einstellungen öffnen</a></p>
""",
        """
Seit {{ since }} ist jede Zustellung an Ihren Webhook-Endpunkt {{ url }} fehlgeschlagen; er wurde deshalb abgeschaltet.
Beheben Sie das Problem beim Empfänger, schalten Sie den Endpunkt wieder ein und senden Sie die fehlgeschlagenen
Zustellungen aus seinem Protokoll erneut.

Webhook-Einstellungen: {{ dashboard_url }}settings/webhooks/
""",
    ),
}
