"""One `boxoffice serve` on the embedded default, a small sale on it, and the requests a fault
test sends to it: every write a fan or the admin can make, and the reads that need no write.

Synchronous (httpx.Client): the tests here send one request at a time, each bounded by
CLIENT_TIMEOUT, so a request that hangs fails the test instead of stalling it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from tests.servers import BOXOFFICE, boxoffice_server

__all__ = [
    "ADMIN",
    "CHARGED",
    "CLIENT_TIMEOUT",
    "NEW_CONCERT",
    "PRICE",
    "TOP_UP",
    "Fan",
    "Sale",
    "audit",
    "embedded_env",
    "serve_embedded",
]

API = "/api/v1"
ADMIN_KEY = "disk-fault-admin-key-0123456789abcdef"
ADMIN = {"X-Admin-Key": ADMIN_KEY}
PASSWORD = "correct horse battery"
CLIENT_TIMEOUT = 10.0  # twice the server's REQUEST_DEADLINE_SECONDS (5)
CHARGED = 200_000
TOP_UP = 30_000
PRICE = 50_000
NEW_CONCERT = "Announced on sale day"
SEATS = 10

Request = Callable[[], httpx.Response]


def embedded_env(data_dir: Path) -> dict[str, str]:
    """The environment of a server on SQLite in `data_dir`, whatever BOXOFFICE_* the shell has."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("BOXOFFICE_")}
    return env | {
        "BOXOFFICE_DATA_DIR": str(data_dir),
        "BOXOFFICE_SECRET_KEY": "disk-fault-secret-for-signing-0123456789",
        "BOXOFFICE_ADMIN_KEY": ADMIN_KEY,
        "BOXOFFICE_PASSWORD_TIME_COST": "1",
        "BOXOFFICE_PASSWORD_MEMORY_KIB": "64",
        "BOXOFFICE_QUEUE_LIMIT_PER_IP": "0",
        "BOXOFFICE_SIGNUP_LIMIT_PER_IP": "0",
        "BOXOFFICE_LOGIN_LIMIT_PER_IP": "0",
        # The test polls a waiting pass back to back, and reads its own writes back at once.
        "BOXOFFICE_POLL_PACE_RATIO": "0",
        "BOXOFFICE_HOT_READ_REFRESH_SECONDS": "0",
        "BOXOFFICE_LOG_LEVEL": "WARNING",
    }


def _child_pid(port: int) -> int:
    """The pid of this process's `boxoffice serve` child listening on `port`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == os.getpid() and b"serve" in arguments and str(port).encode() in arguments:
                return int(entry.name)
    raise LookupError(f"no boxoffice serve child on port {port}")


@contextlib.contextmanager
def serve_embedded(env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """Migrate, then serve; yields the server's URL and pid."""
    with boxoffice_server(env, log) as url:
        yield url, _child_pid(int(url.rsplit(":", 1)[1]))


def audit(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`boxoffice audit` on the server's database."""
    return subprocess.run(
        [*BOXOFFICE, "audit"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@dataclass
class Fan:
    username: str
    auth: dict[str, str]
    queue_token: str = ""

    @property
    def with_pass(self) -> dict[str, str]:
        return {**self.auth, "X-Queue-Token": self.queue_token}


class Sale:
    """The sale before the fault: a date of SEATS seats; `buyer` held seat 1 and paid for it,
    `payer` holds seat 2 and `canceller` seat 3, `holder` was let in and holds nothing yet.
    Every fan charged CHARGED."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=f"{url}{API}", timeout=CLIENT_TIMEOUT)
        concert = self._created("/admin/concerts", {"title": "Before the fault"}, ADMIN)
        self.concert_id = int(concert["id"])
        date = self._created(
            f"/admin/concerts/{self.concert_id}/schedules",
            {"starts_at": "2031-05-01T19:00:00Z", "seat_count": SEATS, "price": PRICE},
            ADMIN,
        )
        self.schedule_id = int(date["id"])
        self.buyer, self.payer, self.canceller, self.holder = (
            self._admitted_fan(name) for name in ("buyer", "payer", "canceller", "holder")
        )
        bought = self._hold(self.buyer, 1)
        self._created("/payments", {"reservation_id": bought}, self.buyer.with_pass)
        self.payer_reservation = self._hold(self.payer, 2)
        self.canceller_reservation = self._hold(self.canceller, 3)

    def close(self) -> None:
        self.http.close()

    def _created(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        response = self.http.post(path, json=body, headers=headers)
        assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
        return dict(response.json())

    def _admitted_fan(self, username: str) -> Fan:
        self._created("/users", {"username": username, "password": PASSWORD}, {})
        token = self.http.post("/auth/token", data={"username": username, "password": PASSWORD})
        assert token.status_code == 200, token.text
        fan = Fan(username, {"Authorization": f"Bearer {token.json()['access_token']}"})
        self._created("/wallet/charges", {"amount": CHARGED}, fan.auth)
        joined = self.http.post("/queue/tokens", headers=fan.auth)
        assert joined.status_code in (200, 201), joined.text
        fan.queue_token = joined.json()["token"]
        deadline = time.monotonic() + 20
        while self.http.get("/queue/status", headers=fan.with_pass).json()["status"] != "ACTIVE":
            assert time.monotonic() < deadline, f"{username} was not let in within 20 s"
            time.sleep(0.05)
        return fan

    def _hold(self, fan: Fan, seat: int) -> int:
        body = {"schedule_id": self.schedule_id, "seat_numbers": [seat]}
        return int(self._created("/reservations", body, fan.with_pass)["id"])

    def writes(self) -> dict[str, tuple[Request, int]]:
        """Every kind of write, each with the status it answers when the disk is fine. Sent again
        after a fault, each must do what it would have done the first time (the failed attempt
        changed nothing)."""
        post = self.http.post
        new_date = {"starts_at": "2031-05-02T19:00:00Z", "seat_count": 2, "price": PRICE}
        paying = {"reservation_id": self.payer_reservation}
        return {
            "sign up": (
                partial(post, "/users", json={"username": "latecomer", "password": PASSWORD}),
                201,
            ),
            "charge": (
                partial(
                    post,
                    "/wallet/charges",
                    json={"amount": TOP_UP},
                    headers={**self.holder.auth, "Idempotency-Key": "holder-top-up"},
                ),
                201,
            ),
            "hold": (
                partial(
                    post,
                    "/reservations",
                    json={"schedule_id": self.schedule_id, "seat_numbers": [4]},
                    headers=self.holder.with_pass,
                ),
                201,
            ),
            "pay": (
                partial(
                    post,
                    "/payments",
                    json=paying,
                    headers={**self.payer.with_pass, "Idempotency-Key": "payer-pays"},
                ),
                201,
            ),
            "cancel": (
                partial(
                    post,
                    f"/reservations/{self.canceller_reservation}/cancel",
                    headers=self.canceller.auth,
                ),
                200,
            ),
            "create concert": (
                partial(post, "/admin/concerts", json={"title": NEW_CONCERT}, headers=ADMIN),
                201,
            ),
            "create date": (
                partial(
                    post,
                    f"/admin/concerts/{self.concert_id}/schedules",
                    json=new_date,
                    headers=ADMIN,
                ),
                201,
            ),
        }

    def more_writes(self, round_number: int) -> dict[str, tuple[Request, int]]:
        """Writes that can be sent any number of times (new names, new keys)."""
        post = self.http.post
        keyed = {**self.buyer.auth, "Idempotency-Key": f"buyer-top-up-{round_number}"}
        user = {"username": f"late_fan_{round_number}", "password": PASSWORD}
        concert = {"title": f"Encore {round_number}"}
        return {
            f"sign up {round_number}": (partial(post, "/users", json=user), 201),
            f"charge {round_number}": (
                partial(post, "/wallet/charges", json={"amount": 1_000}, headers=keyed),
                201,
            ),
            f"create concert {round_number}": (
                partial(post, "/admin/concerts", json=concert, headers=ADMIN),
                201,
            ),
        }

    def reads(self) -> dict[str, Request]:
        """Reads that need no write: each must answer 200 on a disk that takes no writes."""
        get = self.http.get
        holder, payer = self.holder, self.payer
        login = {"username": "buyer", "password": PASSWORD}
        return {
            "concerts": partial(get, "/concerts"),
            "dates": partial(
                get, f"/concerts/{self.concert_id}/schedules", headers=holder.with_pass
            ),
            "seat map": partial(
                get, f"/schedules/{self.schedule_id}/seats", headers=holder.with_pass
            ),
            "wallet": partial(get, "/wallet", headers=holder.auth),
            "ledger": partial(get, "/wallet/transactions", headers=holder.auth),
            "reservation": partial(
                get, f"/reservations/{self.payer_reservation}", headers=payer.auth
            ),
            "payments": partial(get, "/payments", headers=self.buyer.auth),
            "log in": partial(self.http.post, "/auth/token", data=login),
            "queue status": partial(get, "/queue/status", headers=holder.with_pass),
        }

    def seat_map(self) -> dict[int, str]:
        answer = self.http.get(
            f"/schedules/{self.schedule_id}/seats", headers=self.holder.with_pass
        )
        assert answer.status_code == 200, answer.text
        return {seat["number"]: seat["status"] for seat in answer.json()}

    def balance(self, fan: Fan) -> int:
        answer = self.http.get("/wallet", headers=fan.auth)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["balance"])

    def concert_titles(self) -> list[str]:
        answer = self.http.get("/concerts")
        assert answer.status_code == 200, answer.text
        return [concert["title"] for concert in answer.json()]
