"""The server's CPU per request: the machine's busy time less the load generator's own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from boxoffice_rush.machine_cpu import CpuSnapshot, snapshot, spent_between
from boxoffice_rush.markdown import cpu_text
from boxoffice_rush.references import cpu_ratio


def test_the_servers_share_is_the_machines_less_the_clients_split_by_process() -> None:
    before = CpuSnapshot(
        machine=100.0,
        client=10.0,
        by_process={
            1: ("postgres", 5.0),
            2: ("redis-server", 1.0),
            3: ("postgres", 2.0),
            5: ("app", 7.0),
        },
    )
    after = CpuSnapshot(
        machine=104.0,  # 4 s busy in the window
        client=11.0,  # 1 s of it the load generator's
        # pid 3 ended (its time stays in `other`); pid 4 started in the window.
        by_process={
            1: ("postgres", 5.5),
            2: ("redis-server", 1.25),
            4: ("postgres", 0.25),
            5: ("app", 8.5),
        },
    )
    spent = spent_between(before, after)
    assert spent is not None
    assert (spent.machine, spent.client, spent.postgres, spent.redis) == (4.0, 1.0, 0.75, 0.25)
    assert (spent.server, spent.app, spent.other) == (3.0, 1.5, 0.5)
    assert spent.per_request_us(1000) == {
        "server": 3000.0,
        "app": 1500.0,
        "postgres": 750.0,
        "redis": 250.0,
        "other": 500.0,
    }
    assert spent.per_request_us(0) is None
    assert spent_between(None, after) is None


def test_a_reused_pid_of_another_name_counts_from_zero() -> None:
    before = CpuSnapshot(1.0, 0.0, {7: ("redis-server", 9.0)})
    after = CpuSnapshot(2.0, 0.0, {7: ("postgres", 0.5)})
    spent = spent_between(before, after)
    assert spent is not None
    assert (spent.postgres, spent.redis) == (0.5, 0.0)  # a new process: all its time


def test_a_snapshot_sees_the_machine_get_busier_while_this_process_spins() -> None:
    before = snapshot()
    assert before is not None  # Linux, with /proc
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    spent = spent_between(before, snapshot())
    assert spent is not None
    assert spent.client >= 0.25
    assert spent.machine >= spent.client * 0.8  # the spin shows in the machine's total too


SPIN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
# A "server" named boxoffice whose child (a "worker", named nothing of the kind) spins, then
# both sleep: alive at the second snapshot.
SERVER = (
    "import subprocess, sys, time\n"
    f"subprocess.Popen([sys.executable, '-c', {SPIN + chr(10) + 'time.sleep(5)'!r}])\n"
    "time.sleep(5)"
)


def test_a_process_named_boxoffice_and_its_children_are_the_apps() -> None:
    before = snapshot()
    subprocess.run([sys.executable, "-c", SPIN], check=True)  # ends inside the window
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, "boxoffice serve"], start_new_session=True
    )
    try:
        time.sleep(0.8)
        spent = spent_between(before, snapshot())
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    assert spent is not None
    assert spent.app >= 0.25  # the worker's spin
    assert spent.other >= 0.2  # the first child's: it ended inside the window


def test_rated_by_cpu_the_bare_apps_cost_over_the_endpoints() -> None:
    cost = {"server": 400.0, "app": 250.0, "postgres": 0.0, "redis": 100.0, "other": 50.0}
    endpoint = {"server_cpu_us_per_request": cost}
    assert cpu_ratio(endpoint, 100.0) == 0.25
    assert cpu_ratio(endpoint, None) is None
    assert cpu_ratio({"server_cpu_us_per_request": None}, 100.0) is None
    assert cpu_text(endpoint) == "400 (250 + 0 + 100 + 50)"
    assert cpu_text({}) is None
