"""The only module that runs Pagefind: a full-text search index for the website, made on disk
so that search works on any static host with no server code."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)
TIME_LIMIT = 120
SINGLE_PAGE = "all.html"


@contextlib.contextmanager
def single_pages_hidden(site: Path) -> Iterator[dict[Path, Path]]:
    """Every paper's single page (all.html) moved aside while Pagefind indexes the site: its
    chapters have pages of their own, and each passage should be found once. Yields where
    each one is meanwhile."""
    held = {path: path.with_name(path.name + ".held") for path in sorted(site.rglob(SINGLE_PAGE))}
    for path, aside in held.items():
        os.replace(path, aside)
    try:
        yield held
    finally:
        for path, aside in held.items():
            os.replace(aside, path)


def index_site(site: Path) -> None:
    """Write site/pagefind/ (the index and the search interface's scripts and styles)."""
    command = [sys.executable, "-m", "pagefind", "--site", str(site), "--quiet"]
    log.debug("%s", " ".join(command))
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIME_LIMIT)
    if result.returncode != 0:
        raise RuntimeError(f"pagefind failed: {result.stderr.strip() or result.stdout.strip()}")
    # With several languages Pagefind lists them in a random order: sorted, the same sources
    # give the same bytes.
    entry = site / "pagefind" / "pagefind-entry.json"
    if entry.is_file():
        data = json.loads(entry.read_text(encoding="utf-8"))
        entry.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                         encoding="utf-8")
