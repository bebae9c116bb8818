"""A served worker tunes its garbage collector; building an app for a test does not."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from boxoffice.platform.runtime import GC_THRESHOLDS

PROBE = """
import gc, json
from boxoffice.app import create_served_app
before = {"thresholds": gc.get_threshold(), "frozen": gc.get_freeze_count()}
create_served_app()
after = {"thresholds": gc.get_threshold(), "frozen": gc.get_freeze_count()}
print(json.dumps({"before": before, "after": after}))
"""


def test_a_served_app_freezes_its_heap_and_collects_less_often(tmp_path: Path) -> None:
    env = {**os.environ, "BOXOFFICE_DATA_DIR": str(tmp_path)}
    for name in ("BOXOFFICE_DATABASE_URL", "BOXOFFICE_REDIS_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert tuple(seen["before"]["thresholds"]) != GC_THRESHOLDS
    assert tuple(seen["after"]["thresholds"]) == GC_THRESHOLDS
    assert seen["after"]["frozen"] > 10_000  # the imported modules and the built app


def test_building_an_app_leaves_the_collector_alone(tmp_path: Path) -> None:
    from boxoffice.app import create_app
    from boxoffice.settings import Settings

    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    create_app(Settings(data_dir=tmp_path), background=False)

    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, frozen)
