"""The renderers, declared once: what each makes, what it needs from the others, and what the
site offers for download. The pipeline runs the graph declared here; FORMATS, the command's
help and the site's downloads come from it. A new format is one module and one `register` line.

A renderer is a function of one argument, a job, returning the Artifact it made:
- an edition's renderer (scope "edition") gets an EditionJob and runs once per edition, in a
  thread of its own beside the others; `job.need(name)` waits for a step it declared in `needs`;
- a paper's renderer (scope "paper", the website) gets a PaperJob once every edition is done,
  with what each edition made.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..config import DOWNLOADS
from ..diagnostics import error
from ..errors import UserError
from ..model import Artifact, BuildContext, Manuscript

log = logging.getLogger(__name__)

Scope = Literal["edition", "paper"]


@dataclass(frozen=True)
class Format:
    """One step of the render stage: a format a reader gets, or something others use."""

    name: str
    help: str
    """What it makes, in a few words (the command's help)."""
    run: str | Callable[[Any], Artifact]
    """The renderer: "module:function" in paper.renderers (imported when first needed, since
    WeasyPrint alone takes half a second to import), or the function itself."""
    needs: tuple[str, ...] = ()
    """Steps whose results this one reads; they are made too, even when not asked for."""
    scope: Scope = "edition"
    public: bool = True
    """A format one can ask for and that is published; False for a step only others use."""
    offers: tuple[str, ...] = ()
    """Files the website offers for download: "" for the artefact itself, or names inside the
    artefact's folder ("{slug}" is the paper's file name)."""
    reading: bool = True
    """Its downloads are the paper to read (offered as buttons and in the OPDS feed), not
    records for reference managers."""
    default: bool = True
    """Made by a build that names no formats (the DOCX, a copy for reviewers, is made when asked)."""

    def function(self) -> Callable[[Any], Artifact]:
        if callable(self.run):
            return self.run
        module, name = self.run.split(":")
        try:
            return getattr(importlib.import_module(f".{module}", __package__), name)
        except OSError as exc:  # WeasyPrint loads Pango when imported
            raise UserError([error(Path("paper.yaml"), 0, "system-library",
                                   f"the {self.name} cannot be made on this machine: {exc}; WeasyPrint needs "
                                   "the Pango libraries (on Debian or Ubuntu: apt-get install libpango-1.0-0 "
                                   "libpangoft2-1.0-0 libharfbuzz-subset0)")]) from exc


REGISTRY: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add a renderer (after those already there; the order is that of the outputs)."""
    unknown = [n for n in fmt.needs if n not in REGISTRY]
    if unknown:
        raise ValueError(f"{fmt.name} needs {', '.join(unknown)}, which is not registered (register it first)")
    REGISTRY[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    REGISTRY.pop(name, None)


def formats() -> tuple[str, ...]:
    """The formats one can ask for, in the order their outputs are listed."""
    return tuple(f.name for f in REGISTRY.values() if f.public)


def defaults() -> tuple[str, ...]:
    """The formats a build makes when none are named."""
    return tuple(f.name for f in REGISTRY.values() if f.public and f.default)


def steps(asked: tuple[str, ...]) -> list[Format]:
    """The asked formats and every step they need, in registry order (needs first)."""
    wanted: set[str] = set()

    def add(name: str) -> None:
        if name not in wanted:
            wanted.add(name)
            for need in REGISTRY[name].needs:
                add(need)

    for name in asked:
        add(name)
    return [f for f in REGISTRY.values() if f.name in wanted]


def preload(asked: tuple[str, ...]) -> None:
    """Import the renderers the build will run (WeasyPrint takes over half a second), in a
    thread of its own while the paper is read: most of that time is spent waiting for pandoc.
    A renderer that cannot be imported says so when the build runs it (Format.function)."""
    for fmt in steps(asked):
        if isinstance(fmt.run, str):
            try:
                importlib.import_module(f".{fmt.run.split(':')[0]}", __package__)
            except Exception:  # noqa: BLE001  reported where the renderer is needed
                log.debug("could not import the %s renderer ahead", fmt.name)


def unasked(asked: tuple[str, ...]) -> list[tuple[str, str]]:
    """Formats made only because an asked one needs them: (needed, by whom)."""
    out = []
    for fmt in steps(asked):
        if fmt.public and fmt.name not in asked:
            by = next(f.name for f in steps(asked) if fmt.name in f.needs)
            out.append((fmt.name, by))
    return out


@dataclass
class EditionJob:
    """What an edition's renderer works with."""

    manuscript: Manuscript
    context: BuildContext
    staging: Path
    """The folder the renderer writes into (the edition's own, for a translation)."""
    made: dict[str, Future] = field(default_factory=dict)

    def need(self, name: str) -> Artifact:
        """The result of a step this renderer declared in its needs, once it is done."""
        return self.made[name].result()


@dataclass(frozen=True)
class Edition:
    """One edition, rendered: its manuscript, its folder and what each step made."""

    manuscript: Manuscript
    folder: Path
    made: dict[str, Artifact]


@dataclass(frozen=True)
class PaperJob:
    """What a paper's renderer (the website) works with: every edition, the source first."""

    editions: tuple[Edition, ...]
    context: BuildContext
    staging: Path


def downloads(edition: Edition) -> list[tuple[Format, Path]]:
    """The files of an edition the site offers (those of paper.yaml's downloads: that were made,
    and of any other format made that is not one of those downloads: can choose from), with the
    format offering each, in registry order."""
    paper = edition.manuscript.paper
    slug = paper.slug
    out = []
    for fmt in REGISTRY.values():
        artifact = edition.made.get(fmt.name)
        if artifact is None or artifact.path is None:
            continue
        if fmt.name in DOWNLOADS and fmt.name not in paper.meta.downloads:
            continue
        for name in fmt.offers:
            out.append((fmt, artifact.path / name.format(slug=slug) if name else artifact.path))
    return out


register(Format("cover", "the front cover as an image", "pdf.cover:render_cover", public=False))
register(Format("pdf", "the printable paper", "pdf:render_pdf", offers=("",)))
register(Format("pages", "the site's pages as HTML", "html:convert_pages", public=False))
register(Format("html", "the reading website", "html:render_site", needs=("cover", "pages"), scope="paper"))
register(Format("epub", "the e-book", "epub:render_epub", needs=("cover", "pdf"), offers=("",)))
register(Format("cite", "citation and deposit records", "cite:render_cite",
                offers=("{slug}.bib", "{slug}.ris", "{slug}.json", "CITATION.cff"), reading=False))
register(Format("docx", "a Word copy for reviewers", "docx:render_docx", offers=("",), default=False))
