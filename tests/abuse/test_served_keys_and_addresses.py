"""Against a real `boxoffice serve`: keys set in the environment never reach its output, a bad
setting is reported without its value, wrong admin keys are limited per address, and the
server itself believes no X-Forwarded-For (uvicorn's default trusted 127.0.0.1's)."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

import httpx
import pytest

from tests.conftest import API, PASSWORD, SECRET_KEY
from tests.servers import BOXOFFICE, free_port, served, server_env

ADMIN_KEY = "abuse-suite-admin-key-0123456789abcdef"


@dataclass(frozen=True)
class Served:
    url: str
    log: Path


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = server_env(
        data_dir,
        secret_key=SECRET_KEY,
        admin_key=ADMIN_KEY,
        queue_limit_per_ip="5",
        admin_failures_per_ip="3",
        log_level="INFO",
    )
    return env | extra


def _command(data_dir: Path, *args: str, timeout: float = 60, **env: str) -> CompletedProcess[str]:
    """`boxoffice <args>` run to its end, with the module's settings and `env`."""
    return subprocess.run(
        [*BOXOFFICE, *args],
        env=_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("served-abuse")
    log = root / "server.log"
    with served(_env(root / "data"), log) as (url, _):
        yield Served(url, log)


def test_a_key_from_the_environment_is_never_printed(server: Served) -> None:
    output = server.log.read_text()
    assert "boxoffice on" in output
    assert ADMIN_KEY not in output
    assert SECRET_KEY not in output


def test_a_generated_admin_key_is_printed_with_where_it_is_kept(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    del env["BOXOFFICE_ADMIN_KEY"], env["BOXOFFICE_SECRET_KEY"]
    with served(env, tmp_path / "server.log"):
        pass

    printed = [
        line for line in (tmp_path / "server.log").read_text().splitlines() if "admin key" in line
    ]
    assert len(printed) == 1
    assert "secrets.json" in printed[0]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOXOFFICE_SECRET_KEY", "short-but-secret-value"),
        ("BOXOFFICE_TRUSTED_PROXIES", "10.0.0.1, not-a-proxy-secret"),
    ],
)
def test_a_bad_setting_is_named_without_its_value(
    tmp_path: Path, variable: str, value: str
) -> None:
    finished = _command(tmp_path, "serve", "--port", "1", **{variable: value})

    assert finished.returncode == 2
    assert variable in finished.stderr
    assert value not in finished.stderr + finished.stdout
    assert "Traceback" not in finished.stderr


_USABLE = {
    "BOXOFFICE_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    "BOXOFFICE_REDIS_URL": "redis://127.0.0.1:6379/0",
}
_UNUSABLE = {
    # No driver for it (psycopg).
    "BOXOFFICE_DATABASE_URL": "postgresql://fan:secret-password@127.0.0.1:5432/test",
    # Not a Redis scheme: each worker's store failed to start.
    "BOXOFFICE_REDIS_URL": "http://fan:secret-password@127.0.0.1:6379/0",
}


@pytest.mark.parametrize("variable", sorted(_UNUSABLE))
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_url_no_worker_could_use_fails_at_once(
    tmp_path: Path, workers: str, variable: str
) -> None:
    # With two workers uvicorn restarted each failing one forever.
    finished = _command(
        tmp_path,
        *("serve", "--port", "1", "--workers", workers),
        timeout=30,
        **{**_USABLE, variable: _UNUSABLE[variable]},
        BOXOFFICE_SECRET_KEY="s" * 32,
        BOXOFFICE_ADMIN_KEY="a" * 32,
    )

    assert finished.returncode == 2
    assert variable in finished.stderr
    assert "secret-password" not in finished.stderr + finished.stdout
    assert "Traceback" not in finished.stderr


def test_wrong_admin_keys_are_limited_per_address(server: Served) -> None:
    # BOXOFFICE_ADMIN_FAILURES_PER_IP=3: three wrong keys are refused 401, then 429 for a minute.
    wrong = [
        httpx.get(f"{server.url}{API}/admin/queue", headers={"X-Admin-Key": f"guess-{n}"})
        for n in range(5)
    ]
    right = httpx.get(f"{server.url}{API}/admin/queue", headers={"X-Admin-Key": ADMIN_KEY})

    assert [r.status_code for r in wrong] == [401, 401, 401, 429, 429]
    assert wrong[-1].json()["code"] == "RATE_LIMITED"
    assert 1 <= int(wrong[-1].headers["Retry-After"]) <= 60
    # Wrong keys from the operator's address (a shared NAT's) do not lock the right key out.
    assert right.status_code == 200


def test_the_server_believes_no_forwarded_address_of_its_own_accord(server: Served) -> None:
    answers = []
    for number in range(6):
        name = f"rotating_{number}"
        httpx.post(f"{server.url}{API}/users", json={"username": name, "password": PASSWORD})
        token = httpx.post(
            f"{server.url}{API}/auth/token", data={"username": name, "password": PASSWORD}
        ).json()["access_token"]
        answers.append(
            httpx.post(
                f"{server.url}{API}/queue/tokens",
                headers={
                    "Authorization": f"Bearer {token}",
                    "X-Forwarded-For": f"203.0.113.{number}",
                },
            )
        )

    assert [a.status_code for a in answers[:5]] == [201] * 5
    assert answers[5].status_code == 429


@pytest.mark.parametrize(("command", "what"), [("audit", "the audit"), ("demo", "the demo")])
def test_a_command_whose_database_does_not_answer_says_so_in_one_line_and_exits_2(
    tmp_path: Path, command: str, what: str
) -> None:
    """Exit 1 of `boxoffice audit` means a violation: a cron job must not read a database that
    does not answer as one (both commands printed a traceback and exited 1)."""
    gone = f"postgresql+asyncpg://fan:secret-password@127.0.0.1:{free_port()}/x"
    finished = _command(tmp_path, command, BOXOFFICE_DATABASE_URL=gone)

    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert finished.stderr.startswith(f"{what} could not run: "), finished.stderr
    assert len(finished.stderr.splitlines()) == 1, finished.stderr
    assert "secret-password" not in finished.stderr + finished.stdout


@pytest.mark.parametrize(
    "env",
    [{}, {"BOXOFFICE_REDIS_URL": _USABLE["BOXOFFICE_REDIS_URL"]}],
    ids=["embedded", "SQLite with Redis"],
)
def test_several_workers_on_sqlite_are_refused_at_once(tmp_path: Path, env: dict[str, str]) -> None:
    finished = _command(tmp_path, "serve", "--port", "1", "--workers", "2", timeout=30, **env)

    assert finished.returncode == 2
    assert "--workers > 1 needs" in finished.stderr
    assert "Traceback" not in finished.stderr


@pytest.mark.parametrize("database", ["never migrated", "restored from before 0010"])
def test_a_database_not_migrated_to_this_version_is_refused_at_once(
    tmp_path: Path, database: str
) -> None:
    """Every request would fail on a missing table or function (the server started, /readyz
    said ready and each request answered 500)."""
    if database != "never migrated":
        assert _command(tmp_path, "migrate").returncode == 0
        with closing(sqlite3.connect(tmp_path / "boxoffice.db")) as connection, connection:
            connection.execute("UPDATE alembic_version SET version_num = '0009'")

    finished = _command(tmp_path, "serve", "--port", str(free_port()), timeout=30)

    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert "run `boxoffice migrate` first" in finished.stderr
    assert "Traceback" not in finished.stderr
    if database == "never migrated":
        assert not (tmp_path / "boxoffice.db").exists()
