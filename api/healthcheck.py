"""``python -m api.healthcheck``: exit 0 when this host's service is ready, 1 otherwise.

The container's HEALTHCHECK: ``/readyz`` on loopback at ``CRMGRAPH_PORT`` (ready = the
store answers a trivial query within 1 s). Standard library only, no curl in the image.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def ready(port: int, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=timeout) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main() -> int:
    return 0 if ready(int(os.environ.get("CRMGRAPH_PORT", "8000"))) else 1


if __name__ == "__main__":
    sys.exit(main())
