"""Where the processes of one ``crmgraph serve`` keep their metric samples.

prometheus-client decides how it stores values when it is first imported, from
``PROMETHEUS_MULTIPROC_DIR``; so ``serve`` prepares the folder and sets the variable
before anything imports it, and its workers (and a ``crmgraph import`` given the same
variable) inherit it. This module must not import prometheus-client.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare() -> tuple[Path, bool]:
    """The folder, emptied (samples of an earlier run would be added to this one's); the
    operator's ``PROMETHEUS_MULTIPROC_DIR`` if set, else a new temporary folder. Returns it
    and whether it is ours to remove at exit."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        folder = Path(given)
        if folder.exists():
            for entry in folder.glob("*.db"):
                entry.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        return folder, False
    folder = Path(tempfile.mkdtemp(prefix="crmgraph-metrics-"))
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder, True


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
