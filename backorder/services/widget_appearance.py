"""The store's widget appearance: colours that stay readable, texts that fit, languages the widget speaks."""

import re

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from backorder.models import WidgetAppearance
from backorder.models.storefront import SUPPORTED_LANGUAGES

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
COLOUR_FIELDS = ("accent_color", "text_color", "background_color")
LABEL_FIELDS = ("label_backorder", "label_preorder", "label_unavailable")
SWITCH_FIELDS = ("show_split", "show_notify_me", "show_alternatives")
# WCAG 2.1: 4.5:1 for body text (1.4.3), 3:1 for the parts of a control one must see (1.4.11).
TEXT_CONTRAST = 4.5
UI_CONTRAST = 3.0
ON_ACCENT = ("#FFFFFF", "#000000")


def appearance_cache_key() -> str:
    """Where the storefront keeps the current store's appearance (backorder.selectors_storefront)."""
    return f"backorder:widget-appearance:{connection.schema_name}"


def colour_normalise(value: str) -> str:
    """`#abc` → `#AABBCC`; anything that is not a hex colour raises ValueError."""
    if not isinstance(value, str) or not HEX_COLOUR.match(value.strip()):
        raise ValueError(value)
    digits = value.strip()[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.upper()


def _luminance(colour: str) -> float:
    channels = []
    for start in (1, 3, 5):
        c = int(colour[start : start + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two `#RRGGBB` colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(background: str) -> str:
    """The readable text colour (white or black) on a button of this colour."""
    return max(ON_ACCENT, key=lambda colour: contrast_ratio(colour, background))


def appearance_warnings(appearance: WidgetAppearance) -> list[str]:
    """What is allowed but may be hard to see (the accent marks the message box and the focus ring)."""
    warnings = []
    on_background = contrast_ratio(appearance.accent_color, appearance.background_color)
    if on_background < UI_CONTRAST:
        warnings.append(
            f"The accent colour has a contrast of {on_background:.1f}:1 with the background colour; "
            f"{UI_CONTRAST:.0f}:1 or more keeps the message box's edge visible."
        )
    on_page = contrast_ratio(appearance.accent_color, "#FFFFFF")
    if on_page < UI_CONTRAST:
        warnings.append(
            f"The accent colour has a contrast of {on_page:.1f}:1 with a white page; keyboard users may not "
            "see the focus ring."
        )
    return warnings


@transaction.atomic
def widget_appearance_update(*, data: dict) -> tuple[WidgetAppearance, list[str]]:
    """Change some of the store's widget settings. Refused (field messages): colours that are not hex, text
    with less than 4.5:1 contrast on its background, labels over 40 characters, languages the widget does
    not speak or none at all. Allowed with a warning: an accent colour that is hard to see."""
    appearance = WidgetAppearance.objects.select_for_update().filter(pk=1).first() or WidgetAppearance(pk=1)
    problems: dict[str, str] = {}
    for name in COLOUR_FIELDS:
        if name in data:
            try:
                setattr(appearance, name, colour_normalise(data[name]))
            except ValueError:
                problems[name] = "Use a hex colour such as #1D4ED8."
    for name in LABEL_FIELDS:
        if name in data:
            label = (data[name] or "").strip()
            if len(label) > 40:
                problems[name] = "At most 40 characters."
            setattr(appearance, name, label)
    for name in SWITCH_FIELDS:
        if name in data:
            if not isinstance(data[name], bool):
                problems[name] = "true or false."
            setattr(appearance, name, data[name])
    if "languages" in data:
        languages = data["languages"]
        if not isinstance(languages, list) or not languages:
            problems["languages"] = "List at least one language."
        elif unknown := [code for code in languages if code not in SUPPORTED_LANGUAGES]:
            spoken, asked = ", ".join(SUPPORTED_LANGUAGES), ", ".join(map(str, unknown))
            problems["languages"] = f"The widget speaks {spoken}; not {asked}."
        else:
            appearance.languages = list(dict.fromkeys(languages))
    if "text_color" not in problems and "background_color" not in problems:
        ratio = contrast_ratio(appearance.text_color, appearance.background_color)
        if ratio < TEXT_CONTRAST:
            problems["text_color"] = (
                f"The text colour has a contrast of {ratio:.1f}:1 with the background colour; shoppers need "
                f"at least {TEXT_CONTRAST}:1 to read it (WCAG AA)."
            )
    if problems:
        raise ValidationError(problems)
    appearance.save()
    key = appearance_cache_key()
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))  # a request may have cached the old one meanwhile
    return appearance, appearance_warnings(appearance)
