"""Default e-mails in Spanish."""

# ruff: noqa: E501  (template text: a line break here would be a line break in the e-mail)

from notifications.defaults.en import t

_HI = "Hola{% if shopper.name %} {{ shopper.name }}{% endif %}:"
_LINE_HTML = """<p><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %}
&times; {{ line.quantity }}</p>"""
_LINE_TEXT = "{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} x {{ line.quantity }}"
_SELF_HTML = """<p><a href="{{ self_service_url }}" style="color:{{ store.accent_color }}">Ver tu pedido, cambiar el envío
o cancelar</a></p>"""
_SELF_TEXT = "Tu pedido, el envío, cancelar: {{ self_service_url }}"
_REFUND = """{% if refund == "refunded" %}Te hemos reembolsado{% if amount %} {{ amount }}{% endif %}; el dinero llega en
unos días, según tu banco.{% elif refund == "refund_due" %}La tienda te reembolsará{% if amount %} {{ amount }}{% endif %}
en breve.{% elif refund == "pending" %}Te devolvemos el importe completo.{% elif refund == "store" %}La tienda gestionó tu pedido; cualquier reembolso lo hace la tienda.{% else %}No
se cobró nada por este artículo.{% endif %}"""
_DASH_HTML = '<p><a href="{{ dashboard_url }}">Abrir el panel</a></p>'
_DASH_TEXT = "Panel: {{ dashboard_url }}"

# A partial refund made in BigCommerce: what was refunded (an amount only when known), what is still to come.
_PART_REFUNDED = "{{ store.name }} te ha reembolsado {{ units_refunded }} {% if units_refunded == 1 %}unidad{% else %}unidades{% endif %} de este artículo pendiente{% if amount %} ({{ amount }}){% endif %}:"
_PART_LEFT = '{% if units_remaining %}Te {% if units_remaining == 1 %}queda {{ units_remaining }} unidad pendiente{% else %}quedan {{ units_remaining }} unidades pendientes{% endif %}{% if line.status == "allocated" %}, ya en stock y en preparación para el envío{% elif line.expected_ship_date %}, con envío previsto antes del {{ line.expected_ship_date }}{% else %}, con envío en cuanto vuelva a estar disponible{% endif %}.{% else %}El resto de este artículo ya se ha enviado.{% endif %}'
_PART_ITEM_HTML = "<p><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %}</p>"
_PART_ITEM_TEXT = "{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %}"

TEMPLATES = {
    "backorder_confirmation": t(
        "Tu pedido pendiente en {{ store.name }} (pedido {{ order_id }})",
        "<p>"
        + _HI
        + "</p>"
        + """
<p>Gracias por tu pedido {{ order_id }}. Estos artículos no estaban en stock cuando hiciste el pedido; los hemos
reservado para ti y los enviamos en cuanto lleguen:</p>
<ul>{% for line in lines %}
<li><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %} &times; {{ line.quantity }}
&ndash; {% if line.expected_ship_date %}envío previsto antes del {{ line.expected_ship_date }}{% else %}se envía en
cuanto vuelva a estar disponible{% endif %}</li>{% endfor %}
</ul>
<p>Envío: {{ shipping_preference_text }}.</p>
"""
        + _SELF_HTML,
        _HI
        + """

Gracias por tu pedido {{ order_id }}. Estos artículos no estaban en stock cuando hiciste el pedido; los hemos reservado
para ti y los enviamos en cuanto lleguen:
{% for line in lines %}
- {{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} x {{ line.quantity }}: {% if line.expected_ship_date %}envío previsto antes del {{ line.expected_ship_date }}{% else %}se envía en cuanto vuelva a estar disponible{% endif %}
{% endfor %}

Envío: {{ shipping_preference_text }}.

"""
        + _SELF_TEXT,
    ),
    "date_brought_forward": t(
        "Buenas noticias: tu artículo llega antes (pedido {{ order_id }})",
        "<p>"
        + _HI
        + "</p>\n<p>Tu artículo pendiente se enviará antes de lo previsto:</p>\n"
        + _LINE_HTML
        + """
<p>Nueva fecha: <strong>{{ new_date }}</strong>{% if old_date %} (antes {{ old_date }}){% endif %}.</p>
"""
        + _SELF_HTML,
        _HI
        + "\n\nTu artículo pendiente se enviará antes de lo previsto:\n"
        + _LINE_TEXT
        + """

Nueva fecha: {{ new_date }}{% if old_date %} (antes {{ old_date }}){% endif %}.

"""
        + _SELF_TEXT,
    ),
    "delay_notice": t(
        "{% if consent_required %}Necesitamos tu respuesta: {% endif %}tu artículo se retrasa (pedido {{ order_id }})",
        "<p>"
        + _HI
        + "</p>\n<p>Lo sentimos: tu artículo pendiente se enviará más tarde de lo previsto.</p>\n"
        + _LINE_HTML
        + """
<p>{% if new_date %}Nueva fecha: <strong>{{ new_date }}</strong>{% else %}Aún no sabemos la nueva fecha.{% endif %}
{% if old_date %}(antes {{ old_date }}){% endif %}</p>
{% if consent_required %}
<p>Dinos antes del <strong>{{ consent_due_on }}</strong> si todavía lo quieres. Si no sabemos nada de ti para
entonces, lo cancelamos y te devolvemos el importe completo.</p>
<p><a href="{{ self_service_url }}" style="display:inline-block;padding:10px 16px;background:{{ store.accent_color }};
color:#ffffff;text-decoration:none;border-radius:4px">Aceptar la nueva fecha o cancelar</a></p>
{% else %}
"""
        + _SELF_HTML
        + "\n{% endif %}",
        _HI
        + "\n\nLo sentimos: tu artículo pendiente se enviará más tarde de lo previsto.\n"
        + _LINE_TEXT
        + """

{% if new_date %}Nueva fecha: {{ new_date }}{% else %}Aún no sabemos la nueva fecha.{% endif %}{% if old_date %} (antes {{ old_date }}){% endif %}

{% if consent_required %}
Dinos antes del {{ consent_due_on }} si todavía lo quieres. Si no sabemos nada de ti para entonces, lo cancelamos y te
devolvemos el importe completo.
Aceptar la nueva fecha o cancelar: {{ self_service_url }}
{% else %}
"""
        + _SELF_TEXT
        + "\n{% endif %}",
    ),
    "ready_to_ship": t(
        "Tu artículo ha llegado (pedido {{ order_id }})",
        "<p>" + _HI + "</p>\n<p>Buenas noticias: tu artículo pendiente ha llegado y está reservado para ti. Lo estamos "
        "preparando para el envío.</p>\n" + _LINE_HTML + "\n" + _SELF_HTML,
        _HI + "\n\nBuenas noticias: tu artículo pendiente ha llegado y está reservado para ti. Lo estamos preparando "
        "para el envío.\n" + _LINE_TEXT + "\n\n" + _SELF_TEXT,
    ),
    "shipped": t(
        "Tu artículo ha sido enviado (pedido {{ order_id }})",
        "<p>"
        + _HI
        + "</p>\n<p>Tu artículo pendiente está en camino.</p>\n"
        + _LINE_HTML
        + "\n{% if tracking_number %}<p>Número de seguimiento: <strong>{{ tracking_number }}</strong></p>{% endif %}\n"
        + _SELF_HTML,
        _HI
        + "\n\nTu artículo pendiente está en camino.\n"
        + _LINE_TEXT
        + "\n{% if tracking_number %}\nNúmero de seguimiento: {{ tracking_number }}\n{% endif %}\n\n"
        + _SELF_TEXT,
    ),
    "partly_refunded": t(
        "Reembolso parcial de tu artículo pendiente (pedido {{ order_id }})",
        f"<p>{_HI}</p>\n<p>{_PART_REFUNDED}</p>\n{_PART_ITEM_HTML}\n<p>{_PART_LEFT} No tienes que hacer nada.</p>\n{_SELF_HTML}",
        f"{_HI}\n\n{_PART_REFUNDED}\n{_PART_ITEM_TEXT}\n\n{_PART_LEFT} No tienes que hacer nada.\n\n{_SELF_TEXT}",
    ),
    "cancelled": t(
        "Tu artículo ha sido cancelado (pedido {{ order_id }})",
        "<p>"
        + _HI
        + "</p>\n<p>Este artículo pendiente ha sido cancelado{% if reason %}: {{ reason }}{% endif %}.</p>\n"
        + _LINE_HTML
        + "\n<p>"
        + _REFUND
        + "</p>\n"
        + _SELF_HTML,
        _HI
        + "\n\nEste artículo pendiente ha sido cancelado{% if reason %}: {{ reason }}{% endif %}.\n"
        + _LINE_TEXT
        + "\n\n"
        + _REFUND
        + "\n\n"
        + _SELF_TEXT,
    ),
    "consent_auto_cancelled": t(
        "Tu artículo ha sido cancelado y reembolsado (pedido {{ order_id }})",
        "<p>" + _HI + "</p>\n<p>No recibimos tu respuesta sobre el retraso de este artículo antes del "
        "{{ consent_due_on }}, así que lo hemos cancelado como te dijimos.</p>\n"
        + _LINE_HTML
        + "\n<p>"
        + _REFUND
        + "</p>",
        _HI + "\n\nNo recibimos tu respuesta sobre el retraso de este artículo antes del {{ consent_due_on }}, así que "
        "lo hemos cancelado como te dijimos.\n" + _LINE_TEXT + "\n\n" + _REFUND,
    ),
    "self_service_link": t(
        "Tu página del pedido en {{ store.name }} (pedido {{ order_id }})",
        """
<p>Hola{% if shopper.name %} {{ shopper.name }}{% endif %}:</p>
<p>Has pedido un enlace nuevo a la página de tu pedido. Aquí lo tienes:</p>
<p><a href="{{ self_service_url }}" style="display:inline-block;padding:10px 16px;background:{{ store.accent_color }};
color:#ffffff;text-decoration:none;border-radius:4px">Abrir tu pedido</a></p>
""",
        """
Hola{% if shopper.name %} {{ shopper.name }}{% endif %}:

Has pedido un enlace nuevo a la página de tu pedido. Aquí lo tienes:
{{ self_service_url }}
""",
    ),
    "stock_alert_confirmation": t(
        "Te avisaremos cuando {{ product.name }} vuelva",
        """
<p>Hola:</p>
<p>Has pedido a {{ store.name }} que te avise cuando <strong>{{ product.name }}</strong> vuelva a estar disponible.
Te enviaremos un único correo entonces.</p>""",
        """
Hola:

Has pedido a {{ store.name }} que te avise cuando {{ product.name }} vuelva a estar disponible. Te enviaremos un único
correo entonces.""",
    ),
    "back_in_stock": t(
        "{{ product.name }} vuelve a estar disponible",
        """
<p>Hola:</p>
<p><strong>{{ product.name }}</strong> vuelve a estar disponible en {{ store.name }}, hasta agotar existencias.</p>
{% if product.url %}<p><a href="{{ product.url }}" style="display:inline-block;padding:10px 16px;
background:{{ store.accent_color }};color:#ffffff;text-decoration:none;border-radius:4px">Comprar ahora</a></p>{% endif %}""",
        """
Hola:

{{ product.name }} vuelve a estar disponible en {{ store.name }}, hasta agotar existencias.
{% if product.url %}
Comprar ahora: {{ product.url }}
{% endif %}""",
    ),
    "incentive_offer": t(
        "Gracias por esperar: {{ discount }} de descuento",
        "<p>"
        + _HI
        + "</p>"
        + """
<p>Gracias por esperar tu artículo. Aquí tienes un {{ discount }} de descuento en tu próximo pedido en
{{ store.name }}:</p>
<p style="font-size:20px"><strong>{{ coupon_code }}</strong></p>
{% if expires_on %}<p>Válido una vez, hasta el {{ expires_on }}.</p>{% else %}<p>Válido una vez.</p>{% endif %}
"""
        + _LINE_HTML
        + "\n"
        + _SELF_HTML,
        _HI
        + """

Gracias por esperar tu artículo. Aquí tienes un {{ discount }} de descuento en tu próximo pedido en {{ store.name }}:

    {{ coupon_code }}

{% if expires_on %}Válido una vez, hasta el {{ expires_on }}.{% else %}Válido una vez.{% endif %}

"""
        + _LINE_TEXT
        + "\n\n"
        + _SELF_TEXT,
    ),
    "merchant_new_backorder": t(
        "Nuevo pedido pendiente: pedido {{ order_id }}",
        """
<p>El pedido {{ order_id }}{% if customer_name %} de {{ customer_name }}{% endif %} tiene artículos pendientes:</p>
<ul>{% for line in lines %}
<li>{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} &times; {{ line.quantity }}{% if line.expected_ship_date %},
previsto el {{ line.expected_ship_date }}{% endif %}</li>{% endfor %}
</ul>
"""
        + _DASH_HTML,
        """
El pedido {{ order_id }}{% if customer_name %} de {{ customer_name }}{% endif %} tiene artículos pendientes:
{% for line in lines %}
- {{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} x {{ line.quantity }}{% if line.expected_ship_date %}, previsto el {{ line.expected_ship_date }}{% endif %}
{% endfor %}

"""
        + _DASH_TEXT,
    ),
    "merchant_cap_reached": t(
        "Límite de pedidos pendientes alcanzado: {{ product_name }}",
        """
<p><strong>{{ product_name }}</strong>{% if sku %} ({{ sku }}){% endif %} ha alcanzado su límite de {{ cap }} unidades
pendientes ({{ waiting_units }} en espera). Los clientes no pueden pedirlo hasta que llegue stock o subas el límite.</p>
"""
        + _DASH_HTML,
        """
{{ product_name }}{% if sku %} ({{ sku }}){% endif %} ha alcanzado su límite de {{ cap }} unidades pendientes ({{ waiting_units }} en espera).
Los clientes no pueden pedirlo hasta que llegue stock o subas el límite.

"""
        + _DASH_TEXT,
    ),
    "merchant_digest": t(
        "Pedidos pendientes del {{ day }}: {{ late_count }} con retraso, {{ at_risk_count }} en riesgo",
        """
<p>Tus pedidos pendientes al {{ day }}.</p>
<h3>Con retraso ({{ late_count }})</h3>
{% if late %}<ul>{% for b in late %}
<li>Pedido {{ b.order_id }}: {{ b.product_name }} &times; {{ b.quantity }}, previsto el
{{ b.expected_ship_date or "(sin fecha)" }}</li>{% endfor %}</ul>{% else %}<p>Ninguno.</p>{% endif %}
<h3>En riesgo ({{ at_risk_count }})</h3>
{% if at_risk %}<ul>{% for b in at_risk %}
<li>Pedido {{ b.order_id }}: {{ b.product_name }} &times; {{ b.quantity }}, previsto el
{{ b.expected_ship_date }}</li>{% endfor %}</ul>{% else %}<p>Ninguno.</p>{% endif %}
"""
        + _DASH_HTML,
        """
Tus pedidos pendientes al {{ day }}.

Con retraso ({{ late_count }}):
{% for b in late %}
- Pedido {{ b.order_id }}: {{ b.product_name }} x {{ b.quantity }}, previsto el {{ b.expected_ship_date or "(sin fecha)" }}
{% else %}
Ninguno.
{% endfor %}

En riesgo ({{ at_risk_count }}):
{% for b in at_risk %}
- Pedido {{ b.order_id }}: {{ b.product_name }} x {{ b.quantity }}, previsto el {{ b.expected_ship_date }}
{% else %}
Ninguno.
{% endfor %}

"""
        + _DASH_TEXT,
    ),
    "merchant_sync_failure": t(
        "Acción necesaria: {{ store.name }} no está sincronizada con BigCommerce",
        """
<p>{{ problem }}</p>
{% if details %}<p>{{ details }}</p>{% endif %}
<p><a href="{{ dashboard_url }}">Abrir la aplicación</a></p>""",
        """
{{ problem }}
{% if details %}

{{ details }}
{% endif %}

Aplicación: {{ dashboard_url }}""",
    ),
    "merchant_webhook_failure": t(
        "{{ count }} evento(s) de BigCommerce no se pudieron procesar",
        """
<p>{{ count }} evento(s) enviados por BigCommerce no se pudieron procesar tras varios intentos
({{ scopes | join(", ") }}). Nuestro equipo de soporte los ve y puede procesarlos de nuevo.</p>
<p><a href="{{ dashboard_url }}">Abrir la aplicación</a></p>""",
        """
{{ count }} evento(s) enviados por BigCommerce no se pudieron procesar tras varios intentos ({{ scopes | join(", ") }}).
Nuestro equipo de soporte los ve y puede procesarlos de nuevo.

Aplicación: {{ dashboard_url }}""",
    ),
    "automation_update": t(
        "Novedades sobre tu pedido pendiente (pedido {{ order_id }})",
        """
<p>Hola{% if shopper.name %} {{ shopper.name }}{% endif %}:</p>
{% if message %}<p style="white-space:pre-line">{{ message }}</p>{% endif %}
"""
        + _LINE_HTML
        + """<p>{% if line.status == "allocated" %}Ya está en stock y lo estamos preparando para el envío.{% elif line.expected_ship_date %}Envío previsto antes del {{ line.expected_ship_date }}.{% else %}Se enviará en cuanto vuelva a estar en stock.{% endif %}</p>
"""
        + _SELF_HTML,
        """
Hola{% if shopper.name %} {{ shopper.name }}{% endif %}:

{% if message %}{{ message }}

{% endif %}"""
        + _LINE_TEXT
        + """
{% if line.status == "allocated" %}Ya está en stock y lo estamos preparando para el envío.{% elif line.expected_ship_date %}Envío previsto antes del {{ line.expected_ship_date }}.{% else %}Se enviará en cuanto vuelva a estar en stock.{% endif %}

"""
        + _SELF_TEXT,
    ),
    "automation_coupon": t(
        "Gracias por tu paciencia{% if discount %}: {{ discount }} de descuento{% endif %}",
        """
<p>Hola{% if shopper.name %} {{ shopper.name }}{% endif %}:</p>
{% if message %}<p style="white-space:pre-line">{{ message }}</p>{% else %}<p>Gracias por esperar tu pedido pendiente.</p>{% endif %}
{% if coupon_code %}<p>Aquí tienes un {{ discount }} de descuento en {{ store.name }}:</p>
<p style="font-size:20px"><strong>{{ coupon_code }}</strong></p>
{% if expires_on %}<p>Válido una vez, hasta el {{ expires_on }}.</p>{% else %}<p>Válido una vez.</p>{% endif %}{% endif %}
"""
        + _LINE_HTML
        + _SELF_HTML,
        """
Hola{% if shopper.name %} {{ shopper.name }}{% endif %}:

{% if message %}{{ message }}{% else %}Gracias por esperar tu pedido pendiente.{% endif %}
{% if coupon_code %}
Aquí tienes un {{ discount }} de descuento en {{ store.name }}:

    {{ coupon_code }}

{% if expires_on %}Válido una vez, hasta el {{ expires_on }}.{% else %}Válido una vez.{% endif %}
{% endif %}
"""
        + _LINE_TEXT
        + "\n\n"
        + _SELF_TEXT,
    ),
    "merchant_automation": t(
        "{% if subject_line %}{{ subject_line }}{% else %}Regla «{{ rule_name }}»: {{ event }}{% endif %}",
        """
<p style="white-space:pre-line">{{ message }}</p>
<p class="muted">Enviado por tu regla «{{ rule_name }}»: {{ event }}{% if order_id %} (pedido {{ order_id }}{% if product_name %}, {{ product_name }}{% if sku %} ({{ sku }}){% endif %}{% endif %}{% if quantity %} &times; {{ quantity }}{% endif %}){% endif %}.</p>
<p>{% if link %}<a href="{{ link }}">Abrir el pedido pendiente</a>{% else %}<a href="{{ dashboard_url }}">Abrir la aplicación</a>{% endif %}</p>
""",
        """
{{ message }}

Enviado por tu regla «{{ rule_name }}»: {{ event }}{% if order_id %} (pedido {{ order_id }}{% if product_name %}, {{ product_name }}{% if sku %} ({{ sku }}){% endif %}{% endif %}{% if quantity %} x {{ quantity }}{% endif %}){% endif %}.

{% if link %}Pedido: {{ link }}{% else %}Aplicación: {{ dashboard_url }}{% endif %}
""",
    ),
    "merchant_automation_budget": t(
        "Tus reglas han alcanzado el límite diario de {{ limit }} acciones",
        """
<p>Tus reglas de automatización han realizado {{ limit }} acciones el {{ day }}, el límite diario. Las siguientes
acciones de hoy se omiten; aparecen en el registro de ejecuciones, desde donde puedes volver a ejecutarlas cuando
termine el día.</p>
<p><a href="{{ dashboard_url }}automations/">Abrir Automatizaciones</a></p>
""",
        """
Tus reglas de automatización han realizado {{ limit }} acciones el {{ day }}, el límite diario. Las siguientes acciones
de hoy se omiten; aparecen en el registro de ejecuciones, desde donde puedes volver a ejecutarlas cuando termine el día.

Automatizaciones: {{ dashboard_url }}automations/
""",
    ),
    "merchant_webhook_disabled": t(
        "Endpoint de webhook desactivado: {{ url }}",
        """
<p>Todas las entregas a tu endpoint de webhook <strong>{{ url }}</strong> fallan desde el {{ since }}, así que se ha
desactivado. Corrige el receptor, vuelve a activar el endpoint y reenvía las entregas fallidas desde su registro.</p>
<p><a href="{{ dashboard_url }}settings/webhooks/">Abrir la configuración de webhooks</a></p>
""",
        """
Todas las entregas a tu endpoint de webhook {{ url }} fallan desde el {{ since }}, así que se ha desactivado.
Corrige el receptor, vuelve a activar el endpoint y reenvía las entregas fallidas desde su registro.

Configuración de webhooks: {{ dashboard_url }}settings/webhooks/
""",
    ),
}
