"""A Redis Cluster of the tests' own: three masters (Debian's redis-server) on free ports.

Each node also listens on its port + 10000 (the cluster bus), so both must be free. The cluster is
made with `redis-cli --cluster create` (slots split evenly, no replicas) and is ready once every
node says `cluster_state:ok`. Nothing of the machine's shared Redis is touched.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from tests.servers import free_port

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"
BUS_OFFSET = 10_000
START_SECONDS = 30
START_ATTEMPTS = 5


@dataclass
class RedisClusterNodes:
    ports: list[int]

    @property
    def url(self) -> str:
        """The service's URL of the cluster: any node, with the cluster scheme."""
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def node(self, port: int) -> Redis:
        """A plain client of one node (its own keys only)."""
        return Redis(port=port, decode_responses=True, socket_timeout=5)

    def slots(self) -> dict[int, list[tuple[int, int]]]:
        """Each master's port -> the slot ranges it serves."""
        client = self.node(self.ports[0])
        try:
            found: dict[int, list[tuple[int, int]]] = {}
            for first, last, master, *_ in client.execute_command("CLUSTER SLOTS"):
                found.setdefault(int(master[1]), []).append((int(first), int(last)))
            return found
        finally:
            client.close()


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _cluster_port() -> int:
    """A free port whose bus port (+10000) is free too."""
    for _ in range(200):
        port = free_port()  # never one handed out before, to this cluster's other nodes too
        if port + BUS_OFFSET < 65536 and _free(port + BUS_OFFSET):
            return port
    raise RuntimeError("no free port pair for a cluster node")


def _until(condition: object, what: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError(f"Redis Cluster: never {what}")
        time.sleep(0.1)


def _answers(port: int, command: str) -> object:
    client = Redis(port=port, decode_responses=True, socket_timeout=1, socket_connect_timeout=1)
    try:
        return client.execute_command(command)
    except (RedisError, OSError):
        return None
    finally:
        client.close()


def _cluster_ok(port: int) -> bool:
    info = _answers(port, "CLUSTER INFO")  # parsed by redis-py into a dict
    return isinstance(info, dict) and info.get("cluster_state") == "ok"


def _node_command(port: int, node: Path) -> list[str]:
    return [
        REDIS_SERVER,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        str(node / "nodes.conf"),
        "--cluster-node-timeout",
        "5000",
        "--dir",
        str(node),
        "--logfile",
        str(node / "redis.log"),
        "--save",
        "",
        "--appendonly",
        "no",
    ]


def _log_tail(node: Path) -> str:
    try:
        return "\n".join((node / "redis.log").read_text().splitlines()[-5:])
    except OSError:
        return "(no log)"


def _start_node(folder: Path, processes: list[subprocess.Popen[bytes]]) -> int:
    """Start one node on a free port pair and wait for its PING; its process joins `processes`.

    A port found free can be taken before the node binds it (or its bus port): the suite opens
    and closes connections all the time, each on an ephemeral local port. A node that exits at
    once is therefore started again on other ports; one that runs but never answers is an error.
    """
    for _ in range(START_ATTEMPTS):
        port = _cluster_port()
        node = folder / str(port)
        node.mkdir()
        process = subprocess.Popen(
            _node_command(port, node), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        processes.append(process)
        deadline = time.monotonic() + START_SECONDS
        while process.poll() is None:
            if _answers(port, "PING") is True:
                return port
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis Cluster: never PING on {port}: {_log_tail(node)}")
            time.sleep(0.1)
    raise RuntimeError(
        f"Redis Cluster: no node started in {START_ATTEMPTS} tries; last: {_log_tail(node)}"
    )


@contextlib.contextmanager
def redis_cluster(masters: int = 3) -> Iterator[RedisClusterNodes]:
    """Start `masters` cluster nodes, join them into one cluster, and stop them at the end."""
    folder = Path(tempfile.mkdtemp(prefix="bx-redis-cluster-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        ports = [_start_node(folder, processes) for _ in range(masters)]
        subprocess.run(
            [
                REDIS_CLI,
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=START_SECONDS,
        )
        for port in ports:
            _until(
                lambda port=port: _cluster_ok(port),
                f"cluster_state:ok on {port}",
            )
        yield RedisClusterNodes(ports)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)
