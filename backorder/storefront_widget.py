"""The storefront widget script (`GET /storefront/<public_key>/widget.js`), the Scripts API `src`, its language
files (`GET /storefront/<public_key>/widget-<language>.json`), and the small head script that keeps the
widget's room before the first paint (an inline Scripts API `script_tag`).

One file per store: the code in backorder/assets/widget.js with the store's configuration (API address,
colours, labels, switches, its words in the store's language) filled in, so the widget needs no request
before its first question. A page in another language the store enabled asks for that language's words once,
alongside its first question (the widget stays within 5 KB gzipped with four languages enabled).
Both are cacheable (ETag, a few minutes' max-age, a long stale-while-revalidate) and gzipped once per content
(without the random padding Django's GZipMiddleware adds against BREACH: they hold no secret and echo nothing a
request sent, so the padding would only cost every shopper up to 100 bytes and make the size vary).
The head script (backorder/assets/widget_space.js) is the same for every store and travels inside the page.
"""

import gzip
import hashlib
import json
import re
from functools import cache, lru_cache
from pathlib import Path

from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from backorder.selectors_storefront import widget_appearance_get, widget_config, widget_languages, widget_strings

SOURCE = Path(__file__).resolve().parent / "assets" / "widget.js"
SPACE_SOURCE = Path(__file__).resolve().parent / "assets" / "widget_space.js"
PLACEHOLDER = "__BACKORDER_CONFIG__"
# Appearance changes reach shoppers within five minutes; a stale copy may be used for a day while the
# browser revalidates in the background (the script works with any configuration it was given).
CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"


def _shipped(source: Path) -> str:
    """The head script's code as shipped: comment lines, indentation and blank lines dropped (the source keeps
    no multi-line strings, so this is safe). Stores compare it with what they registered: a change of this
    text means a new head script on every store at its next check."""
    lines = []
    for line in source.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("//", "/*", "*")):
            lines.append(stripped)
    return "\n".join(lines) + "\n"


def _minified(source: Path) -> str:
    """Code as shipped to every shopper: comments and whitespace dropped and local names shortened by an ES5
    parser (calmjs.parse), so the source keeps its readable names (about 15 % less gzipped than line
    stripping). Global names stay: the configuration placeholder and the page's own globals."""
    from calmjs.parse import es5
    from calmjs.parse.unparsers.es5 import minify_print

    tree = es5(source.read_text(encoding="utf-8"))
    return minify_print(tree, obfuscate=True, obfuscate_globals=False, drop_semi=True) + "\n"


@cache
def widget_code() -> str:
    """The widget's code as shipped, minified once per process (a few hundred milliseconds, on the first
    request for widget.js)."""
    code = _minified(SOURCE)
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


def _json(value: dict) -> str:
    # JSON is a JavaScript expression (UTF-8, like the response); "<" is escaped so the text can never close
    # a <script> element, and the two line separators that old JavaScript engines refuse in strings.
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return re.sub("[<\u2028\u2029]", lambda found: f"\\u{ord(found[0]):04x}", text)


def widget_script(*, store) -> str:
    """The script a store's storefront loads, configuration included."""
    return widget_code().replace(PLACEHOLDER, _json(widget_config(store=store)))


def _etag_matches(header: str, etag: str) -> bool:
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in wanted or "*" in wanted


ACCEPTS_GZIP = re.compile(r"\bgzip\b")


@lru_cache(maxsize=256)
def _gzipped(body: str) -> bytes:
    return gzip.compress(body.encode(), compresslevel=9, mtime=0)


def _cacheable(request, body: str, content_type: str) -> HttpResponse:
    """`body` with an ETag (weak when gzipped, as Django's GZipMiddleware marks it) and the widget's caching."""
    etag = '"' + hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest()[:20] + '"'
    zipped = bool(ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponseNotModified()
    elif zipped:
        response = HttpResponse(_gzipped(body), content_type=content_type)
        response["Content-Encoding"] = "gzip"
        response["Content-Length"] = str(len(response.content))
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = f"W/{etag}" if zipped else etag
    response["Cache-Control"] = CACHE_CONTROL
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


@require_safe
def widget_js(request, public_key: str) -> HttpResponse:
    """The store's widget (an unknown or inactive key never gets here: the middleware answers 404)."""
    return _cacheable(request, widget_script(store=request.tenant), "text/javascript; charset=utf-8")


def widget_language_strings(*, store, language: str) -> dict[str, str] | None:
    """The widget's words in `language`, or None when the store's widget does not speak it."""
    appearance = widget_appearance_get(cached=True)
    languages, _ = widget_languages(appearance, store.language)
    return widget_strings(appearance, language) if language in languages else None


@require_safe
def widget_language_json(request, public_key: str, language: str) -> HttpResponse:
    """The widget's words in another language the store enabled, for a storefront page in that language (the
    store's own language is in widget.js). Read with the storefront's CORS, cacheable like the widget."""
    strings = widget_language_strings(store=request.tenant, language=language)
    if strings is None:
        message = f"The widget does not speak {language!r} in this store."
        return JsonResponse({"error": "not_found", "message": message}, status=404)
    return _cacheable(request, _json(strings), "application/json")
