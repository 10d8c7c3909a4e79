"""PDF: the paper as HTML with print CSS, laid out by WeasyPrint; tagged (PDF/UA-1) by default."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import weasyprint
import weasyprint.urls

from ... import pandoc
from ...cache import Cache, file_digest
from ...diagnostics import Diagnostic, error, warning
from ...errors import UserError
from ...labels import long_date, roman
from ...licenses import license_statement
from ...mathsvg import with_images
from ...model import Artifact, BuildContext, Manuscript, PaperMeta
from ...workers import process_pool
from .. import template_environment, template_values
from ..registry import EditionJob
from . import tagging  # noqa: F401  (adds Note and Lang to the tags WeasyPrint writes)
from .join import back_cover, finished_piece, join, title_page, with_page_labels
from .pieces import Job, Laid, NotSettled, Piece, Plan, groups, lay_out
from .refine import refined

log = logging.getLogger(__name__)


class _Notes(logging.Filter):
    """WeasyPrint's warnings (a CSS rule it ignores, an image it cannot read), kept to be
    reported as located diagnostics instead of lines on the terminal that --strict never sees."""

    found: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        self.found.append(record.getMessage())
        return False


logging.getLogger("weasyprint").addFilter(_Notes())


def weasyprint_notes() -> tuple[str, ...]:
    """What WeasyPrint warned about in this process since the last call."""
    found = tuple(dict.fromkeys(_Notes.found))
    _Notes.found.clear()
    return found


def system_problems() -> tuple[Diagnostic, ...]:
    """Without HarfBuzz's subsetter WeasyPrint subsets fonts with fontTools, so the same sources
    give other bytes than on a machine that has it."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if harfbuzz_subset is not None and harfbuzz.hb_version_atleast(4, 1, 0):
        return ()
    return (warning(Path("paper.yaml"), 0, "font-subsetter",
                    "WeasyPrint cannot use HarfBuzz's font subsetter (libharfbuzz-subset, HarfBuzz 4.1 or "
                    "newer) here, so this PDF's bytes differ from those built on a machine that has it: "
                    "install it (Debian or Ubuntu: apt-get install libharfbuzz-subset0)"),)


def diagnostics(notes: tuple[str, ...], manuscript: Manuscript) -> tuple[Diagnostic, ...]:
    """WeasyPrint's warnings as diagnostics, on the project's stylesheet if it has one. One that
    repeats a check of ours (an image without a description) is left out."""
    templates = manuscript.paper.templates
    path = Path("templates/pdf.css") if templates and (templates / "pdf.css").is_file() else Path("templates")
    return tuple(warning(path, 0, "weasyprint", f"WeasyPrint, laying out the PDF: {note.rstrip('.')}; "
                         "correct the stylesheet or template (what WeasyPrint ignores does nothing in the PDF)")
                 for note in notes if "alt description" not in note)

FONTS = Path(__file__).resolve().parent.parent.parent / "fonts"
MAX_DATA_URL = 5_000_000
"""Characters a data: URL in a stylesheet may have before WeasyPrint refuses it."""


def render_pdf(job: EditionJob) -> Artifact:
    """The PDF, and its page map for the EPUB: which block begins each printed page."""
    manuscript, context, staging = job.manuscript, job.context, job.staging
    # Each piece's chapters are converted to HTML on their own, so that an edit converts one
    # chapter again and not the paper (the conversions are cached).
    names, parts = zip(*groups(manuscript.chapters), strict=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        bodies = list(pool.map(functools.partial(piece_body, manuscript, context), parts))
    # Front matter (executive summary, foreword…) keeps roman numbers; folio 1 is the first
    # page of the first part, chapter or appendix, which gets a page name of its own so that
    # CSS can restart the count there (@page :nth(1 of body-start)).
    first = next((c for c in manuscript.chapters if c.role != "front-matter"),
                 manuscript.chapters[0] if manuscript.chapters else None)
    template = template_environment(manuscript.paper).get_template("pdf.html")
    values = {"body_start_id": first.id if first else "", "body_start_role": first.role if first else "",
              **pdf_values(manuscript, context)}
    log.debug("pdf: HTML ready")
    pieces = [Piece(name, html) for name, html in zip(names, bodies, strict=True)]
    made = None
    if context.pdf_layout == "pieces" and len(pieces) > 1 and pieces_allowed(manuscript):
        try:
            made = lay_out_pieces(pieces, template, values, manuscript, context)
        except NotSettled as exc:
            log.warning("pdf: %s; laying out the whole paper at once", exc)
    pdf, pages, notes = made or lay_out_whole(template.render(body="".join(bodies), piece=None, **values),
                                              manuscript, context)
    target = staging / f"{manuscript.paper.slug}.pdf"
    target.write_bytes(pdf)
    return Artifact("pdf", target, page_map(pages, manuscript.chapters[0].id if manuscript.chapters else "",
                                            first.id if first else ""),
                    diagnostics(notes, manuscript) + system_problems())


def piece_body(manuscript: Manuscript, context: BuildContext, chapters: tuple) -> str:
    """Chapters as the PDF's HTML: formulas as images, notes as footnotes, sections as <section>."""
    if not chapters:
        return ""

    def document() -> dict[str, Any]:
        made = manuscript.document(chapters)
        made["blocks"] = with_images(made["blocks"], manuscript.math)
        return made

    # kept by what the chapters' blocks are made from (their formulas' images come from them)
    keys = [chapter.key for chapter in chapters]
    return pandoc.to_html(document, manuscript.paper.root, context.source_date_epoch,
                          ("--section-divs", f"--lua-filter={pandoc.filter_path('pdf.lua')}"),
                          cache=context.cache, made_from=" ".join(keys) if all(keys) else "") + "\n"


def pieces_allowed(manuscript: Manuscript) -> bool:
    """Whether a project's own PDF templates can be laid out piece by piece: its pdf.html must
    handle `piece`, its pdf.css give the page numbers a piece is handed (data-page)."""
    folder = manuscript.paper.templates
    for name, needs in (("pdf.html", "piece"), ("pdf.css", "data-page")):
        path = folder / name if folder else None
        if path and path.is_file() and needs not in path.read_text(encoding="utf-8"):
            log.warning("pdf: templates/%s has no rules for %s (see the built-in one); the PDF is laid out "
                        "in one go, which is slower", name, needs)
            return False
    return True


Layout = tuple[bytes, list[tuple[str, ...]], tuple[str, ...]]
"""A laid-out PDF, the ids on each of its pages, and what WeasyPrint warned about."""


def lay_out_whole(html: str, manuscript: Manuscript, context: BuildContext) -> Layout:
    """The paper laid out as one document, in this process."""
    cache, key = context.cache, Cache.key("whole", layout_key(html, manuscript, context))
    if cache and (pdf := cache.get(key)) is not None and (pages := cache.get(Cache.key(key, "pages"))) is not None:
        return pdf, [tuple(ids) for ids in json.loads(pages)], tuple(json.loads(cache.get(Cache.key(key, "notes"))
                                                                                or b"[]"))
    weasyprint_notes()
    document = layout(html, manuscript.paper.root, options(manuscript, context))
    anchors = [tuple(page.anchors) for page in document.pages]
    first = next((c.id for c in manuscript.chapters if c.role != "front-matter"), None)
    body_start = next((i for i, ids in enumerate(anchors) if first in ids), 0)
    pdf = with_page_labels(document.write_pdf(**options(manuscript, context)), anchors, body_start,
                           xmp_values(manuscript.paper.meta))
    notes = weasyprint_notes()
    if cache:
        cache.put(key, pdf)
        cache.put(Cache.key(key, "pages"), json.dumps(anchors).encode())
        cache.put(Cache.key(key, "notes"), json.dumps(notes).encode())
    return pdf, anchors, notes


def lay_out_pieces(pieces: list[Piece], template, values: dict[str, Any], manuscript: Manuscript,
                   context: BuildContext) -> Layout:
    """The paper laid out piece by piece (pdfpieces.py), in parallel, and joined. The last
    build's page numbers (the plan) stand in for those not known yet."""
    cache, files = context.cache, layout_files(manuscript)
    plan_key = Cache.key("pdf-plan", manuscript.paper.slug, manuscript.paper.meta.language)
    known = Plan.from_json(cache.get(plan_key) if cache else None)
    processes = Processes(context.layout_workers or os.cpu_count() or 1)

    def render(body: str, **piece) -> str:
        return template.render(body=body, piece=piece, **values)

    def key(job: Job) -> str:
        return Cache.key("piece", weasyprint.__version__, context.pdf_standard, files, job.html, str(job.pad), job.name)

    def cached(job: Job) -> Laid | None:
        if cache and (pdf := cache.get(key(job))) is not None \
                and (pages := cache.get(Cache.key(key(job), "pages"))) is not None:
            notes = json.loads(cache.get(Cache.key(key(job), "notes")) or b"[]")
            return Laid(tuple(tuple(ids) for ids in json.loads(pages)), pdf, tuple(notes))
        return None

    run = functools.partial(lay_out_piece, root=str(manuscript.paper.root), options=options(manuscript, context))
    try:
        done, plan = lay_out(pieces, render, run, cached, processes, processes.workers, known)
    except BrokenProcessPool as exc:  # a process was killed, or this program cannot be started again
        log.warning("pdf: the layout processes stopped (%s); laying out in this process", exc)
        done, plan = lay_out(pieces, render, run, cached, processes, 1, known)
    finally:
        processes.close()
    if cache:
        cache.put(plan_key, plan.to_json())
        for job, laid in done:
            if laid.pdf is None:
                continue
            cache.put(key(job), laid.pdf)
            cache.put(Cache.key(key(job), "pages"), json.dumps(laid.anchors).encode())
            cache.put(Cache.key(key(job), "notes"), json.dumps(laid.notes).encode())
    log.debug("pdf: %d pieces laid out; joining them", len(done))
    notes = tuple(dict.fromkeys(note for _job, laid in done for note in laid.notes))
    pdfs = [laid.pdf for _job, laid in done if laid.pdf is not None]
    pages = plan.page_map()
    return join(pdfs, pages, plan.body_start() or 0, cache, xmp_values(manuscript.paper.meta)), pages, notes


class Processes:
    """The processes that lay out the pieces, started when first needed."""

    def __init__(self, workers: int):
        self.workers = workers
        self.executor: ProcessPoolExecutor | None = None

    def __call__(self) -> ProcessPoolExecutor:
        if self.executor is None:
            self.executor = process_pool(self.workers)
        return self.executor

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(cancel_futures=True)


def lay_out_piece(job: Job, root: str, options: dict[str, Any]) -> Laid:
    """One piece laid out (in a process of the pool): its pages' anchors and, unless it is only
    measured, its PDF without the page laid out before it to make it begin on a left-hand page."""
    weasyprint_notes()
    document = layout(job.html, Path(root), options)
    pages = document.pages[1:] if job.pad else document.pages
    pdf = None if job.measure else finished_piece(document.copy(pages).write_pdf(**options), job.name)
    return Laid(tuple(tuple(page.anchors) for page in pages), pdf, weasyprint_notes())


def layout_files(manuscript: Manuscript) -> str:
    """The files a layout reads from the project (images, and the fonts or styles a project's
    templates name), by content."""
    root = manuscript.paper.root
    files = {root / src for src in manuscript.images}
    files.update(root / name for name in (manuscript.paper.meta.cover_image, *manuscript.paper.meta.logos) if name)
    for folder in (manuscript.paper.templates, root / "fonts"):  # the templates may be the series'
        if folder is not None:
            files.update(p for p in folder.rglob("*") if p.is_file())
    return "\n".join(f"{p}={file_digest(p)}" for p in sorted(files))


def layout_key(html: str, manuscript: Manuscript, context: BuildContext) -> str:
    """What a whole layout depends on: the HTML, the options and the files it loads."""
    return Cache.key("weasyprint", weasyprint.__version__, html, context.pdf_standard, layout_files(manuscript))


def page_map(pages: list[tuple[str, ...]], first_chapter: str, body_chapter: str) -> list[dict[str, str]]:
    """Where each printed page from the first chapter on begins, as the anchor of its first block.

    A page on which no block begins (a long table or paragraph goes on) starts inside the
    last block begun before it. The EPUB uses this to mark the PDF's page numbers.
    """
    body_start = next((i + 1 for i, ids in enumerate(pages) if body_chapter in ids), 1)
    start = next((i for i, ids in enumerate(pages) if first_chapter in ids), body_start - 1)
    title, back = title_page(pages), back_cover(pages)
    found, last = [], None
    for index, ids in enumerate(pages[start:back], start=start + 1):
        begun = sorted((int(a.split("-")[1]), int(a.split("-")[2]), a) for a in ids if a.startswith("pb-"))
        first = begun[0][2] if begun else last
        last = begun[-1][2] if begun else last
        if first:
            label = roman(index - title) if index < body_start else str(index - body_start + 1)
            found.append({"label": label, "anchor": first})
    return found


def pdf_values(manuscript: Manuscript, context: BuildContext) -> dict[str, Any]:
    meta = manuscript.paper.meta
    created = dt.datetime.fromtimestamp(context.source_date_epoch, dt.timezone.utc)
    license_text, license_url = license_statement(meta.license, meta.language)
    return {**template_values(manuscript, context),
            "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "build_date": long_date(created.strftime("%Y-%m-%d"), meta.language),
            "fonts_url": FONTS.as_uri(), "draft": context.draft,
            "license_text": license_text, "license_url": license_url}


def xmp_values(meta: PaperMeta) -> dict[str, Any]:
    """What the PDF's XMP metadata gives beyond WeasyPrint's: the rights (the licence as a
    sentence, its address), the DOI, the language and the publisher."""
    statement, url = license_statement(meta.license, meta.language)
    return {"dc:rights": statement or meta.license, "xmpRights:WebStatement": url,
            "xmpRights:Marked": "True" if meta.license else "", "dc:identifier": f"doi:{meta.doi}" if meta.doi else "",
            "dc:language": [meta.language], "dc:publisher": [meta.publisher] if meta.publisher else []}


def options(manuscript: Manuscript, context: BuildContext) -> dict[str, Any]:
    return {"pdf_variant": context.pdf_standard, "pdf_tags": True, "presentational_hints": True,
            "pdf_identifier": manuscript.paper.slug.encode()}


def layout(html: str, root: Path, options: dict[str, Any]) -> weasyprint.Document:
    page = weasyprint.HTML(string=html, base_url=str(root) + "/", url_fetcher=ProjectFetcher(root))
    try:
        return refined(page, page.render(**options), options)
    except weasyprint.urls.FatalURLFetchingError as exc:
        reason = exc.__cause__ or exc
        raise UserError([error(Path("templates"), 0, "refused-url",
                               f"the PDF needs a file it may not read: {reason}; "
                               "keep images, fonts and stylesheets inside the project")]) from exc


class ProjectFetcher(weasyprint.urls.URLFetcher):
    """Lets WeasyPrint read files inside the project, the shipped fonts and data: URLs."""

    def __init__(self, root: Path):
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.allowed = (root.resolve(), FONTS)

    def fetch(self, url: str, headers=None):
        kind = urlparse(url).scheme.lower()  # WeasyPrint reads FILE: as file:
        if kind == "data" and len(url) > MAX_DATA_URL:
            raise ValueError(f"refused an embedded data: image of {len(url) // 1_000_000} MB")
        if kind == "file":
            path = Path(url2pathname(urlparse(url).path)).resolve()
            if not any(path.is_relative_to(folder) for folder in self.allowed):
                raise ValueError(f"refused to read {path.name}: builds only read files inside the project")
        elif kind != "data":
            raise ValueError(f"refused {kind or 'an'} address: builds never go online")
        return super().fetch(url, headers)
