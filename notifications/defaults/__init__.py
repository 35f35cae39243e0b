"""The default wording of every e-mail, per language (English, German, French, Spanish).

Each language module maps kind -> {"subject", "body_html", "body_text"}: Jinja2 templates using the kind's
documented variables (notifications/kinds.py). They are what a merchant starts from when editing, and what
is sent while the merchant has not edited the kind. Every kind has every language (a test checks).
"""

from notifications.defaults import de, en, es, fr

DEFAULT_LANGUAGE = "en"
TEMPLATES = {"en": en.TEMPLATES, "de": de.TEMPLATES, "fr": fr.TEMPLATES, "es": es.TEMPLATES}
LANGUAGES = tuple(TEMPLATES)


def default_template(kind: str, language: str) -> dict[str, str]:
    by_kind = TEMPLATES.get(language) or TEMPLATES[DEFAULT_LANGUAGE]
    return dict(by_kind.get(kind) or TEMPLATES[DEFAULT_LANGUAGE][kind])
