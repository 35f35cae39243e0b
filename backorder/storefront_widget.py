"""The storefront widget script (`GET /storefront/<public_key>/widget.js`), the Scripts API `src`, and the
small head script that keeps the widget's room before the first paint (an inline Scripts API `script_tag`).

One file per store: the code in backorder/assets/widget.js with the store's configuration (API address,
colours, labels, switches, texts) filled in, so the widget needs no request before its first question.
It is cacheable (ETag, a few minutes' max-age, a long stale-while-revalidate) and gzipped on the way out.
The head script (backorder/assets/widget_space.js) is the same for every store and travels inside the page.
"""

import hashlib
import json
import re
from functools import cache
from pathlib import Path

from django.http import HttpResponse, HttpResponseNotModified
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

from backorder.selectors_storefront import widget_config

SOURCE = Path(__file__).resolve().parent / "assets" / "widget.js"
SPACE_SOURCE = Path(__file__).resolve().parent / "assets" / "widget_space.js"
PLACEHOLDER = "__BACKORDER_CONFIG__"
# Appearance changes reach shoppers within five minutes; a stale copy may be used for a day while the
# browser revalidates in the background (the script works with any configuration it was given).
CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"


def _shipped(source: Path) -> str:
    """Code as shipped: comment lines, indentation and blank lines dropped (the sources keep no multi-line
    strings, so this is safe)."""
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("//", "/*", "*")):
            lines.append(stripped)
    return "\n".join(lines) + "\n"


@cache
def widget_code() -> str:
    """The widget's code as shipped, read once per process."""
    code = _shipped(SOURCE)
    if code.count(PLACEHOLDER) != 1:
        raise RuntimeError(f"{SOURCE} must contain {PLACEHOLDER} exactly once")
    return code


@cache
def space_script_html() -> str:
    """The head script as the Scripts API takes it (`kind: script_tag`): exactly one inline <script>, the
    same for every store. It runs before the first paint and reserves the widget's room on a theme that
    has no `[data-backorder-slot]`; the widget then writes into that room."""
    code = _shipped(SPACE_SOURCE)
    if "</" in code or "<!--" in code:
        raise RuntimeError(f"{SPACE_SOURCE} must not contain '</' or '<!--' (it is inlined in a <script>)")
    return f"<script>{code.strip()}</script>"


def _config_js(config: dict) -> str:
    # JSON is a JavaScript expression (UTF-8, like the response); "<" is escaped so the text can never close
    # a <script> element, and the two line separators that old JavaScript engines refuse in strings.
    text = json.dumps(config, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return re.sub("[<\u2028\u2029]", lambda found: f"\\u{ord(found[0]):04x}", text)


def widget_script(*, store) -> str:
    """The script a store's storefront loads, configuration included."""
    return widget_code().replace(PLACEHOLDER, _config_js(widget_config(store=store)))


def _etag_matches(header: str, etag: str) -> bool:
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in wanted or "*" in wanted


@require_safe
@gzip_page
def widget_js(request, public_key: str) -> HttpResponse:
    """The store's widget (an unknown or inactive key never gets here: the middleware answers 404)."""
    body = widget_script(store=request.tenant)
    etag = '"' + hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest()[:20] + '"'
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response
