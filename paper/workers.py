"""Worker processes: the editions of a paper, and the pieces of a PDF's layout, each in a
process of its own (WeasyPrint's layout keeps one core busy). Started with "spawn", so a
worker shares nothing with the threads of the process that started it."""

from __future__ import annotations

import logging
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool whose workers log as this process does."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker_logging,
                               initargs=(logging.getLogger("paper").getEffectiveLevel(),))


def worker_logging(level: int) -> None:
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    for noisy in ("weasyprint", "fontTools", "PIL", "pikepdf"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
