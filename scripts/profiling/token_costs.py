"""What signing and verifying a token costs this process (`platform.security.TokenSigner`).

    .venv/bin/python scripts/profiling/token_costs.py

Microseconds a call (20,000 calls each, best of three): a queue pass signed, a pass verified in
full, an access token verified in full (the verified-token caches left out: each call decodes).
Run it with `PYTHONPATH=<clone>/src` to measure another commit's signer the same way.
"""

from __future__ import annotations

import secrets
import timeit
from datetime import UTC, datetime

from boxoffice.platform.security import TokenSigner

CALLS = 20_000


def main() -> None:
    signer = TokenSigner(secrets.token_urlsafe(32), 3600)
    now = datetime.now(UTC)
    a_pass = signer.issue_pass(1, "p" * 16, now)
    access = signer.issue_access_token(1, now)
    for name, call in (
        ("sign a pass", lambda: signer.issue_pass(1, "p" * 16, now)),
        ("verify a pass", lambda: signer._verify_pass(a_pass)),
        ("verify an access token", lambda: signer._verify_access_token(access)),
    ):
        best = min(timeit.repeat(call, number=CALLS, repeat=3)) / CALLS * 1e6
        print(f"{best:7.1f} µs  {name}")


if __name__ == "__main__":
    main()
