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
PREFIX = "crmgraph-metrics-"  # then the serve's pid: a folder whose serve is gone is swept


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
    sweep(Path(tempfile.gettempdir()))
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder, True


def sweep(parent: Path) -> None:
    """Remove the folders of serves that were killed outright (they could not remove theirs)."""
    for folder in parent.glob(f"{PREFIX}*-*"):
        pid = folder.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
