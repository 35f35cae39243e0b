"""Rendering e-mails from templates the merchant may edit, safely.

Templates are Jinja2, rendered in the immutable sandbox with StrictUndefined: a template reaches only the
variables documented for its kind (notifications/kinds.py), which are plain dicts, lists and strings, never
model instances; an unknown variable or an attribute the sandbox refuses is an error, not silent blank text.
HTML is autoescaped. The merchant's template for the kind and language wins, else the default in that
language (notifications/defaults/), else English. The body is wrapped in the store's branded layout (not
editable), which also carries the unsubscribe link of non-transactional mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from notifications import kinds
from notifications.defaults import DEFAULT_LANGUAGE, LANGUAGES, default_template

PARTS = ("subject", "body_html", "body_text")
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
DEFAULT_ACCENT = "#1D4ED8"  # the widget's default accent


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class TemplateProblem:
    part: str  # subject, body_html or body_text
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.part}, line {self.line}" if self.line else self.part
        return f"{where}: {self.message}"


class TemplateInvalid(ValueError):
    """A template that does not compile or does not render with the kind's sample data."""

    def __init__(self, problems: list[TemplateProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@lru_cache(maxsize=2)
def _environment(autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    return env


@lru_cache(maxsize=1024)
def _compile(source: str, autoescape: bool):
    return _environment(autoescape).from_string(source)


def _render(source: str, variables: dict, *, autoescape: bool) -> str:
    return _compile(source, autoescape).render(**variables)


def template_for(*, kind: str, language: str) -> dict[str, str]:
    """The merchant's template for the kind and language, else the default (in that language, else English)."""
    from notifications.models import MessageTemplate

    row = MessageTemplate.objects.filter(kind=kind, language=language).values(*PARTS).first()
    if row:
        return row
    return default_template(kind, language if language in LANGUAGES else DEFAULT_LANGUAGE)


def branding(store) -> dict:
    """The store's name and accent colour (the storefront widget's, the store's own brand colour) as templates
    see them (`store.*`). One query; call it inside the store's schema."""
    from backorder.models import WidgetAppearance

    accent = WidgetAppearance.objects.filter(pk=1).values_list("accent_color", flat=True).first() or DEFAULT_ACCENT
    return {
        "name": getattr(store, "name", "") or "",
        "accent_color": accent if _HEX_COLOUR.match(accent) else DEFAULT_ACCENT,
    }


def render_message(
    *, kind: str, language: str, context: dict, store, template: dict | None = None, brand: dict | None = None
) -> RenderedMessage:
    """Render one e-mail: subject, HTML (in the store's layout) and plain text.

    `context` holds the kind's variables (notifications/variables.py builds them); `store` gives the branding
    (or `brand`, when the caller already has it). `template` (subject/body_html/body_text) overrides the
    stored or default one (previews of unsaved edits).
    """
    spec = kinds.get(kind)
    if brand is None:
        brand = branding(store) if store is not None else {}
    variables = {**context, "store": {"accent_color": DEFAULT_ACCENT, **(context.get("store") or {}), **brand}}
    template = template or template_for(kind=kind, language=language)
    subject = " ".join(_render(template["subject"], variables, autoescape=False).split())
    inner = _render(template["body_html"], variables, autoescape=True)
    text = _render(template["body_text"], variables, autoescape=False).strip() + "\n"
    html = _render(
        _LAYOUT,
        {"subject": subject, "content": Markup(inner), "store": variables["store"], "language": language or "en",
         "unsubscribe_url": variables.get("unsubscribe_url", "") if spec.unsubscribe_scope else "",
         "unsubscribe_label": _UNSUBSCRIBE_LABEL.get(language, _UNSUBSCRIBE_LABEL["en"])},
        autoescape=True,
    )  # fmt: skip
    if spec.unsubscribe_scope and variables.get("unsubscribe_url"):
        label = _UNSUBSCRIBE_LABEL.get(language, _UNSUBSCRIBE_LABEL["en"])
        text += f"\n--\n{label}: {variables['unsubscribe_url']}\n"
    return RenderedMessage(subject=subject, html=html, text=text)


def template_validate(*, kind: str, subject: str, body_html: str, body_text: str) -> None:
    """Refuse a template that would fail when sent: a syntax error (with its line), a variable the kind does
    not have, or anything the sandbox refuses; checked by compiling and rendering with the kind's sample data.
    Raises TemplateInvalid listing every part at fault."""
    spec = kinds.get(kind)
    problems: list[TemplateProblem] = []
    for part, source, autoescape in (("subject", subject, False), ("body_html", body_html, True),
                                     ("body_text", body_text, False)):  # fmt: skip
        if not (source or "").strip():
            problems.append(TemplateProblem(part, None, "must not be empty."))
            continue
        try:
            template = _environment(autoescape).from_string(source)
        except TemplateSyntaxError as exc:
            problems.append(TemplateProblem(part, exc.lineno, exc.message or "syntax error"))
            continue
        try:
            template.render(**spec.sample)
        except (UndefinedError, SecurityError, TemplateError, TypeError, ValueError, ArithmeticError) as exc:
            problems.append(TemplateProblem(part, _render_error_line(exc), _render_error_text(exc)))
    if problems:
        raise TemplateInvalid(problems)


def _render_error_line(exc: Exception) -> int | None:
    """The template line a render error happened on (Jinja keeps it in the traceback as `<template>`)."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _render_error_text(exc: Exception) -> str:
    if isinstance(exc, UndefinedError):
        return f"{exc.message} (only the documented variables of this e-mail can be used)."
    if isinstance(exc, SecurityError):
        return f"not allowed: {exc}"
    return f"{type(exc).__name__}: {exc}"


_UNSUBSCRIBE_LABEL = {
    "en": "Unsubscribe from these e-mails",
    "de": "Diese E-Mails abbestellen",
    "fr": "Se désabonner de ces e-mails",
    "es": "Darse de baja de estos correos",
}

_LAYOUT = """<!doctype html>
<html lang="{{ language }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{ subject }}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;font-family:Helvetica,Arial,sans-serif;color:#1f2937">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f4f5">
<tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0"
 style="max-width:600px;width:100%;background:#ffffff;border-radius:6px;overflow:hidden">
<tr><td style="background:{{ store.accent_color }};color:#ffffff;padding:16px 24px;font-size:20px;font-weight:bold">
{{ store.name }}</td></tr>
<tr><td style="padding:24px;font-size:15px;line-height:1.5">
{{ content }}
</td></tr>
{% if unsubscribe_url %}
<tr><td style="padding:12px 24px;font-size:12px;color:#6b7280;border-top:1px solid #e5e7eb">
<a href="{{ unsubscribe_url }}" style="color:#6b7280">{{ unsubscribe_label }}</a></td></tr>
{% endif %}
</table></td></tr></table>
</body></html>
"""
