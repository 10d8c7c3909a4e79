"""PDF: the paper as HTML with print CSS, laid out by WeasyPrint; tagged (PDF/UA-1) by default."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import pikepdf
import pypdfium2
import weasyprint
import weasyprint.urls

from .. import pandoc
from ..cache import Cache, file_digest
from ..diagnostics import error
from ..errors import UserError
from ..labels import long_date, roman
from ..licenses import license_statement
from ..mathsvg import with_images
from ..model import Artifact, BuildContext, Manuscript
from . import PAGE_MAP, find_images, slug, template_environment, template_values

FONTS = Path(__file__).resolve().parent.parent / "fonts"
COVER_WIDTH = 1400
"""Pixels across the raster cover (EPUB cover image, website thumbnail)."""
MAX_DATA_URL = 5_000_000
"""Characters a data: URL in a stylesheet may have before WeasyPrint refuses it."""


def render_pdf(manuscript: Manuscript, context: BuildContext, staging: Path) -> Artifact:
    document = manuscript.document()
    document["blocks"] = with_images(document["blocks"], manuscript.math)
    body = pandoc.to_html(document, manuscript.paper.root, context.source_date_epoch,
                          ("--section-divs", f"--lua-filter={pandoc.filter_path('footnotes.lua')}"),
                          cache=context.cache)
    values = pdf_values(manuscript, context)
    template = template_environment(manuscript.paper).get_template("pdf.html")
    # Front matter (executive summary, foreword…) keeps roman numbers; folio 1 is the first
    # page of the first part, chapter or appendix, which gets a page name of its own so that
    # CSS can restart the count there (@page :nth(1 of body-start)) in one layout.
    first = next((c for c in manuscript.chapters if c.role != "front-matter"),
                 manuscript.chapters[0] if manuscript.chapters else None)
    html = template.render(body=body, body_start_id=first.id if first else "",
                           body_start_role=first.role if first else "", **values)
    target = staging / f"{slug(manuscript.paper)}.pdf"
    cache, key = context.cache, layout_key(html, manuscript, context)
    if cache and (pdf := cache.get(key)) is not None and (pages := cache.get(Cache.key(key, "pages"))) is not None:
        target.write_bytes(pdf)
        (staging / PAGE_MAP).write_bytes(pages)
        return Artifact("pdf", target)
    document = layout(html, manuscript, context)
    body_start = next((i + 1 for i, page in enumerate(document.pages) if first and first.id in page.anchors), 1)
    target.write_bytes(with_page_labels(write(document, manuscript, context), body_start))
    write_page_map(document, manuscript.chapters[0].id if manuscript.chapters else "", body_start,
                   staging)
    if cache:
        cache.put(key, target.read_bytes())
        cache.put(Cache.key(key, "pages"), (staging / PAGE_MAP).read_bytes())
    return Artifact("pdf", target)


def layout_key(html: str, manuscript: Manuscript, context: BuildContext) -> str:
    """What a layout depends on: the HTML, the options, and the files it loads from the project
    (images, and fonts or styles a project's templates name)."""
    root = manuscript.paper.root
    files = {root / src for src in find_images(manuscript.document()["blocks"])}
    files.update(root / name for name in (manuscript.paper.meta.cover_image, *manuscript.paper.meta.logos) if name)
    for folder in ("templates", "fonts"):
        files.update(p for p in (root / folder).rglob("*") if p.is_file())
    return Cache.key("weasyprint", weasyprint.__version__, html, context.pdf_standard,
                     *(f"{p}={file_digest(p)}" for p in sorted(files)))


def write_page_map(document: weasyprint.Document, first_chapter: str, body_start: int,
                   staging: Path) -> None:
    """Where each printed page from the first chapter on begins, as the anchor of its first block.

    A page on which no block begins (a long table or paragraph goes on) starts inside the
    last block begun before it. The EPUB uses this to mark the PDF's page numbers.
    """
    pages, last = [], None
    start = next((i for i, page in enumerate(document.pages) if first_chapter in page.anchors), body_start - 1)
    for index, page in enumerate(document.pages[start:], start=start + 1):
        begun = sorted(int(a[3:]) for a in page.anchors if a.startswith("pb-"))
        first = f"pb-{begun[0]}" if begun else last
        last = f"pb-{begun[-1]}" if begun else last
        if first:
            label = roman(index) if index < body_start else str(index - body_start + 1)
            pages.append({"label": label, "anchor": first})
    (staging / PAGE_MAP).write_text(json.dumps(pages), encoding="utf-8")


def render_cover_image(manuscript: Manuscript, context: BuildContext, staging: Path) -> Path:
    """The front cover as a PNG, for the EPUB's cover and the website's thumbnail."""
    html = template_environment(manuscript.paper).get_template("pdf-cover-image.html").render(
        body_start_id="", body_start_role="", **pdf_values(manuscript, context))
    target = staging / "cover.png"
    key = Cache.key("cover", layout_key(html, manuscript, context))
    if context.cache and (png := context.cache.get(key)) is not None:
        target.write_bytes(png)
        return target
    pdf = write(layout(html, manuscript, context), manuscript, context)
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=COVER_WIDTH / page.get_width()).to_pil()
    image.save(target, format="PNG", optimize=True)
    if context.cache:
        context.cache.put(key, target.read_bytes())
    return target


def pdf_values(manuscript: Manuscript, context: BuildContext) -> dict[str, Any]:
    meta = manuscript.paper.meta
    created = dt.datetime.fromtimestamp(context.source_date_epoch, dt.timezone.utc)
    license_text, license_url = license_statement(meta.license, meta.language)
    return {**template_values(manuscript, context),
            "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "build_date": long_date(created.strftime("%Y-%m-%d"), meta.language),
            "fonts_url": FONTS.as_uri(), "draft": context.draft,
            "license_text": license_text, "license_url": license_url}


def options(manuscript: Manuscript, context: BuildContext) -> dict[str, Any]:
    return {"pdf_variant": context.pdf_standard, "pdf_tags": True, "presentational_hints": True,
            "pdf_identifier": slug(manuscript.paper).encode()}


def layout(html: str, manuscript: Manuscript, context: BuildContext) -> weasyprint.Document:
    root = manuscript.paper.root
    page = weasyprint.HTML(string=html, base_url=str(root) + "/", url_fetcher=ProjectFetcher(root))
    try:
        return page.render(**options(manuscript, context))
    except weasyprint.urls.FatalURLFetchingError as exc:
        reason = exc.__cause__ or exc
        raise UserError([error(Path("templates"), 0, "refused-url",
                               f"the PDF needs a file it may not read: {reason}; "
                               "keep images, fonts and stylesheets inside the project")]) from exc


def write(document: weasyprint.Document, manuscript: Manuscript, context: BuildContext) -> bytes:
    return document.write_pdf(**options(manuscript, context))


def with_page_labels(pdf: bytes, body_start: int) -> bytes:
    """Page labels as printed: i, ii, … for the front matter, then 1, 2, … from the first chapter.

    WeasyPrint does not write them; pikepdf adds them without touching anything else.
    """
    with pikepdf.open(io.BytesIO(pdf)) as document:
        numbers = [0, pikepdf.Dictionary(S=pikepdf.Name.r)]
        if body_start > 1:
            numbers += [body_start - 1, pikepdf.Dictionary(S=pikepdf.Name.D)]
        document.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(numbers))
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


class ProjectFetcher(weasyprint.urls.URLFetcher):
    """Lets WeasyPrint read files inside the project, the shipped fonts and data: URLs."""

    def __init__(self, root: Path):
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.allowed = (root.resolve(), FONTS)

    def fetch(self, url: str, headers=None):
        if url.startswith("data:") and len(url) > MAX_DATA_URL:
            raise ValueError(f"refused an embedded data: image of {len(url) // 1_000_000} MB")
        if url.startswith("file:"):
            path = Path(url2pathname(urlparse(url).path)).resolve()
            if not any(path.is_relative_to(folder) for folder in self.allowed):
                raise ValueError(f"refused to read {path}: builds only read files inside the project")
        return super().fetch(url, headers)
