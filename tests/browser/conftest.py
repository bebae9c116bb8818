"""Fixtures of the browser tests: a real `boxoffice serve` on the embedded default, Debian's
Chromium driven by Playwright (which never downloads a browser here), and fan pages that fail
the test on any console error other than Chromium's note about a 4xx answer.

The server and the browser live for this package only (not the whole session): Playwright's sync
API marks its event loop as running between calls, which the asyncio tests elsewhere must not see.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.browser.support import ADMIN_KEY, HOLD_SECONDS, SECRET_KEY, Api, Pages, Server
from tests.servers import boxoffice_server, server_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

expect.set_options(timeout=5_000)


def _server_env(data_dir: Path) -> dict[str, str]:
    """What these tests need of the server, beside what every test server has."""
    return server_env(
        data_dir,
        secret_key=SECRET_KEY,
        admin_key=ADMIN_KEY,
        hold_seconds=str(HOLD_SECONDS),  # a hold expires inside a test
        queue_max_active="1",  # one fan shops while the next waits in line
        admission_interval_seconds="0.2",
    )


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`boxoffice migrate` and `demo`, then `boxoffice serve` on a free port until the end."""
    root = tmp_path_factory.mktemp("boxoffice-browser")
    log = root / "server.log"
    with boxoffice_server(_server_env(root / "data"), log, ("migrate", "demo")) as url:
        yield Server(url=url, log=log)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; Playwright is never asked to fetch a browser of its own."""
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def api(server: Server) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.close()


@pytest.fixture
def pages(browser: Browser, server: Server, api: Api) -> Iterator[Pages]:
    opened = Pages(browser, server, api)
    try:
        yield opened
    finally:
        opened.close()
    assert not opened.problems, "\n".join(opened.problems)
