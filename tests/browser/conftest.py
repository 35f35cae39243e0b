"""Browser fixtures for any end-to-end test: Debian's Chromium driven by Playwright.

- `browser` (session): headless Chromium from /usr/bin/chromium (`CHROMIUM_PATH` overrides). When Playwright
  or Chromium is missing the tests are skipped with the reason, except in CI (`CI` set), where they fail:
  a build must never pass without having run them. `bin/test` installs Chromium when it can.
- `page`: a fresh browser context (its own cookies and cache) and page. The test fails if the page logs a
  console error or throws, unless the test listed the message in `console_errors_expected` (regexes), e.g.
  the network error it provokes on purpose.
- `layout_shift(page)`: the sum of every layout shift the page has had (observed from before its first
  paint, whether or not a user input came just before).
"""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-gpu", "--no-first-run",
]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 900}

# Runs in every page before its own scripts: collects layout shifts from the first frame on.
LAYOUT_SHIFT_OBSERVER = """
window.__layoutShifts = [];
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (entry) {
      window.__layoutShifts.push({value: entry.value, hadRecentInput: entry.hadRecentInput,
        sources: (entry.sources || []).map(function (s) {
          return {node: s.node ? (s.node.outerHTML || s.node.textContent || "").slice(0, 120) : null,
                  from: s.previousRect.toJSON(), to: s.currentRect.toJSON()};
        })});
    });
  }).observe({type: "layout-shift", buffered: true});
} catch (e) {}
"""


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: browser tests must run in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -r requirements-dev.txt)")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"Chromium is not installed at {CHROMIUM} (bin/test installs it: apt-get install chromium)")
    # Playwright's sync API keeps an event loop in this thread; Django would take every ORM call of the test
    # itself for one made from async code. The test's own calls are plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def console_errors_expected() -> list[str]:
    """Regexes of console errors this test causes on purpose (append to it in the test)."""
    return []


@pytest.fixture
def page(browser, console_errors_expected):
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.add_init_script(LAYOUT_SHIFT_OBSERVER)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(
        f"console error: {message.text} ({message.location.get('url', '')})"))  # fmt: skip
    page.on("pageerror", lambda error: problems.append(f"uncaught error: {error}"))
    yield page
    context.close()
    unexpected = [p for p in problems if not any(re.search(pattern, p) for pattern in console_errors_expected)]
    if unexpected:
        pytest.fail("The page reported errors:\n" + "\n".join(unexpected), pytrace=False)


def layout_shift(page) -> float:
    """Total layout shift so far, counting shifts right after input too (stricter than CLS)."""
    return page.evaluate("window.__layoutShifts.reduce(function (sum, e) { return sum + e.value; }, 0)")


def layout_shifts(page) -> list[dict]:
    return page.evaluate("window.__layoutShifts")


SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def screenshot_settled(page, name: str) -> None:
    """Save the whole page as artifacts/screenshots/<name>.png once its requests have settled."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
