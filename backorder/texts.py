"""Shopper-facing texts of the storefront answer, in the languages the widget speaks."""

from datetime import date

LANGUAGES = ("en", "de", "fr", "es")

BUTTON = {
    "en": {"in_stock": "Add to cart", "backorder": "Backorder", "preorder": "Pre-order", "unavailable": "Sold out"},
    "de": {"in_stock": "In den Warenkorb", "backorder": "Nachbestellen", "preorder": "Vorbestellen",
           "unavailable": "Ausverkauft"},
    "fr": {"in_stock": "Ajouter au panier", "backorder": "Commander", "preorder": "Précommander",
           "unavailable": "Épuisé"},
    "es": {"in_stock": "Añadir al carrito", "backorder": "Reservar", "preorder": "Preordenar",
           "unavailable": "Agotado"},
}  # fmt: skip

MESSAGE = {
    "en": {"backorder": "Ships by {date}", "preorder": "Pre-order: ships by {date}",
           "no_date": "Ships as soon as it is back in stock", "unavailable": "Out of stock"},
    "de": {"backorder": "Versand bis {date}", "preorder": "Vorbestellung: Versand bis {date}",
           "no_date": "Versand, sobald wieder vorrätig", "unavailable": "Nicht vorrätig"},
    "fr": {"backorder": "Expédié d'ici le {date}", "preorder": "Précommande : expédié d'ici le {date}",
           "no_date": "Expédié dès le retour en stock", "unavailable": "Rupture de stock"},
    "es": {"backorder": "Se envía antes del {date}", "preorder": "Preventa: se envía antes del {date}",
           "no_date": "Se envía en cuanto vuelva a estar disponible", "unavailable": "Agotado"},
}  # fmt: skip

# The widget's own words (the answer's label and message come from BUTTON and MESSAGE above).
# {ready} and {later} are unit counts, {date} a date the widget formats in the shopper's language.
WIDGET = {
    "en": {"in_stock": "In stock", "split": "{ready} ready to ship, {later} backordered",
           "split_preorder": "{ready} ready to ship, {later} on pre-order", "email": "Your e-mail address",
           "notify": "Notify me",
           "notify_done": "Thanks! We will e-mail you when it is back in stock.",
           "notify_invalid": "Please enter a valid e-mail address.",
           "notify_failed": "Sorry, that did not work. Please try again.", "alternatives": "In stock now:",
           "ships_by": "Your order ships by {date}",
           "ships_unknown": "Your order ships as soon as everything is back in stock",
           "ship_how": "How should we ship it?", "together": "All together",
           "available_first": "Available items first"},
    "de": {"in_stock": "Auf Lager", "split": "{ready} sofort versandbereit, {later} nachbestellt",
           "split_preorder": "{ready} sofort versandbereit, {later} vorbestellt", "email": "Ihre E-Mail-Adresse",
           "notify": "Benachrichtigen",
           "notify_done": "Danke! Wir schreiben Ihnen, sobald der Artikel wieder vorrätig ist.",
           "notify_invalid": "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
           "notify_failed": "Das hat leider nicht geklappt. Bitte versuchen Sie es erneut.",
           "alternatives": "Jetzt vorrätig:", "ships_by": "Ihre Bestellung wird bis {date} versandt",
           "ships_unknown": "Ihre Bestellung wird versandt, sobald alles wieder vorrätig ist",
           "ship_how": "Wie sollen wir versenden?", "together": "Alles zusammen",
           "available_first": "Vorrätiges zuerst"},
    "fr": {"in_stock": "En stock", "split": "{ready} prêt(s) à expédier, {later} en réapprovisionnement",
           "split_preorder": "{ready} prêt(s) à expédier, {later} en précommande", "email": "Votre adresse e-mail",
           "notify": "Me prévenir",
           "notify_done": "Merci ! Nous vous écrirons dès son retour en stock.",
           "notify_invalid": "Veuillez saisir une adresse e-mail valide.",
           "notify_failed": "Désolé, cela n'a pas fonctionné. Veuillez réessayer.", "alternatives": "En stock :",
           "ships_by": "Votre commande sera expédiée d'ici le {date}",
           "ships_unknown": "Votre commande sera expédiée dès que tout sera de nouveau en stock",
           "ship_how": "Comment l'expédier ?", "together": "Tout ensemble",
           "available_first": "Articles disponibles d'abord"},
    "es": {"in_stock": "En stock", "split": "{ready} listo(s) para enviar, {later} en reserva",
           "split_preorder": "{ready} listo(s) para enviar, {later} en preventa",
           "email": "Tu correo electrónico", "notify": "Avísame",
           "notify_done": "¡Gracias! Te escribiremos cuando vuelva a estar disponible.",
           "notify_invalid": "Introduce un correo electrónico válido.",
           "notify_failed": "Lo sentimos, no ha funcionado. Inténtalo de nuevo.", "alternatives": "Disponibles ahora:",
           "ships_by": "Tu pedido se envía antes del {date}",
           "ships_unknown": "Tu pedido se envía en cuanto todo vuelva a estar disponible",
           "ship_how": "¿Cómo lo enviamos?", "together": "Todo junto", "available_first": "Primero lo disponible"},
}  # fmt: skip

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "de": ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."],
    "fr": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
    "es": ["ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.", "dic."],
}


def language_for(locale: str | None, default: str) -> str:
    """`fr-CA` → `fr`; languages we have no texts for fall back to the store's, then English."""
    for candidate in ((locale or "").split("-")[0].lower(), default.split("-")[0].lower()):
        if candidate in LANGUAGES:
            return candidate
    return "en"


def date_text(day: date, language: str) -> str:
    month = MONTHS[language][day.month - 1]
    if language == "en":
        return f"{month} {day.day}"
    if language == "de":
        return f"{day.day}. {month}"
    if language == "es":
        return f"{day.day} de {month}"
    return f"{day.day} {month}"


def render(template: str, *, ship_date: date | None, quantity: int, today: date, language: str) -> str:
    """Fill a merchant's template: {date}, {quantity}, {days}. Unknown placeholders were refused on save."""
    values = {
        "date": date_text(ship_date, language) if ship_date else "",
        "quantity": quantity,
        "days": (ship_date - today).days if ship_date else "",
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
