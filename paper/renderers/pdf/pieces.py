"""The PDF laid out piece by piece, in parallel, and joined into one document (join.py).

The pieces: the front (cover, title page, imprint, contents, lists and the front-matter
chapters), then each chapter or appendix, a part's title page going with the chapter after
it. Each is laid out by WeasyPrint as a document of its own, in as many processes as there
are cores, and a piece that did not change is taken from the build cache.

A piece's layout depends on where it starts (its first page number, and whether that is a
left- or right-hand page) and on the page numbers it shows of things in other pieces (the
contents; "Table 3.1, p. 57"). Those come from the other pieces' layouts, so the pieces are
scheduled like this:

- a piece is laid out as soon as every piece before it has been (its start is then known);
- a free process meanwhile measures the last pieces not yet known (a layout that writes
  nothing; the numbers it shows do not change how many pages it takes);
- the previous build's page numbers, kept in the cache, stand in until the real ones are
  known, so an edited paper lays out every piece at once;
- when all are known, a piece that was laid out with a number that turned out wrong is laid
  out again, until nothing changes. The result does not depend on what the cache held.
"""

from __future__ import annotations

import html as markup
import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from urllib.parse import unquote

from ...labels import roman
from .join import LINK_PREFIX, title_page

log = logging.getLogger(__name__)

MAX_LAYOUTS = 4
"""Layouts of one piece before giving up on the pieces (the whole document is then laid out
in one go): page numbers that never settle would need a paper built to defeat them."""
PARALLEL_FROM = 8
"""Pieces to lay out before other processes are worth starting (a second or so each, to load
WeasyPrint): a short paper, or an edit, is laid out in this process."""
ANCHOR_TAG = re.compile(r"<a\b[^>]*>")
HREF = re.compile(r'\shref="#([^"]+)"')
CLASSES = re.compile(r'\sclass="([^"]*)"')
ID = re.compile(r'\sid="([^"]+)"')
PAGE_REFERENCES = {"crossref-page", "crossref-page-roman"}
ROMAN = {"roman", "crossref-page-roman"}
RUNNING_TITLE_ATTRIBUTE = "running-title"
"""The contract for the running head, named here: filters/chapters.lua gives each chapter's
heading this attribute (its title as plain text; pandoc writes it as data-running-title),
templates/pdf.css sets the running head from it, and a piece that begins on a chapter's page
starts with the running head the pieces before it left (tests/test_structure checks all three)."""
RUNNING_TITLE = re.compile(r'<h1\b[^>]*\sdata-' + RUNNING_TITLE_ATTRIBUTE + r'="([^"]*)"')


class NotSettled(Exception):
    """The pieces' page numbers kept changing; lay out the whole document instead."""


@dataclass(frozen=True)
class Piece:
    name: str
    """"front", or the id of the piece's first section."""
    body: str
    """Its chapters as HTML (for the front, the front-matter chapters)."""


@dataclass(frozen=True)
class Job:
    html: str
    pad: bool
    """Laid out after a page that is dropped, so that it begins on a left-hand page."""
    measure: bool
    """Only count the pages and where each anchor is; write nothing."""
    name: str = ""
    """The piece's name (Piece.name)."""


@dataclass(frozen=True)
class Laid:
    anchors: tuple[tuple[str, ...], ...]
    """The ids anchored on each page."""
    pdf: bytes | None
    notes: tuple[str, ...] = ()
    """What WeasyPrint warned about while laying it out."""


Pages = tuple[tuple[str, ...], ...]


def groups(chapters: tuple) -> list[tuple[str, tuple]]:
    """The chapters of each piece, by the piece's name: the front matter with the front, then
    each chapter or appendix, a part's title page going with the chapter after it."""
    found: list[tuple[str, tuple]] = [("front", ())]
    previous = None
    for chapter in chapters:
        if chapter.role == "front-matter" and len(found) == 1:
            found[0] = ("front", (*found[0][1], chapter))
        elif previous == "part":
            found[-1] = (found[-1][0], (*found[-1][1], chapter))
        else:
            found.append((chapter.id, (chapter,)))
        previous = chapter.role
    return found


class Plan:
    """What is known of the pieces' pages: for each piece laid out or measured (or as the last
    build left them), the ids anchored on each of its pages; and the HTML each piece is laid
    out from, given what is known."""

    def __init__(self, pieces: list[Piece], known: dict[str, Pages], render: Callable[..., str]):
        self.pieces = pieces
        self.known = dict(known)
        self.render = render
        titles, last = [], ""
        for piece in pieces:  # the running head in effect where each piece begins
            titles.append(last)
            found = RUNNING_TITLE.findall(piece.body)
            last = markup.unescape(found[-1]) if found else last
        self.titles = titles
        self.rendered: dict[tuple, tuple[str, tuple[str, ...]]] = {}

    def start(self, index: int) -> int | None:
        """The 0-based page on which piece `index` begins, if every piece before it is known."""
        total = 0
        for piece in self.pieces[:index]:
            if piece.name not in self.known:
                return None
            total += len(self.known[piece.name])
        return total

    def body_start(self) -> int | None:
        """The 0-based page printed "1": the page of the second piece's first section."""
        start = self.start(1) if len(self.pieces) > 1 and self.pieces[1].name in self.known else None
        if start is None:
            return None
        pages = self.known[self.pieces[1].name]
        return start + next((i for i, ids in enumerate(pages) if self.pieces[1].name in ids), 0)

    def counter(self, page: int, body_start: int) -> int:
        """The number printed on 0-based page `page`: counted from the title page in the front
        matter (the cover is not counted), from `body_start` after it."""
        return page + 1 - self.title_page() if page < body_start else page - body_start + 1

    def title_page(self) -> int:
        """The 0-based page of the title page, the first one counted (i)."""
        return title_page(self.known.get(self.pieces[0].name, ()))

    def labels(self) -> dict[str, int]:
        """The page counter of every anchor whose page is certain."""
        body_start, found = self.body_start(), dict[str, int]()
        if body_start is None:
            return found
        for index, piece in enumerate(self.pieces):
            start = self.start(index)
            if start is None or piece.name not in self.known:
                continue
            for offset, ids in enumerate(self.known[piece.name]):
                for name in ids:
                    found.setdefault(name, self.counter(start + offset, body_start))
        return found

    def job(self, index: int, labels: dict[str, int], measure: bool = False) -> Job | None:
        """What piece `index` is laid out from, given what is known; None if its start is not
        known yet (a measure goes ahead anyway: where a piece starts does not change its length)."""
        start = self.start(index)
        if index == 0:
            if not measure and any(p.name not in self.known for p in self.pieces):
                return None
            counter, pad = None, False
        elif start is None or (index > 1 and self.body_start() is None):
            if not measure:
                return None
            counter, pad = 1, False
        else:
            pad = start % 2 == 1 and not measure
            body_start = self.body_start()
            first = start + 1 if index == 1 or body_start is None else self.counter(start, body_start)
            counter = first - 1 if pad else first
        key = (index, counter, pad)
        if key not in self.rendered:
            html = self.render(self.pieces[index].body, front=index == 0, back=index == len(self.pieces) - 1,
                               counter=counter, pad=pad, pad_chapter=self.titles[index])
            self.rendered[key] = (html, elsewhere(html))
        html, targets = self.rendered[key]
        return Job(link_elsewhere(html, targets, labels, every=index == 0) if targets else html, pad, measure,
                   self.pieces[index].name)

    def page_map(self) -> list[tuple[str, ...]]:
        return [ids for piece in self.pieces for ids in self.known[piece.name]]

    def to_json(self) -> bytes:
        return json.dumps(self.known, sort_keys=True).encode()

    @staticmethod
    def from_json(data: bytes | None) -> dict[str, Pages]:
        if not data:
            return {}
        return {name: tuple(tuple(ids) for ids in pages) for name, pages in json.loads(data).items()}


def elsewhere(html: str) -> tuple[str, ...]:
    """The ids this HTML links to that are not in it."""
    here = {markup.unescape(m) for m in ID.findall(html)}
    return tuple(sorted({target(m) for m in HREF.findall(html)} - here))


def target(href: str) -> str:
    return unquote(markup.unescape(href))


def link_elsewhere(html: str, targets: tuple[str, ...], labels: dict[str, int], every: bool) -> str:
    """Links to ids outside this piece: kept as links (LINK_PREFIX), with the target's page
    number in data-page where it is shown: "p. N" references and, in the front (`every`), the
    contents and lists. Only there, so that a piece citing a source is not laid out again
    each time the page of the references changes."""
    outside = set(targets)

    def rewrite(match: re.Match) -> str:
        tag = match.group(0)
        href = HREF.search(tag)
        if not href or target(href.group(1)) not in outside:
            return tag
        found = CLASSES.search(tag)
        classes = set(found.group(1).split()) if found else set()
        link = f' href="{LINK_PREFIX}{href.group(1)}"'
        if every or classes & PAGE_REFERENCES:
            number = labels.get(target(href.group(1)), 0)
            link += f' data-page="{roman(number) if classes & ROMAN else number}"'
        return tag[:href.start()] + link + tag[href.end():]

    return ANCHOR_TAG.sub(rewrite, html)


class InProcess(Executor):
    """Runs a job at once, in this process: on one core, for a short paper, or for an edit."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future, as a pool would
            future.set_exception(exc)
        return future


def lay_out(pieces: list[Piece], render: Callable[..., str], run: Callable[[Job], Laid],
            cached: Callable[[Job], Laid | None], pool: Callable[[], Executor], workers: int,
            known: dict[str, Pages]) -> tuple[list[tuple[Job, Laid]], Plan]:
    """Every piece laid out with the page numbers the others' layouts give (see the module's
    description). `cached` looks a job up in the build cache, `pool` gives the processes."""
    plan = Plan(pieces, known, render)
    done: dict[int, tuple[Job, Laid]] = {}
    running: dict[Future, tuple[int, Job]] = {}
    layouts: Counter[int] = Counter()
    parallel = False
    while True:
        changed = True
        while changed:  # what the cache holds is taken first; it may make more known
            changed, labels = False, plan.labels()
            wanted = {i: plan.job(i, labels) for i in range(len(pieces))}
            for index, job in wanted.items():
                if job is None or (index in done and done[index][0] == job) or busy(running, index):
                    continue
                if (laid := cached(job)) is not None:
                    done[index] = (job, laid)
                    changed |= plan.known.get(pieces[index].name) != laid.anchors
                    plan.known[pieces[index].name] = laid.anchors
        todo = [i for i, job in wanted.items()
                if job and not (i in done and done[i][0] == job) and not busy(running, i)]
        if not todo and not running and all(wanted.values()):
            return [done[i] for i in range(len(pieces))], plan
        free = workers - len(running)
        jobs = [(i, job) for i in todo[:max(free, 0)] if (job := wanted[i]) is not None]
        unknown = sorted((i for i in range(len(pieces)) if pieces[i].name not in plan.known
                          and not busy(running, i) and i not in todo),
                         key=lambda i: (i != 0, -i))  # the front first, then from the end
        jobs += [(i, job) for i in unknown[:max(free - len(jobs), 0)]
                 if (job := plan.job(i, labels, measure=True)) is not None]
        if not jobs and not running:
            raise NotSettled("no piece can be laid out")
        parallel = parallel or workers > 1 and len(todo) + len(unknown) >= PARALLEL_FROM
        executor = pool() if parallel else InProcess()
        for index, job in jobs:
            if not job.measure:
                layouts[index] += 1
                if layouts[index] > MAX_LAYOUTS:
                    raise NotSettled(f"the page numbers of {pieces[index].name} did not settle")
            running[executor.submit(run, job)] = (index, job)
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            index, job = running.pop(future)
            laid = future.result()
            if job.measure:
                plan.known.setdefault(pieces[index].name, laid.anchors)
            else:
                done[index] = (job, laid)
                plan.known[pieces[index].name] = laid.anchors
            log.debug("pdf: %s %s (%d pages)", "measured" if job.measure else "laid out",
                      pieces[index].name, len(laid.anchors))


def busy(running: dict[Future, tuple[int, Job]], index: int) -> bool:
    return any(i == index for i, _ in running.values())
