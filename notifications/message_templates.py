"""The merchant's own e-mail wording: save (refused with the line at fault when broken), reset, preview."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from notifications import kinds
from notifications.defaults import LANGUAGES, default_template
from notifications.models import MessageTemplate
from notifications.rendering import (
    PARTS,
    RenderedMessage,
    TemplateInvalid,
    render_message,
    template_for,
    template_validate,
)


class UnknownTemplate(LookupError):
    """No such kind of e-mail, or a language we have no defaults for."""


def template_check_target(*, kind: str, language: str) -> kinds.Kind:
    try:
        spec = kinds.get(kind)
    except kinds.UnknownKind as exc:
        raise UnknownTemplate(str(exc)) from None
    if language not in LANGUAGES:
        raise UnknownTemplate(f"E-mails come in {', '.join(LANGUAGES)}; not {language!r}.")
    return spec


def _as_validation_error(exc: TemplateInvalid) -> ValidationError:
    fields: dict[str, list[str]] = {}
    for problem in exc.problems:
        where = f"Line {problem.line}: " if problem.line else ""
        fields.setdefault(problem.part, []).append(f"{where}{problem.message}")
    return ValidationError(fields)


@transaction.atomic
def message_template_save(
    *, kind: str, language: str, subject: str, body_html: str, body_text: str, updated_by: str = ""
) -> MessageTemplate:
    """Save the merchant's wording of one e-mail in one language, once it compiles and renders with the
    kind's sample data (a ValidationError names each part at fault and its line otherwise)."""
    template_check_target(kind=kind, language=language)
    try:
        template_validate(kind=kind, subject=subject, body_html=body_html, body_text=body_text)
    except TemplateInvalid as exc:
        raise _as_validation_error(exc) from None
    row, _ = MessageTemplate.objects.update_or_create(
        kind=kind,
        language=language,
        defaults={"subject": subject.strip(), "body_html": body_html, "body_text": body_text,
                  "updated_by": updated_by[:200]},
    )  # fmt: skip
    return row


@transaction.atomic
def message_template_reset(*, kind: str, language: str) -> bool:
    """Back to the default wording. True when there was an edit to drop."""
    template_check_target(kind=kind, language=language)
    deleted, _ = MessageTemplate.objects.filter(kind=kind, language=language).delete()
    return bool(deleted)


def message_template_current(*, kind: str, language: str) -> dict:
    """The wording in use (the merchant's, else the default), and whether it is the merchant's."""
    template_check_target(kind=kind, language=language)
    row = MessageTemplate.objects.filter(kind=kind, language=language).first()
    if row is None:
        return {**default_template(kind, language), "customized": False, "updated_at": None, "updated_by": ""}
    return {**{part: getattr(row, part) for part in PARTS}, "customized": True, "updated_at": row.updated_at,
            "updated_by": row.updated_by}  # fmt: skip


def message_template_preview(*, kind: str, language: str, store, template: dict | None = None) -> RenderedMessage:
    """The e-mail as a shopper (or the merchant) would get it, filled with the kind's sample data: the
    saved wording, or `template` (an unsaved edit, validated first)."""
    spec = template_check_target(kind=kind, language=language)
    if template is not None:
        template = {**template_for(kind=kind, language=language), **template}
        try:
            template_validate(kind=kind, **{part: template[part] for part in PARTS})
        except TemplateInvalid as exc:
            raise _as_validation_error(exc) from None
    return render_message(kind=kind, language=language, context=dict(spec.sample), store=store, template=template)
