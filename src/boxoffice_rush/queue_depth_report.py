"""`boxoffice queue-depth`, pure part: latency summaries, the verdict, and its docs section.

The section lives in docs/benchmarks.md between two markers; everything outside them belongs to
other tools (`scripts/bench`) and is left as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from boxoffice_rush.markdown import table
from boxoffice_rush.stats import percentile

__all__ = [
    "END",
    "START",
    "DepthResult",
    "Run",
    "Summary",
    "parse_cpu_stall",
    "ratios",
    "render_section",
    "replace_section",
    "summarize",
    "summarize_slowlog",
]

START = "<!-- queue-depth:start -->"
END = "<!-- queue-depth:end -->"
# The operations the target is about, over HTTP and in the store alone.
HTTP_OPS = ("join", "status")
STORE_OPS = ("join", "view")


@dataclass(frozen=True)
class Summary:
    """Latencies of one operation, in milliseconds; `per_second` is count over the window."""

    count: int
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def summarize(latencies: Sequence[float], seconds: float) -> Summary:
    """Nearest-rank p50/p90/p99/max of latencies given in seconds, and the rate over `seconds`."""
    ordered = sorted(latencies)
    return Summary(
        count=len(ordered),
        per_second=len(ordered) / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(ordered, 0.50) * 1000,
        p90_ms=percentile(ordered, 0.90) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        max_ms=(ordered[-1] if ordered else 0.0) * 1000,
    )


@dataclass
class DepthResult:
    """Everything measured with `depth` passes waiting."""

    depth: int
    waiting_before: int = 0
    waiting_after: int = 0
    filled: int = 0
    fill_seconds: float = 0.0
    used_memory: int = 0
    http: dict[str, Summary] = field(default_factory=dict)
    http_errors: dict[str, int] = field(default_factory=dict)  # "join 429": count
    late_p99_ms: float = 0.0  # how late the client sent its requests against the schedule
    cpu_pressure_pct: float | None = None  # share of the HTTP window some task waited for a CPU
    load_average: str = ""
    slowlog: str = "none"  # Redis SLOWLOG entries naming the room while measuring this depth
    worst_ms_per_second: dict[str, list[float]] = field(default_factory=dict)
    store: dict[str, Summary] = field(default_factory=dict)
    redis_us_per_call: dict[str, float] = field(default_factory=dict)


@dataclass
class Run:
    """A whole benchmark: options, the environment, and one result per depth."""

    started_at: str
    options: dict[str, str]
    depths: list[DepthResult] = field(default_factory=list)
    target_ratio: float = 1.5
    memory_before_fill: int = 0
    admitted_during_run: int = 0
    slowlog: str = "none"  # over the whole run, the fill included
    environment: dict[str, str] = field(default_factory=dict)


def ratios(run: Run) -> list[tuple[str, float, float, float | None]]:
    """(operation, p99 at the first depth, p99 at the last, last/first) for every target row."""
    if len(run.depths) < 2:
        return []
    first, last = run.depths[0], run.depths[-1]
    rows: list[tuple[str, float, float, float | None]] = []
    for label, ops, low, high in (
        ("HTTP", HTTP_OPS, first.http, last.http),
        ("store", STORE_OPS, first.store, last.store),
    ):
        for op in ops:
            if op in low and op in high:
                a, b = low[op].p99_ms, high[op].p99_ms
                rows.append((f"{label} {op}", a, b, b / a if a > 0 else None))
    return rows


def summarize_slowlog(entries: Sequence[tuple[str, float]]) -> str:
    """`what ×count (max N ms)` per command, the most frequent first; "none" if none."""
    if not entries:
        return "none"
    by_what: dict[str, list[float]] = {}
    for what, ms in entries:
        by_what.setdefault(what, []).append(ms)
    ranked = sorted(by_what.items(), key=lambda item: (-len(item[1]), item[0]))
    return ", ".join(f"{what} ×{len(ms)} (max {max(ms):.1f} ms)" for what, ms in ranked)


def parse_cpu_stall(pressure: str) -> int:
    """Microseconds some task waited for a CPU, from /proc/pressure/cpu (its `some` total)."""
    for line in pressure.splitlines():
        if line.startswith("some "):
            return int(line.rsplit("total=", 1)[1])
    raise ValueError("no 'some' line in the CPU pressure")


def _mib(value: int) -> str:
    return f"{value / 2**20:,.0f} MiB"


def _latency_rows(run: Run, kind: str) -> list[list[object]]:
    rows: list[list[object]] = []
    for result in run.depths:
        figures = result.http if kind == "http" else result.store
        for op, s in figures.items():
            extra = (
                sum(n for key, n in result.http_errors.items() if key.split()[0] == op)
                if kind == "http"
                else result.redis_us_per_call.get(op)
            )
            figures_row = [s.count, s.per_second, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms]
            rows.append([op, result.depth, *figures_row, extra])
    return rows


def _verdict(run: Run) -> list[str]:
    rows = []
    for name, low, high, ratio in ratios(run):
        ok = ratio is not None and ratio <= run.target_ratio
        shown = "–" if ratio is None else f"{ratio:.2f}"
        rows.append([name, low, high, shown, "yes" if ok else "**no**"])
    first, last = run.depths[0].depth, run.depths[-1].depth
    headers = ["operation", f"p99 ms at {first:,}", f"p99 ms at {last:,}", "ratio"]
    return table([*headers, f"≤ {run.target_ratio:g}"], rows)


BUSY_PRESSURE_PCT = 25.0


def _busy_warning(run: Run) -> list[str]:
    busy = [
        f"{r.depth:,}"
        for r in run.depths
        if r.cpu_pressure_pct is not None and r.cpu_pressure_pct > BUSY_PRESSURE_PCT
    ]
    if not busy:
        return []
    return [
        f"**Warning: tasks waited for a CPU over {BUSY_PRESSURE_PCT:g} % of the time while "
        f"measuring at {' and '.join(busy)}: the machine was busy, and the depths are not "
        "compared fairly. Rerun when it is quiet.**",
        "",
    ]


def render_section(run: Run) -> str:
    """The docs section, markers included."""
    env, last = run.environment, run.depths[-1]
    columns = ["op", "waiting", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"]
    facts: list[list[object]] = [
        ["run", run.started_at],
        ["command", f"`{env.get('rerun', 'boxoffice queue-depth')}`"],
        ["commit", env.get("commit", "?")],
        ["machine", env.get("machine", "?")],
        ["load average before / after", f"{env.get('load_before')} / {env.get('load_after')}"],
        ["options", ", ".join(f"{k} {v}" for k, v in run.options.items())],
        ["server", env.get("server", "?")],
    ]
    for result in run.depths:
        pressure = result.cpu_pressure_pct
        shown = "not available" if pressure is None else f"{pressure:.0f} %"
        facts += [
            [
                f"fill to {result.depth:,}",
                f"{result.filled:,} passes in {result.fill_seconds:.1f} s; waiting "
                f"{result.waiting_before:,} before / {result.waiting_after:,} after measuring",
            ],
            [
                f"machine while measuring at {result.depth:,}",
                f"CPU pressure {shown} (PSI some); load {result.load_average}; requests sent "
                f"late by {result.late_p99_ms:.1f} ms at p99; SLOWLOG: {result.slowlog}",
            ],
        ]
    facts += [
        [
            f"Redis memory at {last.depth:,} (INFO memory)",
            f"used_memory {_mib(last.used_memory)}; "
            f"{_mib(last.used_memory - run.memory_before_fill)} more than before the fill",
        ],
        ["fans admitted while measuring", run.admitted_during_run],
        ["Redis SLOWLOG naming the room, whole run (fill included)", run.slowlog],
    ]
    lines = [
        START,
        "## Waiting room at depth (issue 4)",
        "",
        "Written by `scripts/bench-queue` (rerun it, do not edit by hand). Synthetic waiting",
        "passes are written into Redis through `RedisWaitingRoomStore.join` (same room as the",
        "server, user ids from 10¹²), admission is held (max_active 1, admit_per_minute 1), then",
        "logged-in fans join (`POST /api/v1/queue/tokens`, landing behind the whole line, then",
        "leave again) and poll (`GET /api/v1/queue/status`) at a fixed offered rate over",
        "keep-alive connections. Latency counts from the scheduled send time. The server runs",
        "with cheap password hashing, no per-IP limit, per-account limits of 1,000,000 a minute",
        "and BOXOFFICE_POLL_PACE_RATIO=0.01, so the benchmark client itself is not refused.",
        "",
        *table(["", ""], facts),
        "",
        *_busy_warning(run),
        f"### Target: p99 at {last.depth:,} ≤ {run.target_ratio:g} × p99 at "
        f"{run.depths[0].depth:,}",
        "",
        *_verdict(run),
        "",
        "### Over HTTP",
        "",
        *table([*columns, "errors"], _latency_rows(run, "http")),
        "",
        "### In the store alone (RedisWaitingRoomStore, one call at a time, no HTTP)",
        "",
        "Redis µs/call: EVALSHA time inside Redis over the same calls (INFO commandstats).",
        "",
        *table([*columns, "Redis µs/call"], _latency_rows(run, "store")),
        "",
        END,
    ]
    return "\n".join(lines)


def replace_section(document: str, section: str) -> str:
    """`document` with the text between the markers (markers included) replaced by `section`.

    Without the markers the section is appended at the end; a lone or misplaced marker is an
    error, so that a damaged file is never half overwritten.
    """
    start, end = document.find(START), document.find(END)
    if start == -1 and end == -1:
        separator = "" if not document or document.endswith("\n\n") else "\n"
        if document and not document.endswith("\n"):
            separator = "\n\n"
        return document + separator + section + "\n"
    if start == -1 or end == -1 or end < start:
        raise ValueError("docs: the queue-depth markers are incomplete or out of order")
    if document.count(START) != 1 or document.count(END) != 1:
        raise ValueError("docs: the queue-depth markers appear more than once")
    return document[:start] + section + document[end + len(END) :]
