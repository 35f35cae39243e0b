"""The storefront widget's weight on a product page: gzipped size and main-thread time, in Chromium.

Connects a store to a seeded sandbox store (240 products) whose storefront the sandbox serves, installs the
widget script the way the app does at install (Scripts API), and serves the app with gunicorn (2 workers).
Chromium (headless, /usr/bin/chromium) then opens the sandbox's demo product page `--loads` times with the
widget and as many times without it, each load in a fresh context, and reports medians of:

- the widget's own `backorder:*` performance measures (its JavaScript: start-up, the answer, rendering),
- the difference in the renderer's main-thread time with and without the widget (CDP Performance metrics:
  TaskDuration, ScriptDuration, LayoutDuration, RecalcStyleDuration), which also counts style and layout,
- long tasks (> 50 ms) and layout shift with the widget.
"Without the widget" is the page without both of the app's scripts: widget.js is blocked and the inline head
script (widget_space.js, which reserves the widget's room) is taken out of the page's HTML, which this
process fetches and hands to Chromium (a fulfilled document does not run the widget in Chromium, so the
"with" side is not intercepted). What is compared is renderer main-thread time, which does not depend on
how the document's bytes arrived.
Run: ./bin/bench widget [--loads 15]
"""

import argparse
import json
import os
import signal
import statistics
from urllib.parse import urlsplit

import requests

from bench import _django
from bench.tenant_routing import free_port, start_server, wait_ready

SANDBOX_STORE = "benchwidget"
METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")
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
    response = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    compressed = response.raw.read(decode_content=False)
    assert response.headers.get("Content-Encoding") == "gzip", response.headers
    import gzip

    return len(compressed), len(gzip.decompress(compressed))


def serve_page(route, *, without_head_script: bool) -> None:
    """The storefront page as the sandbox served it, or without the app's inline head script."""
    from backorder.storefront_widget import space_script_html

    # Fetched here rather than by Playwright's route.fetch(): its driver cannot resolve *.localhost hosts
    # (Chromium resolves them itself), so the page is asked for on 127.0.0.1 with the store's Host header.
    parts = urlsplit(route.request.url)
    response = requests.get(f"http://127.0.0.1:{parts.port}{parts.path}?{parts.query}", timeout=10,
                            headers={"Host": parts.netloc}, allow_redirects=False)  # fmt: skip
    html = response.text
    if without_head_script:
        assert space_script_html() in html, "the page carries no head script to take out"
        html = html.replace(space_script_html(), "")
    content_type = response.headers.get("Content-Type", "text/html; charset=utf-8")
    route.fulfill(status=response.status_code, body=html, headers={"Content-Type": content_type})


def load_page(browser, url: str, *, block_widget: bool) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(PAGE_PROBES)
    page = context.new_page()
    if block_widget:
        page.route(url, lambda route: serve_page(route, without_head_script=True))
        page.route("**/widget.js", lambda route: route.abort())
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(url, wait_until="load")
    if block_widget:
        page.wait_for_timeout(300)
    else:
        page.wait_for_selector(".bo-card:not([hidden])", timeout=5000)
        page.wait_for_timeout(300)  # alternatives and the label's second frame
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    widget_ms = page.evaluate(WIDGET_BUSY)
    probe = page.evaluate("window.__probe")
    context.close()
    return {
        **{name: metrics.get(name, 0) * 1000 for name in METRICS},
        "widget_measures_ms": widget_ms,
        "long_tasks": probe["longTasks"],
        "layout_shift": probe["shift"],
    }


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=15)
    args = parser.parse_args()
    app_port = free_port()
    app_url = f"http://localhost:{app_port}"
    os.environ["APP_BASE_URL"] = app_url  # the widget script's address, as the app registers it
    _django.setup()
    from django.conf import settings
    from django.db import connection
    from playwright.sync_api import sync_playwright

    from stores.bigcommerce.sandbox import SandboxServer

    sandbox = SandboxServer(client_id=settings.BIGCOMMERCE_CLIENT_ID, client_secret=settings.BIGCOMMERCE_CLIENT_SECRET,
                            app_base_url=app_url)  # fmt: skip
    sandbox.start()
    settings.BIGCOMMERCE_API_URL = settings.BIGCOMMERCE_LOGIN_URL = sandbox.base_url
    sandbox.create_store(SANDBOX_STORE, name="Bench Widget Shop", seed=42)
    store, urls = connect_store(sandbox=sandbox, store_hash=SANDBOX_STORE)
    connection.close()
    env = {**os.environ, "APP_BASE_URL": app_url, "BIGCOMMERCE_API_URL": sandbox.base_url,
           "BIGCOMMERCE_LOGIN_URL": sandbox.base_url, "CONN_MAX_AGE": "600"}  # fmt: skip
    server = start_server(app_port, "config.settings", env)
    try:
        wait_ready(app_port, "localhost")
        size, raw_size = gzipped_size(f"{app_url}/storefront/{store.public_key}/widget.js")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                args=["--headless", "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--disable-gpu", "--no-first-run"],
            )  # fmt: skip
            load_page(browser, urls["product_url"], block_widget=False)  # warm the app, the sandbox and caches
            with_widget, without = [], []
            for _ in range(args.loads):
                with_widget.append(load_page(browser, urls["product_url"], block_widget=False))
                without.append(load_page(browser, urls["product_url"], block_widget=True))
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        sandbox.stop()

    def median(runs: list[dict], key: str) -> float:
        return round(statistics.median(run[key] for run in runs), 2)

    result = {
        "page": urls["product_url"],
        "loads": args.loads,
        "widget_js_bytes": raw_size,
        "widget_js_gzipped_bytes": size,
        "widget_own_measures_ms_median": median(with_widget, "widget_measures_ms"),
        "main_thread_ms_median": {
            name: {
                "with_widget": median(with_widget, name),
                "without": median(without, name),
                "difference": round(median(with_widget, name) - median(without, name), 2),
            }
            for name in METRICS
        },  # fmt: skip
        "long_tasks_max": {
            "with_widget": max(run["long_tasks"] for run in with_widget),
            "without": max(run["long_tasks"] for run in without),
        },  # fmt: skip
        "layout_shift": max(run["layout_shift"] for run in with_widget),  # the worst load
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
