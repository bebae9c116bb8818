"""The Grafana dashboard in the repository (docs/grafana/boxoffice.json) charts only metrics the
service exports, and is laid out as Grafana reads it."""

from __future__ import annotations

import json
import re
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "boxoffice.json"
METRIC = re.compile(r"\bboxoffice_[a-z_]+")
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def exported(text: str) -> set[str]:
    """The metric families of a /metrics page (`# TYPE` lines: counters without `_total`)."""
    return set(re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE))


def family(name: str, families: set[str]) -> str | None:
    if name in families:
        return name
    for suffix in SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in families:
            return name.removesuffix(suffix)
    return None


def panels() -> list[dict]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_the_dashboard_is_laid_out_on_grafana_s_grid() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        place = panel["gridPos"]
        assert place["x"] + place["w"] <= 24, panel["title"]
    for panel in panels():
        assert panel["targets"], panel["title"]
        assert all(target["expr"] for target in panel["targets"])
        assert panel["datasource"]["uid"] == "${datasource}"
    assert {v["name"] for v in dashboard["templating"]["list"]} == {"datasource"}


async def test_every_metric_the_dashboard_charts_is_exported(client, shop) -> None:
    date = await shop.date_on_sale(seat_count=2, price=1_000)
    fan = await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1])
    await shop.charge(fan, 1_000)
    await shop.pay(fan, held["id"])
    text = (await client.get("/metrics")).text
    families = exported(text)

    charted = {name for p in panels() for t in p["targets"] for name in METRIC.findall(t["expr"])}

    assert len(charted) >= 12
    missing = sorted(name for name in charted if family(name, families) is None)
    assert missing == [], f"charted but not exported: {missing}"
