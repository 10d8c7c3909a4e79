"""Worker processes: the editions of a paper, and the pieces of a PDF's layout, each in a
process of its own (WeasyPrint's layout keeps one core busy). Started with "spawn", so a
worker shares nothing with the threads of the process that started it."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SAMPLE = 0.2
"""Seconds over which the machine's load is sampled before the layout processes are started."""
PROCESSORS = "PAPER_PROCESSORS"
"""An environment variable: how many processors a build may use at most (`paper series build`
gives each paper it builds one, since it builds one paper per processor)."""


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool whose workers log as this process does."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=worker_logging,
                               initargs=(logging.getLogger("paper").getEffectiveLevel(),))


def worker_logging(level: int) -> None:
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    for noisy in ("weasyprint", "fontTools", "PIL", "pikepdf"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def free_processors() -> int:
    """How many processors this build may use that nothing else keeps busy: those it is allowed
    to run on (its affinity, as a container or `taskset` sets it), less what the rest of the
    machine spent busy over a short sample (/proc/stat, Linux, less this process's own threads).
    Laying out ahead only pays on a free processor: on a busy one it slows the layout that must
    finish first. At most PAPER_PROCESSORS if it is set; at least 1."""
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if os.environ.get(PROCESSORS, "").isdigit():
        allowed = max(1, min(allowed, int(os.environ[PROCESSORS])))
    if allowed == 1:
        return 1
    try:
        first, own = processor_times(), own_seconds()
        time.sleep(SAMPLE)
        second, own = processor_times(), own_seconds() - own
    except (OSError, ValueError):
        return allowed
    busy, total = (b - a for a, b in zip(first, second, strict=True))
    elsewhere = max(0.0, busy - own * os.sysconf("SC_CLK_TCK"))  # this build's own threads are not "something else"
    others = (os.cpu_count() or 1) * elsewhere / total if total else 0
    return max(1, min(allowed, round((os.cpu_count() or 1) - others)))


def own_seconds() -> float:
    """Processor time this process (every thread) and the children it waited for have used."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def processor_times() -> tuple[int, int]:
    """(busy, all) time of every processor together since the machine started, in ticks."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and waiting for the disk
    total = sum(fields[:8])  # guest time is counted in user time already
    return total - idle, total
