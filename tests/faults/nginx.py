"""Nginx: Debian's nginx in front of the instances, running the repository's recommended config.

The config under test is deploy/nginx/boxoffice.conf itself; only its `listen` port and its
example `server` line (one per instance) are replaced. Around it this module writes the process's
own plumbing, which production takes from /etc/nginx/nginx.conf: logs, temp folders, and one
header of the suite's own (`X-Upstream`, the instance that answered), so a test knows where each
event stream is served. nginx runs in the foreground (`daemon off`) on a free port, and is
stopped with the test.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port

__all__ = ["RECOMMENDED_CONFIG", "Nginx", "NginxLine", "render_config"]

RECOMMENDED_CONFIG = Path(__file__).parents[2] / "deploy" / "nginx" / "boxoffice.conf"
START_SECONDS = 10
_EXAMPLE_SERVER = re.compile(
    r"^(?P<indent>[ \t]*)server 127\.0\.0\.1:8000(?P<options>[^;]*);$", re.M
)
_EXAMPLE_LISTEN = re.compile(r"^(?P<indent>[ \t]*)listen 80(?P<default> default_server)?;$", re.M)
_LOG_FORMAT = "$msec $status $request_method $uri [$upstream_addr] [$upstream_status]"

_MAIN = """\
worker_processes 1;
error_log {prefix}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    log_format upstreams '{log_format}';
    access_log {prefix}/access.log upstreams;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    # The suite's own: which instance answered (the last of the tried ones). Not recommended.
    add_header X-Upstream $upstream_addr always;
    include {prefix}/boxoffice.conf;
}}
"""


def render_config(upstream_ports: list[int], listen_port: int) -> str:
    """The recommended config with its example port and instance replaced by these."""
    text = RECOMMENDED_CONFIG.read_text()
    servers = _EXAMPLE_SERVER.findall(text)
    listens = _EXAMPLE_LISTEN.findall(text)
    if len(servers) != 1 or len(listens) != 1:
        raise ValueError(
            f"{RECOMMENDED_CONFIG} must keep one example `server 127.0.0.1:8000 ...;` line and"
            " one `listen 80 ...;` line: the suite replaces exactly those"
        )
    indent, options = servers[0]
    lines = "\n".join(f"{indent}server 127.0.0.1:{port}{options};" for port in upstream_ports)
    text = _EXAMPLE_SERVER.sub(lambda _: lines, text)
    return _EXAMPLE_LISTEN.sub(
        lambda m: f"{m['indent']}listen 127.0.0.1:{listen_port}{m['default'] or ''};", text
    )


@dataclass(frozen=True)
class NginxLine:
    """One request as nginx logged it: the instances it tried, in order, and what each said."""

    at: float
    status: int
    method: str
    path: str
    upstreams: list[str]
    upstream_statuses: list[str]

    @property
    def retried(self) -> bool:
        return len(self.upstreams) > 1


def _parse(line: str) -> NginxLine:
    found = re.fullmatch(r"(.*) \[(.*)\] \[(.*)\]", line)
    if found is None:
        raise ValueError(f"not a line of the `upstreams` log format: {line!r}")
    head, upstreams, statuses = found.groups()
    at, status, method, path = head.split(" ", 3)

    def split(value: str) -> list[str]:
        return [] if value == "-" else re.split(r", | : ", value)

    return NginxLine(float(at), int(status), method, path, split(upstreams), split(statuses))


class Nginx:
    """nginx on a free port of 127.0.0.1 in front of the instances on `upstream_ports`."""

    def __init__(self, upstream_ports: list[int], folder: Path) -> None:
        self.port = free_port()
        self.prefix = folder / "nginx"
        shutil.rmtree(self.prefix, ignore_errors=True)
        (self.prefix / "temp").mkdir(parents=True)
        # nginx started as root runs its workers as `nobody`: they must write its temp files.
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / "temp" / name).mkdir(mode=0o777)
            (self.prefix / "temp" / name).chmod(0o777)
        (self.prefix / "boxoffice.conf").write_text(render_config(upstream_ports, self.port))
        (self.prefix / "nginx.conf").write_text(
            _MAIN.format(prefix=self.prefix, log_format=_LOG_FORMAT)
        )
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Check the config (`nginx -t`), then run nginx until it listens."""
        command = [
            _nginx(),
            "-p",
            str(self.prefix),
            "-c",
            str(self.prefix / "nginx.conf"),
            "-g",
            f"daemon off; pid {self.prefix / 'nginx.pid'};",
        ]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, f"nginx -t refused the config:\n{checked.stderr}"
        with (self.prefix / "stderr.log").open("ab") as output:
            self._process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_SECONDS
        while not _accepts(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start:\n{self.errors()}")
            time.sleep(0.05)

    def lines(self) -> list[NginxLine]:
        """Every request logged so far (nginx logs one when its answer is complete)."""
        path = self.prefix / "access.log"
        return [_parse(line) for line in path.read_text().splitlines()] if path.exists() else []

    def figures(self) -> dict[str, object]:
        """What nginx did: answers by status, and requests it sent to more than one instance."""
        lines = self.lines()
        return {
            "nginx_statuses": dict(Counter(str(line.status) for line in lines)),
            "nginx_retried_elsewhere": sum(line.retried for line in lines),
        }

    def errors(self) -> str:
        """nginx's error log and output (upstream failures are logged there)."""
        found = [self.prefix / "error.log", self.prefix / "stderr.log"]
        return "\n".join(path.read_text(errors="replace") for path in found if path.exists())

    def close(self) -> None:
        """Stop nginx: SIGTERM (fast shutdown), SIGKILL if it lingers."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _nginx() -> str:
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
    )
    assert found, "nginx is missing: install Debian's `nginx` package (.ci/run does)"
    return found


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
