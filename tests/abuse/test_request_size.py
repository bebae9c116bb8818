"""What a request may be: a body past the limit is refused (413 PAYLOAD_TOO_LARGE) before it is
read further or authenticated, headers past theirs answer 431, and bodies that are deep, broken
or not UTF-8 answer a 4xx problem, never a 500. Once, a 50 MB JSON charge was read and answered
201, an unauthenticated 50 MB hold was read in full before its 401, and an 8 MB header passed."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from boxoffice.platform.problems import BAD_REQUEST, PAYLOAD_TOO_LARGE
from boxoffice.platform.request_size import RequestSizeMiddleware
from tests.conftest import ADMIN_KEY, API, SECRET_KEY, Shop
from tests.e2e.support import assert_problem
from tests.servers import served, server_env

LIMIT = 65536  # BOXOFFICE_MAX_BODY_BYTES' default


async def test_a_charge_past_the_body_limit_is_refused_and_moves_no_money(shop: Shop) -> None:
    fan = await shop.sign_up()
    padding = "x" * LIMIT
    body = f'{{"amount": 10000, "note": "{padding}"}}'.encode()

    response = await shop.client.post(
        f"{API}/wallet/charges",
        content=body,
        headers={**fan.auth, "Content-Type": "application/json"},
    )

    problem = assert_problem(response, 413, "PAYLOAD_TOO_LARGE")
    assert problem["limit"] == LIMIT
    assert await shop.balance(fan) == 0
    assert await shop.ledger(fan) == []


async def test_a_large_body_is_refused_before_authentication(shop: Shop) -> None:
    response = await shop.client.post(
        f"{API}/reservations",
        content=b"[" + b"1," * LIMIT + b"1]",
        headers={"Content-Type": "application/json"},
    )

    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")


async def test_a_chunked_body_without_a_length_is_cut_at_the_limit(shop: Shop) -> None:
    fan = await shop.sign_up()
    sent = 0

    async def chunks() -> Iterator[bytes]:  # type: ignore[misc]
        nonlocal sent
        yield b'{"amount": 10000, "note": "'
        for _ in range(64):  # 1 MiB in all, if it were all read
            sent += 1
            yield b"x" * 16384
        yield b'"}'

    response = await shop.client.post(
        f"{API}/wallet/charges",
        content=chunks(),
        headers={**fan.auth, "Content-Type": "application/json"},
    )

    problem = assert_problem(response, 413, "PAYLOAD_TOO_LARGE")
    # The same problem document as a body refused by its declared length (it had the detail for
    # its title, and no limit).
    assert problem["title"] == PAYLOAD_TOO_LARGE.title
    assert problem["limit"] == LIMIT
    assert await shop.balance(fan) == 0


async def test_a_body_just_within_the_limit_is_served(shop: Shop) -> None:
    fan = await shop.sign_up()
    body = b'{"amount": 10000}' + b" " * (LIMIT - 17)

    response = await shop.client.post(
        f"{API}/wallet/charges",
        content=body,
        headers={**fan.auth, "Content-Type": "application/json"},
    )

    assert response.status_code == 201, response.text


async def test_headers_past_their_limit_answer_431(shop: Shop) -> None:
    response = await shop.client.get(f"{API}/concerts", headers={"X-Padding": "x" * 20_000})

    assert_problem(response, 431, "HEADERS_TOO_LARGE")


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("deeply nested", b'{"amount": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
        ("not UTF-8", b'{"amount": 100, "x": "\xff\xfe\xfa"}'),
        ("truncated", b'{"amount": 1'),
    ],
)
async def test_broken_bodies_are_a_client_error_not_a_500(
    shop: Shop, name: str, body: bytes
) -> None:
    fan = await shop.sign_up()

    response = await shop.client.post(
        f"{API}/wallet/charges",
        content=body[: LIMIT - 1],
        headers={**fan.auth, "Content-Type": "application/json"},
    )

    assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await shop.balance(fan) == 0


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"username=a&password=b"),  # no boundary
        ("multipart/form-data; boundary=x", b"--x\r\nnot a part"),
        ("application/x-www-form-urlencoded", b"&".join(b"f%d=1" % n for n in range(5_000))),
    ],
    ids=["no boundary", "broken part", "too many fields"],
)
async def test_a_form_that_cannot_be_read_is_one_problem_whatever_went_wrong(
    shop: Shop, content_type: str, body: bytes
) -> None:
    """RFC 9457: a problem type's title does not change from one occurrence to the next (the
    parser's message was the title: "Missing boundary in multipart.", "Too many fields...")."""
    response = await shop.client.post(
        f"{API}/auth/token", content=body, headers={"Content-Type": content_type}
    )

    problem = assert_problem(response, 400, "BAD_REQUEST")
    assert problem["title"] == BAD_REQUEST.title
    assert problem["detail"]


@pytest.fixture(scope="module")
def served_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("request-size")
    env = server_env(tmp_path / "data", secret_key=SECRET_KEY, admin_key=ADMIN_KEY)
    with served(env, tmp_path / "server.log") as (url, _):
        yield url


def test_a_served_instance_answers_413_without_waiting_for_the_body(served_url: str) -> None:
    """Over a real socket: 50 MB announced, none of it sent. The answer comes at once, so the
    service did not wait to read the body (nor ask who sent it)."""
    host, port = served_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /api/v1/reservations HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
        )
        started = time.monotonic()
        answer = sock.recv(65536)  # the first part of the answer: it came without the body
        waited = time.monotonic() - started
        # The rest, up to the close the answer asks for (head and body may come apart).
        while chunk := sock.recv(65536):
            answer += chunk

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"PAYLOAD_TOO_LARGE" in body
    assert waited < 2


def _deadline_faults(url: str) -> float:
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith("boxoffice_dependency_faults_total{") and 'kind="deadline"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_body_still_coming_at_the_deadline_is_the_clients_408_not_a_503(
    served_url: str,
) -> None:
    """A body sent slowly (or announced longer than it is) once answered 503 "the service could
    not answer in time, retry", counted as a dependency's fault: anyone could raise the fault
    figure operators watch. Both framings, at once, over real sockets."""
    host, port = served_url.removeprefix("http://").split(":")
    heads = [
        b"Content-Length: 60\r\n\r\n" + b'{"username": ',
        b"Transfer-Encoding: chunked\r\n\r\n" + b"40\r\n" + b'{"username": ',
    ]
    faults_before = _deadline_faults(served_url)
    sockets = [socket.create_connection((host, int(port)), timeout=15) for _ in heads]
    try:
        started = time.monotonic()
        for sock, head in zip(sockets, heads, strict=True):
            sock.sendall(
                b"POST /api/v1/users HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\n" + head
            )
        answers = []
        for sock in sockets:
            answer = b""
            while chunk := sock.recv(65536):  # up to the close the answer asks for
                answer += chunk
            answers.append(answer)
        waited = time.monotonic() - started
    finally:
        for sock in sockets:
            sock.close()

    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer[:300]
        assert b"connection: close" in head.lower()
        assert b'"code":"REQUEST_TIMEOUT"' in body
    assert waited < 10  # the 5 s deadline, not the socket's own timeout
    assert _deadline_faults(served_url) == faults_before


def test_a_served_instance_refuses_huge_headers(served_url: str) -> None:
    response = httpx.get(f"{served_url}{API}/concerts", headers={"X-Padding": "x" * 1_000_000})

    assert response.status_code == 431
    assert response.json()["code"] == "HEADERS_TOO_LARGE"


async def test_a_body_past_the_limit_after_the_answer_began_ends_it_as_a_disconnect() -> None:
    """An event stream reads its request only to hear the client leave; a body sent there past
    the limit ends the stream quietly instead of raising inside an answer already begun."""
    heard: list[str] = []
    chunks = [
        {"type": "http.request", "body": b"x" * 40_000, "more_body": True},
        {"type": "http.request", "body": b"x" * 40_000, "more_body": True},
    ]

    async def stream(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (message := await receive())["type"] != "http.disconnect":
            heard.append(message["type"])
        heard.append("left")
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def receive() -> dict[str, Any]:
        return chunks.pop(0)

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    middleware = RequestSizeMiddleware(stream, max_body_bytes=LIMIT, max_header_bytes=16384)
    await middleware({"type": "http", "headers": []}, receive, send)

    assert heard == ["http.request", "left"]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
