"""The serve's metrics folder: a killed serve's folder is swept by the next one, a live one's kept."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from api.metrics_dir import PREFIX, sweep


def test_folders_of_dead_serves_are_swept(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"{PREFIX}{gone.pid}-abc"
    live = tmp_path / f"{PREFIX}{os.getpid()}-def"
    other = tmp_path / "crmgraph-something-else"
    for folder in (dead, live, other):
        folder.mkdir()
        (folder / "counter_1.db").write_bytes(b"x")
    sweep(tmp_path)
    assert not dead.exists() and live.exists() and other.exists()
