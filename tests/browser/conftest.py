"""Fixtures of the browser tests: a real `boxoffice serve` on the embedded default, Debian's
Chromium driven by Playwright (which never downloads a browser here), and fan pages that fail
the test on any console error other than Chromium's note about a 4xx answer.

The server and the browser live for this package only (not the whole session): Playwright's sync
API marks its event loop as running between calls, which the asyncio tests elsewhere must not see.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.browser.support import ADMIN_KEY, HOLD_SECONDS, SECRET_KEY, Api, Pages, Server
from tests.servers import boxoffice_server

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
    """The shell's environment without any BOXOFFICE_* variable, plus what these tests need."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("BOXOFFICE_")}
    env.update(
        BOXOFFICE_DATA_DIR=str(data_dir),
        BOXOFFICE_SECRET_KEY=SECRET_KEY,
        BOXOFFICE_ADMIN_KEY=ADMIN_KEY,
        BOXOFFICE_HOLD_SECONDS=str(HOLD_SECONDS),  # a hold expires inside a test
        BOXOFFICE_QUEUE_MAX_ACTIVE="1",  # one fan shops while the next waits in line
        BOXOFFICE_ADMISSION_INTERVAL_SECONDS="0.2",
        BOXOFFICE_PASSWORD_TIME_COST="1",
        BOXOFFICE_PASSWORD_MEMORY_KIB="64",
        # Every journey signs up its fans from 127.0.0.1 (tests/abuse tests these limits).
        BOXOFFICE_SIGNUP_LIMIT_PER_IP="0",
        BOXOFFICE_LOGIN_LIMIT_PER_IP="0",
        BOXOFFICE_LOG_LEVEL="WARNING",
    )
    return env


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
