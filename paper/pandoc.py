"""The only module that runs pandoc: version checked once, commands logged, errors raised."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypandoc

from . import fastjson
from .cache import Cache, file_digest

log = logging.getLogger(__name__)
MINIMUM_VERSION = (3, 1, 2)
FILTERS = Path(__file__).parent / "filters"
TIME_LIMIT = int(os.environ.get("PAPER_PANDOC_TIME_LIMIT", "300"))
"""Seconds one pandoc run may take before it is stopped."""
LARGE = 2_000_000
"""Characters of input (a paper of some 150 pages) from which a run waits for any other such
run to finish: pandoc needs some 50 bytes of memory per character, and the EPUB, the PDF's
HTML and the website's one-page paper would otherwise hold three copies at once."""
ONE_LARGE = threading.Lock()
AT_ONCE = threading.BoundedSemaphore(max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                         else os.cpu_count() or 1))
"""pandoc runs at once, one per processor: the formats' threads (the PDF's HTML, the website's
pages, the EPUB) would otherwise start five at a time, which is no faster on two processors
and holds five pandoc processes in memory (some 100 MB each, 300 MB for a long EPUB)."""


class PandocError(Exception):
    """Pandoc failed; carries its message (with a line number where pandoc gives one)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@functools.cache
def executable() -> str:
    """Path of the pandoc that pypandoc-binary ships, checked to be recent enough."""
    path = pypandoc.get_pandoc_path()
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    found = re.match(r"pandoc\S* ([\d.]+)", out)
    version = tuple(int(n) for n in found.group(1).split(".")) if found else (0,)
    if version < MINIMUM_VERSION:
        raise RuntimeError(f"pandoc {'.'.join(map(str, version))} at {path} is too old; "
                           f"this tool needs {'.'.join(map(str, MINIMUM_VERSION))} or newer")
    log.debug("using pandoc %s at %s", ".".join(map(str, version)), path)
    return path


@functools.cache
def api_version() -> tuple[int, ...]:
    """The version of pandoc's document format (JSON), as this pandoc writes it."""
    output, _warnings = execute(["--from=markdown", "--to=json"], "", FILTERS, 0)
    return tuple(json.loads(output)["pandoc-api-version"])


def cache_key(cache: Cache, args: list[str], text: str, source_date_epoch: int,
              depends: tuple[Path, ...], made_from: str = "") -> str:
    """What a pandoc run depends on: its arguments (a file given as an argument by its content,
    not its path, since staging folders change names), its input (or what it is made from), and
    the files in `depends`."""
    parts = [executable(), str(source_date_epoch), f"made from {made_from}" if made_from else "input", text]
    for arg in args:
        name, _, value = arg.partition("=")
        if name in ("--output", "--resource-path"):  # a staging folder; what is in it is in `depends`
            continue
        parts.append(f"{name}={file_digest(Path(value))}" if value and Path(value).is_file() else arg)
    parts += [f"{path}={file_digest(path)}" for path in depends]
    return cache.key(*parts)


Input = str | Callable[[], str]
"""What pandoc reads on stdin, or what makes it when it is needed (see `made_from`)."""


def run(args: list[str], text: Input, cwd: Path, source_date_epoch: int, quiet: bool = False,
        cache: Cache | None = None, depends: tuple[Path, ...] = (), made_from: str = "") -> str:
    output, warnings = run_with_warnings(args, text, cwd, source_date_epoch, cache, depends, made_from)
    if not quiet:
        NOTES.extend(warnings)
    return output


NOTES: list[str] = []
"""pandoc's warnings while assembling and rendering, in this process, for the pipeline to report
as diagnostics (those about one chapter are reported when it is read, at its line)."""


def notes() -> tuple[str, ...]:
    """pandoc's warnings since the last call."""
    found = tuple(dict.fromkeys(NOTES))
    NOTES.clear()
    return found


def run_with_warnings(args: list[str], text: Input, cwd: Path, source_date_epoch: int,
                      cache: Cache | None = None, depends: tuple[Path, ...] = (),
                      made_from: str = "") -> tuple[str, list[str]]:
    """Run pandoc with `text` on stdin; return its stdout or raise PandocError.

    Its warnings are returned (`run` keeps them in NOTES unless `quiet`). With a
    `cache`, a run with the same arguments, input and `depends` files returns what it
    returned before. `made_from`, when the caller knows it, is what the input is made from
    (a key that gives the same input whenever it is the same): the run is then kept by it,
    and a callable `text` is only called when pandoc really runs.
    """
    if cache and made_from:
        key = cache_key(cache, args, "", source_date_epoch, depends, made_from)
    else:
        text = text() if callable(text) else text
        key = cache_key(cache, args, text, source_date_epoch, depends) if cache else ""
    stored = cache.get(key) if cache else None
    if stored is not None:
        result = fastjson.loads(stored)
        return result["output"], result["warnings"]
    output, warnings = execute(args, text() if callable(text) else text, cwd, source_date_epoch)
    if cache:
        cache.put(key, fastjson.dumpb({"output": output, "warnings": warnings}))
    return output, warnings


def execute(args: list[str], text: str, cwd: Path, source_date_epoch: int,
            sandbox: bool = True) -> tuple[str, list[str]]:
    """pandoc's output and its warnings, or PandocError. In pandoc's sandbox (the default) its
    readers and writers open no file and no address but those on its command line."""
    command = [executable(), *(["--sandbox"] if sandbox else []), *args]
    log.debug("pandoc %s", " ".join(args))
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8",
           "SOURCE_DATE_EPOCH": str(source_date_epoch)}
    try:
        with ONE_LARGE if len(text) > LARGE else contextlib.nullcontext(), AT_ONCE:
            result = subprocess.run(command, input=text.encode("utf-8"), capture_output=True,
                                    cwd=cwd, env=env, timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired as exc:
        raise PandocError(f"pandoc took longer than {TIME_LIMIT} s and was stopped; a chapter may "
                          "be far too long or nest lists or quotations very deeply") from exc
    stderr = result.stderr.decode("utf-8", "replace").strip()
    if result.returncode != 0:
        match = re.search(r"line (\d+)", stderr)
        raise PandocError(stderr or f"pandoc exited with status {result.returncode}",
                          int(match.group(1)) if match else None)
    return result.stdout.decode("utf-8"), stderr.splitlines()


def run_binary(args: list[str], document: dict[str, Any], cwd: Path, source_date_epoch: int,
               output: Path, cache: Cache | None = None, depends: tuple[Path, ...] = (),
               prepare: Callable[[], None] = lambda: None) -> None:
    """Convert a pandoc JSON document into a binary format written to `output` (the EPUB).

    Outside pandoc's sandbox, which would keep the EPUB writer from its stylesheet and cover:
    the caller runs it in a folder holding only the files it may read, which `prepare` fills
    when pandoc really runs (not when the cache holds the result)."""
    args = ["--from=json", f"--output={output}", *args]
    text = fastjson.dumps(document)
    key = cache_key(cache, args, text, source_date_epoch, depends) if cache else ""
    stored = cache.get(key) if cache else None
    if stored is not None:
        output.write_bytes(stored)
        return
    prepare()
    _output, warnings = execute(args, text, cwd, source_date_epoch, sandbox=False)
    NOTES.extend(warnings)
    if cache:
        cache.put(key, output.read_bytes())


def to_html(document: dict[str, Any] | Callable[[], dict[str, Any]], cwd: Path, source_date_epoch: int,
            args: tuple[str, ...] = (), cache: Cache | None = None, made_from: str = "") -> str:
    """A pandoc JSON document as an HTML5 fragment (kept by `made_from`, if given: see
    `run_with_warnings`; the document may then be a callable that makes it)."""
    def text() -> str:
        return fastjson.dumps(document() if callable(document) else document)

    return run(["--from=json", "--to=html5", "--wrap=none", *args], text, cwd, source_date_epoch, cache=cache,
               made_from=made_from)


def data_file(name: str) -> bytes:
    """One of pandoc's own data files (its reference.docx), as pandoc ships it."""
    result = subprocess.run([executable(), f"--print-default-data-file={name}"], capture_output=True,
                            timeout=TIME_LIMIT, check=True)
    return result.stdout


def filter_path(name: str) -> str:
    return str(FILTERS / name)
