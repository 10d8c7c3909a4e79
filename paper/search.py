"""The only module that runs Pagefind: a full-text search index for the website, made on disk
so that search works on any static host with no server code."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)
TIME_LIMIT = 120


def index_site(site: Path) -> None:
    """Write site/pagefind/ (the index and the search interface's scripts and styles)."""
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--quiet"]
    log.debug("%s", " ".join(command))
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIME_LIMIT)
    if result.returncode != 0:
        raise RuntimeError(f"pagefind failed: {result.stderr.strip() or result.stdout.strip()}")
