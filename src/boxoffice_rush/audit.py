"""`boxoffice audit` run as a subprocess with the deployment's BOXOFFICE_* environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["AuditResult", "run_audit"]

TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class AuditResult:
    ran: bool
    ok: bool
    exit_code: int | None
    output: str


def run_audit(extra_env: Mapping[str, str]) -> AuditResult:
    """The audit's verdict on the deployment's database (and Redis room), with its output."""
    env = {**os.environ, **extra_env}
    command = [sys.executable, "-m", "boxoffice", "audit"]
    try:
        # S603: the command is this interpreter with a fixed argument list, and no shell.
        done = subprocess.run(  # noqa: S603
            command, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        return AuditResult(True, False, None, f"audit did not finish in {TIMEOUT_SECONDS} s")
    output = (done.stdout + done.stderr).strip()
    return AuditResult(True, done.returncode == 0, done.returncode, output)
