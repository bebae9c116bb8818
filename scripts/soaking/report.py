"""The soak's verdict: what each process held after warm-up and at the end, and every answer.

A process's figure "after warm-up" is the median of the samples from 15 % to 25 % of the run,
its figure "at the end" the median of the last 10 %: a median, so one sample taken while a
connection happened to be reopened or an event stream was open does not decide the verdict.
Growth is end over warm-up; 10 % or more of any figure fails the run, as does any 5xx, any
request with no answer, a watched process that died or was replaced, or a traceback in the log.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from scripts.soaking.shop import Traffic

__all__ = ["GROWTH_LIMIT", "Figure", "judge", "markdown", "traffic_summary"]

GROWTH_LIMIT = 10.0  # percent
WARM_FROM, WARM_TO, END_FROM = 0.15, 0.25, 0.90
# PostgreSQL's processes map the shared buffers: VmRSS counts every page of them a process has
# touched (each backend again), and that grows as the data does until the buffers are all
# touched. Their own memory, the one a leak would grow, is RssAnon.
MEMORY = {"postgres backends": "anon_kib", "postgres server": "anon_kib"}
MEMORY_NAMES = {"rss_kib": "RSS (VmRSS)", "anon_kib": "private memory (RssAnon)"}
FIGURES = ("memory", "open_files", "tcp")


@dataclass(frozen=True)
class Figure:
    process: str
    figure: str  # what was measured: RSS (VmRSS), open files, TCP connections ...
    first: float
    warm: float
    end: float
    peak: float

    @property
    def growth(self) -> float:
        if self.warm == 0:
            return 0.0 if self.end == 0 else math.inf
        return (self.end - self.warm) / self.warm * 100

    @property
    def passed(self) -> bool:
        return self.growth < GROWTH_LIMIT


def _value(sample: dict[str, Any], process: str, figure: str) -> float | None:
    found = sample["processes"].get(process)
    if found is None or not found["pids"]:
        return None
    key = MEMORY.get(process, "rss_kib") if figure == "memory" else figure
    return float(found[key])


def _window(samples: list[dict[str, Any]], start: float, end: float) -> list[dict[str, Any]]:
    inside = [s for s in samples if start <= s["seconds"] <= end]
    if inside:
        return inside
    middle = (start + end) / 2
    return [min(samples, key=lambda s: abs(s["seconds"] - middle))]


def figures(samples: list[dict[str, Any]], seconds: float) -> list[Figure]:
    """Every process's figures: first sample, after warm-up, at the end, and peak since."""
    warm = _window(samples, WARM_FROM * seconds, WARM_TO * seconds)
    end = _window(samples, END_FROM * seconds, math.inf)
    since = [s for s in samples if s["seconds"] >= WARM_FROM * seconds] or samples
    found = []
    for process in samples[0]["processes"]:
        for figure in FIGURES:
            name = MEMORY_NAMES[MEMORY.get(process, "rss_kib")] if figure == "memory" else figure
            found.append(
                Figure(
                    process,
                    name.replace("open_files", "open files").replace("tcp", "TCP connections"),
                    _values(samples[:1], process, figure)[0],
                    statistics.median(_values(warm, process, figure)),
                    statistics.median(_values(end, process, figure)),
                    max(_values(since, process, figure)),
                )
            )
    return found


def cache_fill(samples: list[dict[str, Any]], seconds: float) -> list[str]:
    """Each bounded cache's entries (over the workers) after warm-up and at the end: a figure
    still climbing towards its bound at the end is warm-up that has not finished."""
    warm = _window(samples, WARM_FROM * seconds, WARM_TO * seconds)
    end = _window(samples, END_FROM * seconds, math.inf)
    names = sorted({name for s in samples for name in s["room"].get("caches", {})})

    def median(chosen: list[dict[str, Any]], name: str) -> float:
        found = [s["room"]["caches"][name] for s in chosen if name in s["room"].get("caches", {})]
        return statistics.median(found) if found else 0.0

    return [f"{name}: {median(warm, name):,.0f} -> {median(end, name):,.0f}" for name in names]


def _values(chosen: list[dict[str, Any]], process: str, figure: str) -> list[float]:
    found = (_value(s, process, figure) for s in chosen)
    return [v for v in found if v is not None] or [0.0]


def group_sizes(samples: list[dict[str, Any]], seconds: float) -> list[str]:
    """For PostgreSQL's client backends: how many, and what one holds on average, after
    warm-up and at the end (a pool that opened more connections grows the group, not each)."""
    lines = []
    for process in ("postgres backends",):
        spans = []
        for span in (
            _window(samples, WARM_FROM * seconds, WARM_TO * seconds),
            _window(samples, END_FROM * seconds, math.inf),
        ):
            held = [s["processes"][process] for s in span if s["processes"].get(process)]
            count = statistics.median(len(h["pids"]) for h in held)
            memory = statistics.median(h["anon_kib"] / max(1, len(h["pids"])) for h in held)
            files = statistics.median(h["open_files"] / max(1, len(h["pids"])) for h in held)
            spans.append(f"{count:g} processes, {memory / 1024:.1f} MiB and {files:.0f} files each")
        distinct = len(
            {pid for s in samples for pid in s["processes"].get(process, {}).get("pids", [])}
        )
        lines.append(
            f"{process}: {spans[0]} after warm-up; {spans[1]} at the end; "
            f"{distinct} distinct backends over the run"
        )
    return lines


def replaced_processes(samples: list[dict[str, Any]]) -> list[str]:
    """Single processes (master, workers, Redis) that vanished or changed pid during the run."""
    problems = []
    for process in samples[0]["processes"]:
        if process.startswith("postgres"):
            continue  # groups: their members are counted, not named
        seen = [tuple(s["processes"].get(process, {}).get("pids", [])) for s in samples]
        if len(set(seen)) > 1:
            changes = " -> ".join(str(list(pids)) for pids in dict.fromkeys(seen))
            problems.append(f"{process}: pids {changes}")
    return problems


def traffic_summary(traffic: Traffic, seconds: float) -> dict[str, Any]:
    """Totals, answers by endpoint, and the run in tenths: rate, latency, 5xx."""
    counts: Counter[str] = Counter()
    for answers in traffic.by_endpoint.values():
        for label, count in answers.items():
            counts[f"{label[0]}xx" if label[0].isdigit() else "no answer"] += count
    minutes = sorted(traffic.minutes.items())
    parts = min(10, len(minutes))
    tenths = []
    for part in range(parts):
        chosen = minutes[part * len(minutes) // parts : (part + 1) * len(minutes) // parts]
        latencies = sorted(latency for _, m in chosen for latency in m.all_latencies())
        # The last minute may be short: its rate is over the seconds it had.
        lasted = sum(max(1.0, min(60.0, seconds - 60 * index)) for index, _ in chosen)
        tenths.append(
            {
                "minutes": [chosen[0][0], chosen[-1][0] + 1],
                "requests_per_second": round(sum(m.requests for _, m in chosen) / lasted, 1),
                "p50_ms": _percentile(latencies, 0.50),
                "p99_ms": _percentile(latencies, 0.99),
                "server_errors": sum(m.server_errors for _, m in chosen),
                "no_answer": sum(m.transport_errors for _, m in chosen),
            }
        )
    if traffic.drain.requests:
        drain = traffic.drain
        tenths.append(
            {
                "minutes": ["drain", ""],
                "requests_per_second": None,
                "p50_ms": _percentile(sorted(drain.all_latencies()), 0.50),
                "p99_ms": _percentile(sorted(drain.all_latencies()), 0.99),
                "server_errors": drain.server_errors,
                "no_answer": drain.transport_errors,
            }
        )
    return {
        "requests": traffic.requests,
        "requests_per_second": round(traffic.requests / seconds, 1) if seconds else 0.0,
        "by_class": dict(sorted(counts.items())),
        "server_errors": counts["5xx"],
        "no_answer": counts["no answer"],
        "by_endpoint": {e: dict(sorted(a.items())) for e, a in sorted(traffic.by_endpoint.items())},
        "latency_by_endpoint": _endpoint_latencies(traffic, seconds),
        "server_error_samples": traffic.server_error_samples,
        "over_the_run": tenths,
    }


def _endpoint_latencies(traffic: Traffic, seconds: float) -> dict[str, dict[str, Any]]:
    """Each endpoint's p50 and p99 in the minutes after warm-up and the last minutes: an
    endpoint that slows down as the data grows shows here."""
    warm = range(int(WARM_FROM * seconds // 60), int(WARM_TO * seconds // 60) + 1)
    end = range(int(END_FROM * seconds // 60), math.ceil(seconds / 60))
    found = {}
    for endpoint in sorted(traffic.by_endpoint):
        spans = {}
        for name, minutes in (("warm", warm), ("end", end)):
            chosen = (traffic.minutes[m] for m in minutes if m in traffic.minutes)
            latencies = sorted(lat for m in chosen for lat in m.latencies.get(endpoint, []))
            spans[name] = [_percentile(latencies, 0.50), _percentile(latencies, 0.99)]
        found[endpoint] = spans
    return found


def cpu_percent(samples: list[dict[str, Any]], seconds: float, ticks: int) -> dict[str, float]:
    """Each process's CPU from warm-up to the last sample, in % of one core (a group's may
    read low: the time of its members that exited is no longer counted)."""
    first = _window(samples, WARM_FROM * seconds, WARM_TO * seconds)[0]
    last = samples[-1]
    elapsed = max(1.0, last["seconds"] - first["seconds"])
    shares = {}
    for process, held in last["processes"].items():
        before = first["processes"].get(process, {}).get("cpu_ticks", 0)
        used = max(0, held["cpu_ticks"] - before) / ticks
        shares[process] = round(used / elapsed * 100, 1)
    return shares


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(share * len(values)))] * 1000, 1)


def judge(
    samples: list[dict[str, Any]], seconds: float, traffic: dict[str, Any], tracebacks: int
) -> dict[str, Any]:
    """The verdict and its reasons."""
    found = figures(samples, seconds)
    reasons = [
        f"{f.process}: {f.figure} grew {f.growth:.1f} % "
        f"({_number(f.warm, f.figure)} -> {_number(f.end, f.figure)})"
        for f in found
        if not f.passed
    ]
    if traffic["server_errors"]:
        reasons.append(f"{traffic['server_errors']} answers were 5xx")
    if traffic["no_answer"]:
        reasons.append(f"{traffic['no_answer']} requests got no answer")
    reasons += [f"replaced or gone: {p}" for p in replaced_processes(samples)]
    if tracebacks:
        reasons.append(f"{tracebacks} tracebacks in the serve log")
    return {"passed": not reasons, "reasons": reasons, "figures": found}


def _number(value: float, figure: str) -> str:
    if "memory" in figure or "RSS" in figure:
        return f"{value / 1024:.1f} MiB"
    return f"{value:g}"


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def markdown(meta: dict[str, Any], verdict: dict[str, Any], traffic: dict[str, Any]) -> str:
    """The summary: how it ran, the verdict, per-process figures, traffic."""
    lines = [
        f"**Verdict: {'PASS' if verdict['passed'] else 'FAIL'}**"
        + ("" if verdict["passed"] else " - " + "; ".join(verdict["reasons"])),
        "",
        f"- Command: `{meta['command']}`; commit {meta['commit']}; started {meta['started_at']}",
        f"- Machine: {meta['machine']}; load average {meta['load_before']} before, "
        f"{meta['load_after']} after",
        f"- Load: {meta['load_text']}",
        f"- Served: {meta['served']}",
        f"- Sampled every {meta['sample_seconds']:g} s ({meta['samples']} samples); after warm-up "
        f"= median of the samples at {WARM_FROM:.0%}-{WARM_TO:.0%} of the run, end = median of "
        f"the last {1 - END_FROM:.0%}; growth must stay under {GROWTH_LIMIT:g} %",
        "",
        "| process | figure | first | after warm-up | end | growth | peak |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for f in verdict["figures"]:
        growth = "n/a" if math.isinf(f.growth) else f"{f.growth:+.1f} %"
        mark = "" if f.passed else " **(>= 10 %)**"
        lines.append(
            f"| {f.process} | {f.figure} | {_number(f.first, f.figure)} | "
            f"{_number(f.warm, f.figure)} | {_number(f.end, f.figure)} | {growth}{mark} | "
            f"{_number(f.peak, f.figure)} |"
        )
    cpu = ", ".join(f"{name} {share:g} %" for name, share in meta["cpu_percent"].items())
    lines += ["", f"CPU from warm-up to the end, % of one core: {cpu}"]
    lines += ["", *(f"- {line}" for line in meta["groups"])]
    if meta["caches"]:
        lines += [
            "",
            "Bounded per-process caches, entries over the workers after warm-up -> at the end "
            "(`boxoffice_process_cache_entries`; bounds per worker in Served): "
            + "; ".join(meta["caches"]),
        ]
    classes = ", ".join(f"{k} {v:,}" for k, v in sorted(traffic["by_class"].items()))
    lines += [
        "",
        f"Requests: {traffic['requests']:,} ({traffic['requests_per_second']} /s): {classes}; "
        f"**5xx: {traffic['server_errors']}**, no answer: {traffic['no_answer']}; "
        f"{meta['outcome']}",
        "",
        "| minutes | requests/s | p50 ms | p99 ms | 5xx | no answer |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for part in traffic["over_the_run"]:
        span = "-".join(str(m) for m in part["minutes"] if m != "")
        if span == "drain":
            span = "drain (the fans in flight finish)"
        rate, p50, p99 = (_shown(part[k]) for k in ("requests_per_second", "p50_ms", "p99_ms"))
        lines.append(
            f"| {span} | {rate} | {p50} | {p99} | {part['server_errors']} | {part['no_answer']} |"
        )
    lines += [
        "",
        "| endpoint | answers | p50 / p99 ms after warm-up | p50 / p99 ms at the end |",
        "|---|---|---:|---:|",
    ]
    for endpoint, answers in traffic["by_endpoint"].items():
        text = ", ".join(f"{label}: {count:,}" for label, count in answers.items())
        spans = traffic["latency_by_endpoint"][endpoint]
        warm, end = (" / ".join(_shown(v) for v in spans[name]) for name in ("warm", "end"))
        lines.append(f"| {endpoint} | {text} | {warm} | {end} |")
    return "\n".join(lines) + "\n"
