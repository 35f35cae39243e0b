"""Default e-mails in French."""

# ruff: noqa: E501  (template text: a line break here would be a line break in the e-mail)

from notifications.defaults.en import t

_HI = "Bonjour{% if shopper.name %} {{ shopper.name }}{% endif %},"
_LINE_HTML = """<p><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %}
&times; {{ line.quantity }}</p>"""
_LINE_TEXT = "{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} x {{ line.quantity }}"
_SELF_HTML = """<p><a href="{{ self_service_url }}" style="color:{{ store.accent_color }}">Voir votre commande, changer
l'expédition ou annuler</a></p>"""
_SELF_TEXT = "Votre commande, l'expédition, l'annulation : {{ self_service_url }}"
_REFUND = """{% if refund == "refunded" %}Nous vous avons remboursé{% if amount %} {{ amount }}{% endif %} ; l'argent
vous parvient sous quelques jours selon votre banque.{% elif refund == "refund_due" %}La boutique vous
rembourse{% if amount %} {{ amount }}{% endif %} sous peu.{% elif refund == "pending" %}Nous vous remboursons intégralement.{% elif refund == "store" %}La boutique a traité votre
commande ; un éventuel remboursement vient de la boutique.{% else %}Aucun paiement n'a été pris pour cet
article.{% endif %}"""
_DASH_HTML = '<p><a href="{{ dashboard_url }}">Ouvrir le tableau de bord</a></p>'
_DASH_TEXT = "Tableau de bord : {{ dashboard_url }}"

# A partial refund made in BigCommerce: what was refunded (an amount only when known), what is still to come.
_PART_REFUNDED = "{{ store.name }} vous a remboursé {{ units_refunded }} {% if units_refunded == 1 %}unité{% else %}unités{% endif %} de cet article en réassort{% if amount %} ({{ amount }}){% endif %} :"
_PART_LEFT = "{% if units_remaining %}Il vous reste {{ units_remaining }} {% if units_remaining == 1 %}unité{% else %}unités{% endif %} en commande{% if line.status == \"allocated\" %}, en stock et en cours de préparation pour l'expédition{% elif line.expected_ship_date %}, expédition prévue d'ici le {{ line.expected_ship_date }}{% else %}, expédition dès le retour en stock{% endif %}.{% else %}Le reste de cet article a déjà été expédié.{% endif %}"
_PART_ITEM_HTML = "<p><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %}</p>"
_PART_ITEM_TEXT = "{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %}"

TEMPLATES = {
    "backorder_confirmation": t(
        "Votre commande en réassort chez {{ store.name }} (commande {{ order_id }})",
        "<p>"
        + _HI
        + "</p>"
        + """
<p>Merci pour votre commande {{ order_id }}. Ces articles n'étaient pas en stock lors de votre commande ; nous les
avons réservés pour vous et les expédions dès leur arrivée :</p>
<ul>{% for line in lines %}
<li><strong>{{ line.product_name }}</strong>{% if line.sku %} ({{ line.sku }}){% endif %} &times; {{ line.quantity }}
&ndash; {% if line.expected_ship_date %}expédition prévue d'ici le {{ line.expected_ship_date }}{% else %}expédié dès
le retour en stock{% endif %}</li>{% endfor %}
</ul>
<p>Expédition : {{ shipping_preference_text }}.</p>
"""
        + _SELF_HTML,
        _HI
        + """

Merci pour votre commande {{ order_id }}. Ces articles n'étaient pas en stock lors de votre commande ; nous les avons
réservés pour vous et les expédions dès leur arrivée :
{% for line in lines %}
- {{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} x {{ line.quantity }} : {% if line.expected_ship_date %}expédition prévue d'ici le {{ line.expected_ship_date }}{% else %}expédié dès le retour en stock{% endif %}
{% endfor %}

Expédition : {{ shipping_preference_text }}.

"""
        + _SELF_TEXT,
    ),
    "date_brought_forward": t(
        "Bonne nouvelle : votre article arrive plus tôt (commande {{ order_id }})",
        "<p>"
        + _HI
        + "</p>\n<p>Votre article en réassort sera expédié plus tôt que prévu :</p>\n"
        + _LINE_HTML
        + """
<p>Nouvelle date : <strong>{{ new_date }}</strong>{% if old_date %} (au lieu du {{ old_date }}){% endif %}.</p>
"""
        + _SELF_HTML,
        _HI
        + "\n\nVotre article en réassort sera expédié plus tôt que prévu :\n"
        + _LINE_TEXT
        + """

Nouvelle date : {{ new_date }}{% if old_date %} (au lieu du {{ old_date }}){% endif %}.

"""
        + _SELF_TEXT,
    ),
    "delay_notice": t(
        "{% if consent_required %}Réponse attendue : {% endif %}votre article est retardé (commande {{ order_id }})",
        "<p>"
        + _HI
        + "</p>\n<p>Nous sommes désolés : votre article en réassort sera expédié plus tard que prévu.</p>\n"
        + _LINE_HTML
        + """
<p>{% if new_date %}Nouvelle date : <strong>{{ new_date }}</strong>{% else %}Nous ne connaissons pas encore la
nouvelle date.{% endif %} {% if old_date %}(au lieu du {{ old_date }}){% endif %}</p>
{% if consent_required %}
<p>Merci de nous dire d'ici le <strong>{{ consent_due_on }}</strong> si vous le souhaitez toujours. Sans réponse de
votre part, nous l'annulons et vous remboursons intégralement.</p>
<p><a href="{{ self_service_url }}" style="display:inline-block;padding:10px 16px;background:{{ store.accent_color }};
color:#ffffff;text-decoration:none;border-radius:4px">Accepter la nouvelle date ou annuler</a></p>
{% else %}
"""
        + _SELF_HTML
        + "\n{% endif %}",
        _HI
        + "\n\nNous sommes désolés : votre article en réassort sera expédié plus tard que prévu.\n"
        + _LINE_TEXT
        + """

{% if new_date %}Nouvelle date : {{ new_date }}{% else %}Nous ne connaissons pas encore la nouvelle date.{% endif %}{% if old_date %} (au lieu du {{ old_date }}){% endif %}

{% if consent_required %}
Merci de nous dire d'ici le {{ consent_due_on }} si vous le souhaitez toujours. Sans réponse de votre part, nous
l'annulons et vous remboursons intégralement.
Accepter la nouvelle date ou annuler : {{ self_service_url }}
{% else %}
"""
        + _SELF_TEXT
        + "\n{% endif %}",
    ),
    "ready_to_ship": t(
        "Votre article est arrivé (commande {{ order_id }})",
        "<p>" + _HI + "</p>\n<p>Bonne nouvelle : votre article est arrivé et vous est réservé. Il est en cours de "
        "préparation pour l'expédition.</p>\n" + _LINE_HTML + "\n" + _SELF_HTML,
        _HI + "\n\nBonne nouvelle : votre article est arrivé et vous est réservé. Il est en cours de préparation pour "
        "l'expédition.\n" + _LINE_TEXT + "\n\n" + _SELF_TEXT,
    ),
    "shipped": t(
        "Votre article a été expédié (commande {{ order_id }})",
        "<p>"
        + _HI
        + "</p>\n<p>Votre article en réassort est en route.</p>\n"
        + _LINE_HTML
        + "\n{% if tracking_number %}<p>Numéro de suivi : <strong>{{ tracking_number }}</strong></p>{% endif %}\n"
        + _SELF_HTML,
        _HI
        + "\n\nVotre article en réassort est en route.\n"
        + _LINE_TEXT
        + "\n{% if tracking_number %}\nNuméro de suivi : {{ tracking_number }}\n{% endif %}\n\n"
        + _SELF_TEXT,
    ),
    "partly_refunded": t(
        "Remboursement partiel de votre article en réassort (commande {{ order_id }})",
        f"<p>{_HI}</p>\n<p>{_PART_REFUNDED}</p>\n{_PART_ITEM_HTML}\n<p>{_PART_LEFT} Vous n'avez rien à faire.</p>\n{_SELF_HTML}",
        f"{_HI}\n\n{_PART_REFUNDED}\n{_PART_ITEM_TEXT}\n\n{_PART_LEFT} Vous n'avez rien à faire.\n\n{_SELF_TEXT}",
    ),
    "cancelled": t(
        "Votre article a été annulé (commande {{ order_id }})",
        "<p>"
        + _HI
        + "</p>\n<p>Cet article en réassort a été annulé{% if reason %} : {{ reason }}{% endif %}.</p>\n"
        + _LINE_HTML
        + "\n<p>"
        + _REFUND
        + "</p>\n"
        + _SELF_HTML,
        _HI
        + "\n\nCet article en réassort a été annulé{% if reason %} : {{ reason }}{% endif %}.\n"
        + _LINE_TEXT
        + "\n\n"
        + _REFUND
        + "\n\n"
        + _SELF_TEXT,
    ),
    "consent_auto_cancelled": t(
        "Votre article a été annulé et remboursé (commande {{ order_id }})",
        "<p>"
        + _HI
        + "</p>\n<p>Sans réponse de votre part au {{ consent_due_on }} concernant le retard de cet article, "
        "nous l'avons annulé comme annoncé.</p>\n" + _LINE_HTML + "\n<p>" + _REFUND + "</p>",
        _HI
        + "\n\nSans réponse de votre part au {{ consent_due_on }} concernant le retard de cet article, nous l'avons "
        "annulé comme annoncé.\n" + _LINE_TEXT + "\n\n" + _REFUND,
    ),
    "self_service_link": t(
        "Votre page de commande chez {{ store.name }} (commande {{ order_id }})",
        """
<p>Bonjour{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
<p>Vous avez demandé un nouveau lien vers votre page de commande. Le voici :</p>
<p><a href="{{ self_service_url }}" style="display:inline-block;padding:10px 16px;background:{{ store.accent_color }};
color:#ffffff;text-decoration:none;border-radius:4px">Ouvrir votre commande</a></p>
""",
        """
Bonjour{% if shopper.name %} {{ shopper.name }}{% endif %},

Vous avez demandé un nouveau lien vers votre page de commande. Le voici :
{{ self_service_url }}
""",
    ),
    "stock_alert_confirmation": t(
        "Nous vous préviendrons du retour de {{ product.name }}",
        """
<p>Bonjour,</p>
<p>Vous avez demandé à {{ store.name }} d'être prévenu du retour en stock de <strong>{{ product.name }}</strong>. Nous
vous enverrons un seul e-mail à ce moment-là.</p>""",
        """
Bonjour,

Vous avez demandé à {{ store.name }} d'être prévenu du retour en stock de {{ product.name }}. Nous vous enverrons un
seul e-mail à ce moment-là.""",
    ),
    "back_in_stock": t(
        "{{ product.name }} est de retour en stock",
        """
<p>Bonjour,</p>
<p><strong>{{ product.name }}</strong> est de nouveau disponible chez {{ store.name }}, dans la limite des stocks.</p>
{% if product.url %}<p><a href="{{ product.url }}" style="display:inline-block;padding:10px 16px;
background:{{ store.accent_color }};color:#ffffff;text-decoration:none;border-radius:4px">Acheter</a></p>{% endif %}""",
        """
Bonjour,

{{ product.name }} est de nouveau disponible chez {{ store.name }}, dans la limite des stocks.
{% if product.url %}
Acheter : {{ product.url }}
{% endif %}""",
    ),
    "incentive_offer": t(
        "Merci de votre patience : {{ discount }} de réduction",
        "<p>"
        + _HI
        + "</p>"
        + """
<p>Merci d'attendre votre article. Voici {{ discount }} de réduction sur votre prochaine commande chez
{{ store.name }} :</p>
<p style="font-size:20px"><strong>{{ coupon_code }}</strong></p>
{% if expires_on %}<p>Valable une fois, jusqu'au {{ expires_on }}.</p>{% else %}<p>Valable une fois.</p>{% endif %}
"""
        + _LINE_HTML
        + "\n"
        + _SELF_HTML,
        _HI
        + """

Merci d'attendre votre article. Voici {{ discount }} de réduction sur votre prochaine commande chez {{ store.name }} :

    {{ coupon_code }}

{% if expires_on %}Valable une fois, jusqu'au {{ expires_on }}.{% else %}Valable une fois.{% endif %}

"""
        + _LINE_TEXT
        + "\n\n"
        + _SELF_TEXT,
    ),
    "merchant_new_backorder": t(
        "Nouvelle commande en réassort : commande {{ order_id }}",
        """
<p>La commande {{ order_id }}{% if customer_name %} de {{ customer_name }}{% endif %} contient des articles en
réassort :</p>
<ul>{% for line in lines %}
<li>{{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} &times; {{ line.quantity }}{% if line.expected_ship_date %},
prévu le {{ line.expected_ship_date }}{% endif %}</li>{% endfor %}
</ul>
"""
        + _DASH_HTML,
        """
La commande {{ order_id }}{% if customer_name %} de {{ customer_name }}{% endif %} contient des articles en réassort :
{% for line in lines %}
- {{ line.product_name }}{% if line.sku %} ({{ line.sku }}){% endif %} x {{ line.quantity }}{% if line.expected_ship_date %}, prévu le {{ line.expected_ship_date }}{% endif %}
{% endfor %}

"""
        + _DASH_TEXT,
    ),
    "merchant_cap_reached": t(
        "Limite de réassort atteinte : {{ product_name }}",
        """
<p><strong>{{ product_name }}</strong>{% if sku %} ({{ sku }}){% endif %} a atteint sa limite de {{ cap }} unités en
réassort ({{ waiting_units }} en attente). Les clients ne peuvent plus le commander avant l'arrivée du stock ou une
limite plus haute.</p>
"""
        + _DASH_HTML,
        """
{{ product_name }}{% if sku %} ({{ sku }}){% endif %} a atteint sa limite de {{ cap }} unités en réassort ({{ waiting_units }} en attente).
Les clients ne peuvent plus le commander avant l'arrivée du stock ou une limite plus haute.

"""
        + _DASH_TEXT,
    ),
    "merchant_digest": t(
        "Réassorts du {{ day }} : {{ late_count }} en retard, {{ at_risk_count }} à risque",
        """
<p>Vos commandes en réassort au {{ day }}.</p>
<h3>En retard ({{ late_count }})</h3>
{% if late %}<ul>{% for b in late %}
<li>Commande {{ b.order_id }} : {{ b.product_name }} &times; {{ b.quantity }}, prévu le
{{ b.expected_ship_date or "(sans date)" }}</li>{% endfor %}</ul>{% else %}<p>Aucune.</p>{% endif %}
<h3>À risque ({{ at_risk_count }})</h3>
{% if at_risk %}<ul>{% for b in at_risk %}
<li>Commande {{ b.order_id }} : {{ b.product_name }} &times; {{ b.quantity }}, prévu le
{{ b.expected_ship_date }}</li>{% endfor %}</ul>{% else %}<p>Aucune.</p>{% endif %}
"""
        + _DASH_HTML,
        """
Vos commandes en réassort au {{ day }}.

En retard ({{ late_count }}) :
{% for b in late %}
- Commande {{ b.order_id }} : {{ b.product_name }} x {{ b.quantity }}, prévu le {{ b.expected_ship_date or "(sans date)" }}
{% else %}
Aucune.
{% endfor %}

À risque ({{ at_risk_count }}) :
{% for b in at_risk %}
- Commande {{ b.order_id }} : {{ b.product_name }} x {{ b.quantity }}, prévu le {{ b.expected_ship_date }}
{% else %}
Aucune.
{% endfor %}

"""
        + _DASH_TEXT,
    ),
    "merchant_sync_failure": t(
        "Action requise : {{ store.name }} n'est plus synchronisé avec BigCommerce",
        """
<p>{{ problem }}</p>
{% if details %}<p>{{ details }}</p>{% endif %}
<p><a href="{{ dashboard_url }}">Ouvrir l'application</a></p>""",
        """
{{ problem }}
{% if details %}

{{ details }}
{% endif %}

Application : {{ dashboard_url }}""",
    ),
    "merchant_webhook_failure": t(
        "{{ count }} événement(s) BigCommerce n'ont pas pu être traités",
        """
<p>{{ count }} événement(s) envoyés par BigCommerce n'ont pas pu être traités après plusieurs essais
({{ scopes | join(", ") }}). Notre support les voit et peut les traiter à nouveau.</p>
<p><a href="{{ dashboard_url }}">Ouvrir l'application</a></p>""",
        """
{{ count }} événement(s) envoyés par BigCommerce n'ont pas pu être traités après plusieurs essais ({{ scopes | join(", ") }}).
Notre support les voit et peut les traiter à nouveau.

Application : {{ dashboard_url }}""",
    ),
    "automation_update": t(
        "Des nouvelles de votre commande en réapprovisionnement (commande {{ order_id }})",
        """
<p>Bonjour{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
{% if message %}<p style="white-space:pre-line">{{ message }}</p>{% endif %}
"""
        + _LINE_HTML
        + """<p>{% if line.status == "allocated" %}L'article est arrivé et sa préparation pour l'expédition est en cours.{% elif line.expected_ship_date %}Expédition prévue d'ici le {{ line.expected_ship_date }}.{% else %}Il sera expédié dès son retour en stock.{% endif %}</p>
"""
        + _SELF_HTML,
        """
Bonjour{% if shopper.name %} {{ shopper.name }}{% endif %},

{% if message %}{{ message }}

{% endif %}"""
        + _LINE_TEXT
        + """
{% if line.status == "allocated" %}L'article est arrivé et sa préparation pour l'expédition est en cours.{% elif line.expected_ship_date %}Expédition prévue d'ici le {{ line.expected_ship_date }}.{% else %}Il sera expédié dès son retour en stock.{% endif %}

"""
        + _SELF_TEXT,
    ),
    "automation_coupon": t(
        "Merci pour votre patience{% if discount %} : {{ discount }} de réduction{% endif %}",
        """
<p>Bonjour{% if shopper.name %} {{ shopper.name }}{% endif %},</p>
{% if message %}<p style="white-space:pre-line">{{ message }}</p>{% else %}<p>Merci de patienter pour votre commande en réapprovisionnement.</p>{% endif %}
{% if coupon_code %}<p>Voici {{ discount }} de réduction chez {{ store.name }} :</p>
<p style="font-size:20px"><strong>{{ coupon_code }}</strong></p>
{% if expires_on %}<p>Valable une fois, jusqu'au {{ expires_on }}.</p>{% else %}<p>Valable une fois.</p>{% endif %}{% endif %}
"""
        + _LINE_HTML
        + _SELF_HTML,
        """
Bonjour{% if shopper.name %} {{ shopper.name }}{% endif %},

{% if message %}{{ message }}{% else %}Merci de patienter pour votre commande en réapprovisionnement.{% endif %}
{% if coupon_code %}
Voici {{ discount }} de réduction chez {{ store.name }} :

    {{ coupon_code }}

{% if expires_on %}Valable une fois, jusqu'au {{ expires_on }}.{% else %}Valable une fois.{% endif %}
{% endif %}
"""
        + _LINE_TEXT
        + "\n\n"
        + _SELF_TEXT,
    ),
    "merchant_automation": t(
        "{% if subject_line %}{{ subject_line }}{% else %}Règle « {{ rule_name }} » : {{ event }}{% endif %}",
        """
<p style="white-space:pre-line">{{ message }}</p>
<p class="muted">Envoyé par votre règle « {{ rule_name }} » : {{ event }}{% if order_id %} (commande {{ order_id }}{% if product_name %}, {{ product_name }}{% if sku %} ({{ sku }}){% endif %}{% endif %}{% if quantity %} &times; {{ quantity }}{% endif %}){% endif %}.</p>
<p>{% if link %}<a href="{{ link }}">Ouvrir la commande en réapprovisionnement</a>{% else %}<a href="{{ dashboard_url }}">Ouvrir l'application</a>{% endif %}</p>
""",
        """
{{ message }}

Envoyé par votre règle « {{ rule_name }} » : {{ event }}{% if order_id %} (commande {{ order_id }}{% if product_name %}, {{ product_name }}{% if sku %} ({{ sku }}){% endif %}{% endif %}{% if quantity %} x {{ quantity }}{% endif %}){% endif %}.

{% if link %}Commande : {{ link }}{% else %}Application : {{ dashboard_url }}{% endif %}
""",
    ),
    "merchant_automation_budget": t(
        "Vos règles ont atteint la limite du jour de {{ limit }} actions",
        """
<p>Vos règles d'automatisation ont effectué {{ limit }} actions le {{ day }}, la limite quotidienne. Les actions
suivantes sont ignorées aujourd'hui ; elles figurent dans le journal des exécutions, d'où chacune peut être relancée
une fois la journée terminée.</p>
<p><a href="{{ dashboard_url }}automations/">Ouvrir les automatisations</a></p>
""",
        """
Vos règles d'automatisation ont effectué {{ limit }} actions le {{ day }}, la limite quotidienne. Les actions suivantes
sont ignorées aujourd'hui ; elles figurent dans le journal des exécutions, d'où chacune peut être relancée une fois la
journée terminée.

Automatisations : {{ dashboard_url }}automations/
""",
    ),
    "merchant_webhook_disabled": t(
        "Point de terminaison webhook désactivé : {{ url }}",
        """
<p>Toutes les livraisons vers votre point de terminaison webhook <strong>{{ url }}</strong> échouent depuis le
{{ since }} ; il a donc été désactivé. Corrigez le récepteur, réactivez le point de terminaison et renvoyez les
livraisons échouées depuis son journal.</p>
<p><a href="{{ dashboard_url }}settings/webhooks/">Ouvrir les réglages des webhooks</a></p>
""",
        """
Toutes les livraisons vers votre point de terminaison webhook {{ url }} échouent depuis le {{ since }} ; il a donc été
désactivé. Corrigez le récepteur, réactivez le point de terminaison et renvoyez les livraisons échouées depuis son
journal.

Réglages des webhooks : {{ dashboard_url }}settings/webhooks/
""",
    ),
}
