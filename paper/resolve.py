"""The one answer to "may the build read this?", for every path and URL an author or an editor
writes: image nodes, links, raw HTML and SVG attributes, paper.yaml's files, CSL styles.

A file may be read when its real path (symlinks followed) is a file inside the project folder.
Anything with a scheme (http:, file:, data:…) is remote and never read. URLs are first read as
a browser reads them: entities decoded, control characters and spaces removed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)
LINK_SCHEMES = {"http", "https", "mailto"}
"""What a link in a chapter may lead to, besides places in the paper and files in the project."""


def normalise_url(url: str) -> str:
    """The URL as a browser acts on it: `javascript&#58;x` and `\\x01java\\tscript:x` are both
    `javascript:x`."""
    text = html.unescape(url)
    return "".join(ch for ch in text if ch > " " and ch != "\x7f")


def scheme(url: str) -> str:
    """The URL's scheme in lower case ("http", "javascript"), or "" for a path or a #place."""
    match = SCHEME.match(normalise_url(url))
    return match.group(1).lower() if match else ""


def safe_link(url: str) -> bool:
    """Whether a link's target may stay: a place, a relative path or an allowed scheme (also
    once percent-escapes are decoded: 'java%09script:' is no path an author means)."""
    kinds = {scheme(url), scheme(normalise_url(unquote(url)))} - {""}
    return kinds <= LINK_SCHEMES


@dataclass(frozen=True)
class Resolved:
    """A path that the build may read, or why not."""

    path: Path | None
    """Relative to the project folder; None when refused."""
    reason: str = ""
    """"remote", "outside" or "missing" when refused."""


class Resolver:
    """Resolves what the project's files name, relative to a list of folders, inside `root`."""

    def __init__(self, root: Path):
        self.root = root.resolve()

    def inside(self, path: Path) -> Path | None:
        """The project-relative real path of `path` if it lies inside the project."""
        try:
            real = path.resolve()
        except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
            return None
        return real.relative_to(self.root) if real.is_relative_to(self.root) else None

    def file(self, target: str, bases: Iterable[Path] = (Path("."),)) -> Resolved:
        """A file named in a chapter (looked up in each of `bases`, project-relative, in turn)."""
        if scheme(target):
            return Resolved(None, "remote")
        clean = normalise_url(target).split("#")[0].split("?")[0] if target.strip() else ""
        if not clean:
            return Resolved(None, "missing")
        inside_somewhere = False
        for name in dict.fromkeys((target.strip(), clean, unquote(clean))):
            for base in bases:
                found = self.inside(self.root / base / name)
                if found is not None:
                    inside_somewhere = True
                    if (self.root / found).is_file():
                        return Resolved(found)
        return Resolved(None, "missing" if inside_somewhere else "outside")

    def project_file(self, name: str) -> Path | None:
        """A file paper.yaml names, from the project folder; None if it is not one inside it."""
        found = self.file(name)
        return found.path


def chapter_bases(chapter: Path) -> tuple[Path, ...]:
    """Where a chapter's images and linked files are looked for: next to it, next to the source
    chapters (for a translation in chapters/es/), then from the project folder."""
    return (chapter.parent, Path("chapters"), Path("."))


def refusal(target: str, reason: str, what: str = "image") -> str:
    """The message for a refused file, saying how to fix it."""
    if reason == "remote" and scheme(target) in ("http", "https", "ftp"):
        return (f"{what} {target} is on the internet; builds never go online: save it in images/ and "
                "link to that file")
    if reason == "remote":
        return (f"{what} {target} is named by a {scheme(target)}: address, not as a file of the project; builds "
                "read nothing outside the paper's folder: save it in images/ and link to that file")
    if reason == "outside":
        return (f"{what} {target} is outside the project: builds read nothing outside the paper's "
                "folder (symbolic links are followed); copy the file into images/")
    return f"{what} {target} not found next to the chapter or in the project folder: check the file name"
