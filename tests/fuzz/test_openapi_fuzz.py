"""Property-based requests from the served OpenAPI document (schemathesis) to a served instance.

Every operation gets valid and invalid requests generated from its own entry in
`/openapi.json`, sent with working credentials: a fresh account's bearer token, a fresh ACTIVE
queue pass on the routes that read one, and the admin key. The checks: no answer is a 5xx, and
every answer is one the document gives for that operation: its status, its content type, its
body's schema (errors included: problem+json, with a code listed for that status) and headers.

Derandomized (Hypothesis's `derandomize`), so a run is the same every time; on the embedded
default and on PostgreSQL + Redis, as the rest of the suite (`BOXOFFICE_TEST_*`). About 30 s a
backend here (30 examples an operation and mode, ~10 s of it starting the instance).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from boxoffice.app import create_app
from boxoffice.settings import Settings
from tests.conftest import ADMIN_KEY, PASSWORD, SECRET_KEY, TEST_DATABASE_URL, TEST_REDIS_URL
from tests.servers import drop_room, served, server_env

# Requests per operation and generation mode (valid, invalid); 25 operations.
EXAMPLES_PER_OPERATION = 30
REQUEST_TIMEOUT_SECONDS = 5.0
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
API = "/api/v1"


def _server_env(data_dir: Path, room: str) -> dict[str, str]:
    """The shell's environment without BOXOFFICE_*, plus a shop that lets the fuzzer in at once:
    limits that would refuse the fuzzer's own set-up requests are off (0), and admission is
    quick; every limit's own 429 stays documented and checked where a request meets it."""
    env = server_env(
        data_dir,
        secret_key=SECRET_KEY,
        admin_key=ADMIN_KEY,
        admission_interval_seconds="0.05",
        queue_limit_per_ip="0",
        join_limit_per_account="0",
        poll_pace_ratio="0",
    )
    if TEST_DATABASE_URL:
        env.update(BOXOFFICE_DATABASE_URL=TEST_DATABASE_URL)
    if TEST_REDIS_URL:
        env.update(BOXOFFICE_REDIS_URL=TEST_REDIS_URL, BOXOFFICE_QUEUE_ROOM=room)
    return env


# What the fuzzer may set the admission policy to (PUT /admin/queue is fuzzed too); put back
# before a pass is needed, so that a pass can turn ACTIVE.
OPEN_POLICY = {
    "max_active": 1000,
    "admit_per_minute": 100_000,
    "active_ttl_seconds": 600,
    "claim_seconds": 60,
    "opens_at": None,
}


@dataclass
class FuzzedShop:
    """The served instance, with a date on sale and the credentials each request is sent with."""

    url: str
    log: Path
    http: httpx.Client
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)

    def account(self, operation: str) -> dict[str, str]:
        """A fresh account's Authorization header, one per operation (its holds and money are
        its own, so no operation's requests run into another's limits)."""
        if operation not in self.accounts:
            username = f"fuzz_{uuid.uuid4().hex[:16]}"
            body = {"username": username, "password": PASSWORD}
            created = self.http.post(f"{API}/users", json=body)
            assert created.status_code == 201, created.text
            token = self.http.post(f"{API}/auth/token", data=body)
            assert token.status_code == 200, token.text
            self.accounts[operation] = {"Authorization": f"Bearer {token.json()['access_token']}"}
        return self.accounts[operation]

    def active_pass(self, auth: dict[str, str]) -> str:
        """The account's live pass, ACTIVE (a fresh one if a request used it up or left)."""
        status = self._join(auth)
        if status["status"] != "ACTIVE":
            self._admin("PUT", "/admin/queue", json=OPEN_POLICY)
            deadline = time.monotonic() + 10
            while status["status"] != "ACTIVE":
                assert time.monotonic() < deadline, f"the pass never turned ACTIVE: {status}"
                time.sleep(0.05)
                polled = self.http.get(
                    f"{API}/queue/status", headers={**auth, "X-Queue-Token": status["token"]}
                )
                status = polled.json() if polled.status_code == 200 else self._join(auth)
        return str(status["token"])

    def _join(self, auth: dict[str, str]) -> dict[str, Any]:
        joined = self.http.post(f"{API}/queue/tokens", headers=auth)
        assert joined.status_code in (200, 201), joined.text
        return dict(joined.json())

    def _admin(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = self.http.request(
            method, f"{API}{path}", headers={"X-Admin-Key": ADMIN_KEY}, **kwargs
        )
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    def put_a_date_on_sale(self) -> None:
        concert = self._admin("POST", "/admin/concerts", json={"title": "Fuzz Night"})
        starts_at = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        self._admin(
            "POST",
            f"/admin/concerts/{concert['id']}/schedules",
            json={"starts_at": starts_at, "seat_count": 50, "price": 10_000},
        )

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def fuzzed_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzedShop]:
    root = tmp_path_factory.mktemp("fuzz")
    room = f"test-fuzz-{uuid.uuid4().hex}"
    try:
        with (
            served(_server_env(root / "data", room), root / "server.log") as (url, _),
            httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_SECONDS) as http,
        ):
            shop = FuzzedShop(url, root / "server.log", http)
            assert http.get("/openapi.json").json() == schema.raw_schema
            shop.put_a_date_on_sale()
            yield shop
    finally:
        if TEST_REDIS_URL:
            drop_room(TEST_REDIS_URL, room)


def _documented_schema() -> BaseSchema:
    """The document the instance serves, built from the same code here at collection, so that
    each operation is a test of its own (the fixture checks the served one is identical).
    schemathesis's `from_fixture` would load the served one lazily, but it sets a pytest node
    attribute pytest 9 no longer has."""
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(
            Settings(data_dir=Path(data_dir), secret_key=SECRET_KEY, admin_key=ADMIN_KEY),
            background=False,
        )
        document = app.openapi()
    loaded = schemathesis.openapi.from_dict(document)
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=EXAMPLES_PER_OPERATION,
        deterministic=True,
        database="none",
    )
    return loaded


schema = _documented_schema()


def _credentials(shop: FuzzedShop, case: Case) -> dict[str, str]:
    """The headers a caller who plays by the rules would send to this operation."""
    operation = case.operation
    headers = {"X-Admin-Key": ADMIN_KEY}
    if operation.path.startswith(f"{API}/admin/") or not operation.path.startswith(API):
        return headers
    if operation.path in (f"{API}/users", f"{API}/auth/token"):
        return headers
    auth = shop.account(operation.label)
    headers |= auth
    if any(p.name == "X-Queue-Token" for p in operation.iter_parameters()):
        headers["X-Queue-Token"] = shop.active_pass(auth)
    return headers


@schema.parametrize()
@settings(
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_5xx_and_every_answer_as_documented(case: Case, fuzzed_shop: FuzzedShop) -> None:
    case.headers = {**(case.headers or {}), **_credentials(fuzzed_shop, case)}
    try:
        case.call_and_validate(
            base_url=fuzzed_shop.url, checks=CHECKS, timeout=REQUEST_TIMEOUT_SECONDS
        )
    except Exception:
        print(f"server log (tail):\n{fuzzed_shop.log_tail()}")
        raise
