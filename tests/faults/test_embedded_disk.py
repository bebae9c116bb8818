"""The embedded default's disk fails under a running shop: it fills up, or the database turns
read-only. One `boxoffice serve` (SQLite in WAL mode, in-process waiting room) with a small sale
made before the fault.

While the fault lasts, every write a fan or the admin can make answers 503 problem+json with a
stable code and Retry-After, never a 500 and never a hang (each request is bounded by the
client's timeout), and changes nothing; the reads that need no write answer 200. Once the fault
is removed the same requests succeed on the same process, several rounds of writes more reach
every pooled connection, `boxoffice audit` passes and SQLite's integrity check finds the file
whole.

How each fault is made (the suite runs as root; root ignores file modes):
- Full disk: the data directory is a tmpfs of a few MiB, filled to the last page by a file of
  the test's own, so SQLite's writes fail with ENOSPC ("database or disk is full"). Mounting
  needs CAP_SYS_ADMIN. A file-size rlimit would need no privilege but fails writes with EFBIG
  (a different error from a full disk), and SQLite's max_page_count is no disk at all.
- Read-only: `chattr +i` (needs CAP_LINUX_IMMUTABLE and a filesystem with the flag) on the
  database file, its WAL and their directory. The flag refuses writes through the descriptors
  the server already holds (EPERM: "disk I/O error"), and a connection opened meanwhile is
  opened read-only by SQLite ("attempt to write a readonly database"), as after a chmod or a
  read-only remount. The -shm file is left alone: SQLite maps it into memory, and a store into
  an immutable mapping is SIGBUS, a crash no program answers.
Without the privilege the test is skipped, saying which one.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.embedded_shop import (
    CHARGED,
    NEW_CONCERT,
    PRICE,
    TOP_UP,
    Sale,
    audit,
    embedded_env,
    serve_embedded,
)

DISK_SIZE = "8m"
DATABASE = "boxoffice.db"
# Rounds of three writes after the fault: many more checkouts than the pool keeps connections
# (pool_size 5, handed out in turn), so a pooled connection the fault spoiled cannot hide.
ROUNDS_AFTER = 5


def _assert_unavailable(name: str, answer: httpx.Response) -> None:
    assert answer.status_code == 503, f"{name}: {answer.status_code} {answer.text}"
    assert answer.headers["content-type"] == "application/problem+json", name
    assert answer.json()["code"] == "SERVICE_UNAVAILABLE", f"{name}: {answer.text}"
    assert int(answer.headers["retry-after"]) >= 1, name


def _play(sale: Sale, start_fault: Callable[[], None], end_fault: Callable[[], None]) -> None:
    """Writes and reads during the fault, then again after it; each outcome checked."""
    seats_before = sale.seat_map()
    balances_before = [sale.balance(fan) for fan in (sale.payer, sale.holder)]
    titles_before = sale.concert_titles()
    start_fault()
    for name, (send, _) in sale.writes().items():
        _assert_unavailable(name, send())
    for name, read in sale.reads().items():
        answer = read()
        assert answer.status_code == 200, f"{name} during the fault: {answer.text}"
    # Nothing the failed writes tried is there: no seat moved, no money, no concert.
    assert sale.seat_map() == seats_before
    assert [sale.balance(fan) for fan in (sale.payer, sale.holder)] == balances_before
    assert sale.concert_titles() == titles_before

    end_fault()
    writes = dict(sale.writes())
    for round_number in range(ROUNDS_AFTER):
        writes |= sale.more_writes(round_number)
    for name, (send, status) in writes.items():
        answer = send()
        assert answer.status_code == status, f"{name} after the fault: {answer.text}"
    # Each write took effect once: the one sent during the fault did nothing.
    seats = sale.seat_map()
    assert (seats[1], seats[2], seats[3], seats[4]) == ("SOLD", "SOLD", "AVAILABLE", "HELD")
    assert sale.balance(sale.payer) == CHARGED - PRICE
    assert sale.balance(sale.holder) == CHARGED + TOP_UP
    assert sale.concert_titles().count(NEW_CONCERT) == 1


def _assert_audit_passes(env: dict[str, str]) -> None:
    result = audit(env)
    report = f"audit exit {result.returncode}:\n{result.stdout}{result.stderr}"
    assert result.returncode == 0, report
    assert "audit passed" in result.stdout, report


def _assert_intact(database: Path) -> None:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


def _assert_no_crash(log: Path) -> None:
    text = log.read_text(errors="replace")
    assert "unhandled_error" not in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]


# Full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of DISK_SIZE of the test's own, unmounted afterwards."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0700", "bx-disk", mount_point],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        pytest.skip("no mount command: the full-disk fault needs a tmpfs of its own")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", mount_point], check=False).returncode != 0:
            subprocess.run(["umount", "--lazy", mount_point], check=True)


def _fill(disk: Path, database: Path) -> Path:
    """Truncate the WAL, then fill the disk to its last page; the file that fills it."""
    # The WAL keeps its length after a checkpoint and is written again from its start, so a full
    # disk is felt by the first write that must grow it. A TRUNCATE checkpoint (what SQLite's
    # journal_size_limit does too) makes that the very next write.
    with contextlib.closing(sqlite3.connect(database)) as connection:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0, "the server was in a transaction: the WAL was not truncated"
    assert database.with_name(f"{DATABASE}-wal").stat().st_size == 0
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as output:
        chunk = bytes(64 * 1024)
        while True:
            try:
                output.write(chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                break
    assert shutil.disk_usage(disk).free == 0
    return filler


def test_a_full_disk_answers_503_then_heals_by_itself(small_disk: Path, tmp_path: Path) -> None:
    data_dir = small_disk / "var"
    database = data_dir / DATABASE
    env = embedded_env(data_dir)
    log = tmp_path / "server.log"
    fillers: list[Path] = []
    with serve_embedded(env, log) as (url, _pid):
        sale = Sale(url)
        try:
            _play(
                sale,
                start_fault=lambda: fillers.append(_fill(small_disk, database)),
                end_fault=lambda: fillers.pop().unlink(),
            )
            _assert_audit_passes(env)
        finally:
            sale.close()
    _assert_intact(database)
    _assert_no_crash(log)


# Read-only database


def _chattr(flag: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["chattr", flag, *paths], capture_output=True, text=True, check=False)


@pytest.fixture
def immutable_allowed(tmp_path: Path) -> Iterator[None]:
    """Skips unless `chattr +i` works here; clears the flag under tmp_path afterwards."""
    probe = tmp_path / "probe"
    probe.touch()
    try:
        refused = _chattr("+i", probe)
    except FileNotFoundError:
        pytest.skip("no chattr command: the read-only fault needs the immutable flag")
    if refused.returncode != 0:
        pytest.skip(f"cannot set the immutable flag (CAP_LINUX_IMMUTABLE): {refused.stderr}")
    _chattr("-i", probe)
    try:
        yield
    finally:
        # Or nothing under tmp_path could be deleted again.
        _chattr("-R", "-i", tmp_path)


def _read_only_descriptors(pid: int, database: Path) -> int:
    """How many descriptors of the server open the database file for reading only."""
    count = 0
    for link in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            if link.readlink() != database.resolve():
                continue
            info = (Path(f"/proc/{pid}/fdinfo") / link.name).read_text()
            flags = int(info.split("flags:")[1].split()[0], 8)
            count += flags & 0o3 == 0  # O_ACCMODE == O_RDONLY
    return count


def _open_connections_meanwhile(sale: Sale, pid: int, database: Path) -> None:
    """Bursts of concurrent reads until the server has opened a connection on the read-only
    file: under load a server opens connections at any time, and SQLite opens those read-only."""

    async def burst() -> None:
        async with httpx.AsyncClient(base_url=str(sale.http.base_url), timeout=10) as client:
            answers = await asyncio.gather(
                *(client.get("/wallet", headers=sale.holder.auth) for _ in range(24))
            )
        assert {answer.status_code for answer in answers} == {200}

    deadline = time.monotonic() + 30
    while _read_only_descriptors(pid, database) == 0:
        assert time.monotonic() < deadline, "no connection was opened during the fault"
        asyncio.run(burst())


@pytest.mark.usefixtures("immutable_allowed")
def test_a_read_only_database_answers_503_then_heals_by_itself(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    database = data_dir / DATABASE
    env = embedded_env(data_dir)
    log = tmp_path / "server.log"
    locked = (database, database.with_name(f"{DATABASE}-wal"), data_dir)

    with serve_embedded(env, log) as (url, pid):
        sale = Sale(url)

        def start_fault() -> None:
            assert _chattr("+i", *locked).returncode == 0
            _open_connections_meanwhile(sale, pid, database)

        def end_fault() -> None:
            assert _chattr("-i", *locked).returncode == 0

        try:
            _play(sale, start_fault, end_fault)
            _assert_audit_passes(env)
        finally:
            sale.close()
    _assert_intact(database)
    _assert_no_crash(log)
