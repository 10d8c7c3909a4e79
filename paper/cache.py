"""A content-addressed cache of what a build makes: pandoc's conversions, the laid-out PDF,
the cover and the EPUB, each stored under a hash of everything it was made from (the
sources, the tool's own files, pandoc's version, the options). A rebuild redoes only what
its inputs changed, and a build with nothing changed returns at once.

It lives in output/.cache/ and can be deleted at any time: a cached build and a cold build
give the same bytes (the tests prove it); only the time differs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
FOLDER = ".cache"


@functools.cache
def tool_fingerprint() -> str:
    """A hash of the tool's own files (code, filters, templates, styles, fonts): a new version
    of the tool never reuses what an older one made."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


KEPT_GROUPS = 4
"""Sets of formats whose last build's cache entries are kept (Cache.commit)."""


class Cache:
    """Entries are files named by their key under `folder`. What a build makes is held in
    memory until `commit`, after the build succeeded: a failed build writes nothing. `commit`
    also forgets the entries the build did not use, so the cache never outgrows one build."""

    def __init__(self, folder: Path, persist: bool = True):
        self.folder = folder
        self.persist = persist
        """False (--no-cache): the folder is neither read nor written; what a build makes is
        still shared between its own steps."""
        self.used: set[str] = set()
        self.pending: dict[str, bytes] = {}

    @staticmethod
    def key(*parts: str | bytes) -> str:
        digest = hashlib.sha256(tool_fingerprint().encode())
        for part in parts:
            data = part.encode("utf-8") if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "big") + data)
        return digest.hexdigest()

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def get(self, key: str) -> bytes | None:
        if key in self.pending:
            return self.pending[key]
        path = self.path(key)
        if not self.persist or not path.is_file():
            return None
        self.used.add(key)
        return path.read_bytes()

    def keep(self, key: str) -> bool:
        """Whether the entry is there, kept for later builds though this one does not read it."""
        if key in self.pending:
            return True
        if not self.persist or not self.path(key).is_file():
            return False
        self.used.add(key)
        return True

    def put(self, key: str, data: bytes) -> None:
        self.pending[key] = data

    def commit(self, manifest: dict, forget: bool = True, formats: tuple[str, ...] = ()) -> None:
        """Write what this build made and its manifest; forget what it did not use (unless
        not `forget`: a preview keeps what the full build that follows it will use).

        What the last builds of other `formats` used is not forgotten either (the last
        KEPT_GROUPS sets of formats): the website alone, built on every save by `paper serve`,
        leaves the PDF's pieces for the next full build."""
        if not self.persist:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for key, data in self.pending.items():
            path = self.path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
                file.write(data)
            os.replace(file.name, path)
            self.used.add(key)
        self.pending.clear()
        group, last = ",".join(sorted(formats)), self.manifest().get("uses", {})
        earlier = {name: keys for name, keys in last.items() if name != group}
        uses = dict(list({group: sorted(self.used), **earlier}.items())[:KEPT_GROUPS]) if forget else last
        kept = {key for keys in uses.values() for key in keys} | self.used
        for path in self.folder.glob("??/*") if forget else ():
            if path.name not in kept:
                path.unlink(missing_ok=True)
        (self.folder / "build.json").write_text(json.dumps({**manifest, "uses": uses}, indent=1), encoding="utf-8")

    def amend(self, fields: dict) -> None:
        """Change fields of the last build's manifest, writing nothing else (a build that found
        nothing to do says how the files stood)."""
        if self.persist and (self.folder / "build.json").is_file():
            (self.folder / "build.json").write_text(json.dumps({**self.manifest(), **fields}, indent=1),
                                                    encoding="utf-8")

    def merge(self, other: Cache) -> None:
        """Take in what a worker process made and used with its copy of this cache."""
        self.pending.update(other.pending)
        self.used.update(other.used)

    def manifest(self) -> dict:
        if not self.persist:
            return {}
        path = self.folder / "build.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

