"""The storefront widget's weight on a product page: the gzipped size of each file it loads, and the main-thread
time it adds, in Chromium.

Connects a store to a seeded sandbox store (240 products) whose storefront the sandbox serves, installs the
widget's scripts the way the app does at install (Scripts API), and serves the app with gunicorn (2 workers).
Chromium (headless, /usr/bin/chromium) then opens the sandbox's demo product page `--loads` times in each version
of the page, the versions alternating load by load, each load in a fresh context:

- "without": the page without the app's scripts (the sandbox serves it with both scripts switched off, as for a
  store without the app), the baseline;
- "widget": the page as installed (the inline head script, widget.js in the footer);
- "before" (with `--compare-with <checkout>`): the head script and widget.js of another checkout (a `git worktree`
  of an older commit), served by its own gunicorn next to this one, on the same database and store.

Every load is measured the same way and nothing touches the page until its figures are read: after `load`,
`--settle` ms pass (the widget's answer comes well within that), then the renderer's main-thread figures are read
(CDP Performance: TaskDuration, ScriptDuration, LayoutDuration, RecalcStyleDuration: wall time), and only then is
the page inspected (the widget's card, its `backorder:*` measures, long tasks, layout shift). Each round also makes
one traced load per version for TaskCPU, the CPU time of the main thread's tasks (thread time): on a machine whose
cores are shared (here the app server, PostgreSQL and Chromium's other processes run on the same two) a task's
wall time also counts the time the thread waited for a core.
Playwright's selector engine and its polling run on the page's main thread: waiting for the widget's card with
them in one version only counts their work as that version's. The first version of this benchmark did, which was
most of the 174 ms it reported; `--wait-for-card` waits that way again, to show it.

`--lang de` opens the page in German (`?lang=de`): the widget then also loads its German words. `--breakdown`
prints what each part of widget.js costs gzipped, without a browser (each part taken out of the source, the rest
shipped as the server ships it). Run: ./bin/bench widget [--loads 15] [--compare-with /tmp/widget-before]
"""

import argparse
import gzip
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from bench import _django
from bench.tenant_routing import free_port, wait_ready

SANDBOX_STORE = "benchwidget"
# CDP Performance metrics of untraced loads (wall time of the renderer's main-thread work), and TaskCPU: the CPU time
# of its main-thread tasks, from traced loads.
METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")
ALL_METRICS = (*METRICS, "TaskCPU")
# The time covered by the widget's own measures (they nest: start-up includes the first question).
WIDGET_BUSY = """() => {
  const spans = performance.getEntriesByType("measure").filter(m => m.name.startsWith("backorder:"))
    .map(m => [m.startTime, m.startTime + m.duration]).sort((a, b) => a[0] - b[0]);
  let busy = 0, end = -1;
  for (const [from, to] of spans) { if (to > end) { busy += to - Math.max(from, end); end = to; } }
  return busy;
}"""
PAGE_PROBES = """
window.__probe = {shift: 0, longTasks: 0};
new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { window.__probe.shift += e.value; }); })
  .observe({type: "layout-shift", buffered: true});
try {
  new PerformanceObserver(function (l) { window.__probe.longTasks += l.getEntries().length; })
    .observe({type: "longtask", buffered: true});
} catch (e) {}
"""
AFTER_LOAD = """() => ({shown: !!document.querySelector(".bo-card:not([hidden])"), probe: window.__probe,
  widget: !!window.__backorderWidget})"""


def connect_store(*, sandbox, store_hash: str):
    """A store connected to the sandbox store, with the widget script installed and the catalog copied."""
    from django_tenants.utils import schema_context

    from backorder import sync
    from backorder.models import Policy
    from backorder.services.policies import policy_update
    from stores import services
    from stores.bigcommerce import connection as bc_connection
    from stores.bigcommerce.client import BigCommerceClient
    from stores.bigcommerce.sandbox.storefront import storefront_site
    from stores.models import Store

    store = Store.objects.filter(slug="bench-widget").first() or services.store_create(
        name="Bench Widget", slug="bench-widget"
    )
    urls = storefront_site(sandbox, {}, {}, store_hash=store_hash)
    store.bigcommerce_store_hash = store_hash
    store.access_token = sandbox.issue_token(store_hash)
    store.connection = Store.Connection.CONNECTED
    store.save()
    with schema_context(store.schema_name):
        client = BigCommerceClient(store_hash=store_hash, access_token=store.access_token)
        channels = bc_connection.storefront_channels(client=client)
        bc_connection.scripts_install(store=store, client=client, channels=channels)
        store.storefront_origins = bc_connection.storefront_origins(channels)
        store.save(update_fields=["storefront_origins"])
        sync.catalog_sync_run(sync=sync.catalog_sync_start(), client=client)
        policy_update(policy=Policy.objects.get(scope="store"), data={"enabled": True, "lead_time_days": 14})
    return store, urls


def gzipped_size(url: str) -> tuple[int, int]:
    """(gzipped, raw) bytes of what the app sends for `url`."""
    response = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    response.raise_for_status()
    compressed = response.raw.read(decode_content=False)
    assert response.headers.get("Content-Encoding") == "gzip", response.headers
    return len(compressed), len(gzip.decompress(compressed))


def _gz(text: str) -> int:
    return len(gzip.compress(text.encode(), compresslevel=6, mtime=0))  # as Django's gzip_page


# -- the versions of the page ----------------------------------------------------------------------------------


class Versions:
    """Switches the sandbox store's scripts between the versions of the page (the sandbox runs in this process)."""

    def __init__(self, sandbox, store_hash: str) -> None:
        self.sandbox, self.store_hash = sandbox, store_hash
        with sandbox.state.lock:
            scripts = list(sandbox.state.store(store_hash).scripts.values())
        self.installed = {id(script): dict(script) for script in scripts}
        self.before: dict[str, str] = {}  # location -> the other checkout's src or html

    def use(self, version: str) -> None:
        with self.sandbox.state.lock:
            for script in self.sandbox.state.store(self.store_hash).scripts.values():
                script.update(self.installed[id(script)])
                script["enabled"] = version != "without"
                if version == "before":
                    key = "src" if script["kind"] == "src" else "html"
                    script[key] = self.before[script["location"]]


def start_app(port: int, env: dict, cwd: str | None = None) -> subprocess.Popen:
    """gunicorn (2 sync workers) serving the app of this checkout, or of `cwd`."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, cwd=cwd, start_new_session=True,
    )  # fmt: skip


def head_script_of(checkout: str, env: dict) -> str:
    """The inline head script as another checkout ships it."""
    code = "import django; django.setup(); from backorder.storefront_widget import space_script_html as s; print(s())"
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "-c", code], cwd=checkout, env=env, capture_output=True, text=True)
    done.check_returncode()
    return done.stdout.strip()


def task_cpu_ms(trace: bytes) -> float:
    """CPU time of the page renderer's main-thread tasks in a trace (`toplevel`: one event per task, with its
    thread time): unlike the tasks' wall time, it does not grow when other processes take the cores."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    # Page renderers only: headless Chromium also runs a "WebUI Top Renderer" of its own, sometimes busy.
    renderers = {e["pid"] for e in events if e.get("ph") == "M" and e["name"] == "process_name"
                 and e["args"].get("name") == "Renderer"}  # fmt: skip
    mains = {(e["pid"], e["tid"]) for e in events if e.get("ph") == "M" and e["name"] == "thread_name"
             and e["args"].get("name") == "CrRendererMain" and e["pid"] in renderers}  # fmt: skip
    cpu: dict[tuple, float] = {}
    for e in events:
        if e.get("ph") == "X" and e.get("name") == "ThreadControllerImpl::RunTask" and (e["pid"], e["tid"]) in mains:
            cpu[e["pid"], e["tid"]] = cpu.get((e["pid"], e["tid"]), 0) + e.get("tdur", 0) / 1000
    return max(cpu.values(), default=0)  # the page's renderer is the busy one


def load_page(browser, url: str, *, settle_ms: int, trace: bool = False, wait_for_card: bool = False) -> dict:
    """One load in a fresh context: the main-thread figures, read before anything touches the page; with
    `trace`, its main-thread CPU time instead (tracing costs the browser CPU, which the wall times would count)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(PAGE_PROBES)
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    if trace:
        browser.start_tracing(page=page, categories=["toplevel"])
    page.goto(url, wait_until="load")
    if wait_for_card:
        page.wait_for_selector(".bo-card:not([hidden])", timeout=5000)
    page.wait_for_timeout(settle_ms)  # nothing runs in the page meanwhile but the page itself
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    if trace:
        metrics = {"TaskCPU": task_cpu_ms(browser.stop_tracing()) / 1000}
    after = page.evaluate(AFTER_LOAD)
    widget_ms = page.evaluate(WIDGET_BUSY)
    context.close()
    return {
        **{name: metrics[name] * 1000 for name in ALL_METRICS if name in metrics},
        "widget_measures_ms": widget_ms,
        "shown": after["shown"],
        "widget": after["widget"],
        "long_tasks": after["probe"]["longTasks"],
        "layout_shift": after["probe"]["shift"],
        "requests": [address.split("?")[0].rsplit("/", 1)[-1] for address in asked[1:]],
    }


# -- what each part of widget.js costs ---------------------------------------------------------------------------

# Each part: where it starts in backorder/assets/widget.js (a function, or a statement with one block). A part is
# taken out of the source (up to its block's closing brace and the `);` after it) and the rest shipped as the
# server ships it; the part's cost is what the gzipped script loses. Parts nest: "of which" lines are inside the
# line above them.
PARTS = [
    ("styles (one <style>, the store's colours)", ["function style("]),
    ("product page: all of it", ["function productPage("]),
    ("  of which notify-me", ["function notifyRow("]),
    ("  of which alternatives", ["function alternativesRow("]),
    ("  of which the button's label (width kept, <input> swap)", ["function label("]),
    ("cart page: all of it (labels, ships-by date, redraws)", ["function cartPage("]),
    ("  of which the shipping choice", ["function choice("]),
    ("  of which following the theme's redraws", ["if (w.MutationObserver)", "function ours(", "function own("]),
    ("room kept without a theme slot (own box, giving back)", ["function ownBox(", "function settler("]),
    ("requests (timeout, CORS-simple, waiting for words)", ["function call(", "function ask("]),
    ("words in another language (its file asked for)", ["function loadWords("]),
    ("main-thread measures (timed)", ["function timed("]),
]


def _cut(code: str, start: str) -> str | None:
    at = code.find(start)
    if at < 0:
        return None
    depth, index = 0, code.index("{", at)
    # Braces in this source's strings and regular expressions come in pairs, so plain counting finds the block.
    while True:
        depth += {"{": 1, "}": -1}.get(code[index], 0)
        index += 1
        if depth == 0:
            break
    while index < len(code) and code[index] in ");":
        index += 1
    return code[:at] + code[index:]


def breakdown() -> dict:
    """Gzipped cost of each part of widget.js as served to the bench store (this checkout's code and config)."""
    from django_tenants.utils import schema_context

    from backorder import storefront_widget as shipped
    from backorder.selectors_storefront import widget_config
    from stores.models import Store

    store = Store.objects.get(slug="bench-widget")
    with schema_context(store.schema_name):
        config = widget_config(store=store)
    to_json = getattr(shipped, "_json", None) or shipped._config_js
    # How this checkout ships a source file (minified, or comment lines dropped in older checkouts).
    ship = getattr(shipped, "_minified", None) or shipped._shipped
    source = shipped.SOURCE.read_text(encoding="utf-8")

    def size(code_source: str, cfg: dict) -> int:
        with tempfile.NamedTemporaryFile("w", suffix=".js", encoding="utf-8") as file:
            file.write(code_source)
            file.flush()
            code = ship(Path(file.name))
        return _gz(code.replace(shipped.PLACEHOLDER, to_json(cfg)))

    total = size(source, config)
    parts = {}
    for name, starts in PARTS:
        cut = source
        for start in starts:  # what an older checkout does not have is left out
            cut = _cut(cut, start) or cut
        parts[name] = total - size(cut, config) if cut != source else None
    strings = config["strings"]
    per_language = all(isinstance(value, dict) for value in strings.values())
    if per_language:  # every language's words in the script (before they came in files)
        own = {config["language"]: strings[config["language"]]}
        parts["words: the store's language"] = size(source, {**config, "strings": own}) - size(
            source, {**config, "strings": {}}
        )
        parts["words: the other languages"] = total - size(source, {**config, "strings": own})
    else:
        parts["words: the store's language"] = total - size(source, {**config, "strings": {}})
    parts["configuration (API, colours, labels, switches)"] = total - size(source, {"strings": strings})
    return {"total_gzipped": total, "parts_gzipped": parts}


# -- the run ------------------------------------------------------------------------------------------------------


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=15)
    parser.add_argument("--settle", type=int, default=1500, help="ms after load before the figures are read")
    parser.add_argument("--lang", default="", help="the page's language (the sandbox's ?lang=)")
    parser.add_argument("--compare-with", default="", help="another checkout whose widget is measured alongside")
    parser.add_argument("--breakdown", action="store_true", help="what each part of widget.js costs, gzipped")
    parser.add_argument(
        "--wait-for-card",
        action="store_true",
        help="wait for the card with Playwright in the widget's loads (the first version's way)",
    )
    args = parser.parse_args()
    app_port, before_port = free_port(), free_port()
    app_url, before_url = f"http://localhost:{app_port}", f"http://localhost:{before_port}"
    os.environ["APP_BASE_URL"] = app_url  # the widget script's address, as the app registers it
    _django.setup()
    from django.conf import settings
    from django.db import connection
    from playwright.sync_api import sync_playwright

    from backorder.selectors_storefront import widget_appearance_get, widget_languages
    from stores.bigcommerce.sandbox import SandboxServer

    sandbox = SandboxServer(client_id=settings.BIGCOMMERCE_CLIENT_ID, client_secret=settings.BIGCOMMERCE_CLIENT_SECRET,
                            app_base_url=app_url)  # fmt: skip
    sandbox.start()
    settings.BIGCOMMERCE_API_URL = settings.BIGCOMMERCE_LOGIN_URL = sandbox.base_url
    sandbox.create_store(SANDBOX_STORE, name="Bench Widget Shop", seed=42)
    store, urls = connect_store(sandbox=sandbox, store_hash=SANDBOX_STORE)
    if args.breakdown:
        sandbox.stop()
        result = breakdown()
        print(json.dumps(result, indent=2))
        return result
    from django_tenants.utils import schema_context

    with schema_context(store.schema_name):
        languages, own_language = widget_languages(widget_appearance_get(), store.language)
    connection.close()
    env = {**os.environ, "APP_BASE_URL": app_url, "BIGCOMMERCE_API_URL": sandbox.base_url,
           "BIGCOMMERCE_LOGIN_URL": sandbox.base_url, "CONN_MAX_AGE": "600"}  # fmt: skip
    servers = [start_app(app_port, env)]
    versions = Versions(sandbox, SANDBOX_STORE)
    names = ["without", "widget"]
    if args.compare_with:
        checkout = str(Path(args.compare_with).resolve())
        servers.append(start_app(before_port, {**env, "APP_BASE_URL": before_url}, cwd=checkout))
        versions.before = {"footer": f"{before_url}/storefront/{store.public_key}/widget.js",
                           "head": head_script_of(checkout, env)}  # fmt: skip
        names.append("before")
    page_url = urls["product_url"] + (f"?lang={args.lang}" if args.lang else "")
    files: dict[str, dict] = {}
    try:
        wait_ready(app_port, "localhost")
        size, raw_size = gzipped_size(f"{app_url}/storefront/{store.public_key}/widget.js")
        files["widget.js"] = {"gzipped": size, "bytes": raw_size}
        for language in languages:
            if language != own_language:
                gz, raw = gzipped_size(f"{app_url}/storefront/{store.public_key}/widget-{language}.json")
                files[f"widget-{language}.json (a page in {language} only)"] = {"gzipped": gz, "bytes": raw}
        from backorder.storefront_widget import space_script_html

        head = space_script_html()
        files["head script (inline in the page)"] = {"gzipped": _gz(head), "bytes": len(head.encode())}
        if args.compare_with:
            wait_ready(before_port, "localhost")
            gz, raw = gzipped_size(versions.before["footer"])
            files["before: widget.js"] = {"gzipped": gz, "bytes": raw}
        runs: dict[str, list[dict]] = {name: [] for name in names}
        traced: dict[str, list[dict]] = {name: [] for name in names}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--disable-gpu", "--no-first-run"],
            )  # fmt: skip
            for name in names:  # warm the servers, the sandbox and the caches
                versions.use(name)
                load_page(browser, page_url, settle_ms=300)
            for load in range(args.loads):
                for name in names[load % len(names) :] + names[: load % len(names)]:  # a different order each time
                    versions.use(name)
                    wait = args.wait_for_card and name != "without"
                    runs[name].append(load_page(browser, page_url, settle_ms=args.settle, wait_for_card=wait))
                    traced[name].append(load_page(browser, page_url, settle_ms=args.settle, trace=True,
                                                  wait_for_card=wait))  # fmt: skip
            browser.close()
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        sandbox.stop()

    def median(version: str, key: str) -> float:
        loads = traced[version] if key == "TaskCPU" else runs[version]
        return round(statistics.median(run[key] for run in loads), 2)

    with_widget = [name for name in names if name != "without"]
    for name in with_widget:
        missing = sum(1 for run in runs[name] + traced[name] if not run["shown"])
        assert not missing, f"{name}: the widget showed nothing in {missing} loads (raise --settle)"
    assert not any(run["widget"] for run in runs["without"]), "the page without the app ran the widget"
    main_thread = {}
    for metric in ALL_METRICS:
        figures = {"with_widget": median("widget", metric), "without": median("without", metric)}
        figures["difference"] = round(figures["with_widget"] - figures["without"], 2)
        if "before" in runs:
            figures["before"] = median("before", metric)
            figures["before_difference"] = round(figures["before"] - figures["without"], 2)
        main_thread[metric] = figures
    result = {
        "page": page_url,
        "loads": args.loads,
        "settle_ms": args.settle,
        "waited_for_card_with_playwright": args.wait_for_card,
        "widget_js_bytes": raw_size,
        "widget_js_gzipped_bytes": size,
        "files": files,
        "requests_per_load": {name: runs[name][0]["requests"] for name in names},
        "widget_own_measures_ms_median": median("widget", "widget_measures_ms"),
        "main_thread_ms_median": main_thread,
        "long_tasks_max": {name: max(run["long_tasks"] for run in runs[name]) for name in names},
        "layout_shift": max(run["layout_shift"] for run in runs["widget"]),  # the worst load
    }
    if "before" in runs:
        result["before_widget_own_measures_ms_median"] = median("before", "widget_measures_ms")
        result["before_layout_shift"] = max(run["layout_shift"] for run in runs["before"])
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
