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
