"""EPUB 3: pandoc's EPUB writer, fed the assembled paper and its metadata."""

from __future__ import annotations

import re
import uuid
from html import unescape
from pathlib import Path
from typing import Any

from .. import pandoc
from ..model import Artifact, BuildContext, Manuscript, PaperMeta
from . import cover_image, slug

STYLESHEET = Path(__file__).parent.parent / "templates" / "epub.css"


def render_epub(manuscript: Manuscript, context: BuildContext, staging: Path) -> Artifact:
    paper = manuscript.paper
    document = manuscript.document()
    document["meta"] = epub_metadata(paper.meta, plain_text(manuscript.abstract_html))
    stylesheet = paper.templates / "epub.css" if paper.templates else None
    if stylesheet is None or not stylesheet.is_file():
        stylesheet = STYLESHEET
    target = staging / f"{slug(paper)}.epub"
    cover = cover_image(staging)
    pandoc.run_binary(["--to=epub3", "--toc", "--toc-depth=2", "--split-level=1",
                       f"--css={stylesheet}", f"--resource-path={paper.root}",
                       *([f"--epub-cover-image={cover}"] if cover else [])],
                      document, paper.root, context.source_date_epoch, target)
    return Artifact("epub", target)


def plain_text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def epub_metadata(meta: PaperMeta, description: str) -> dict[str, Any]:
    """The paper's metadata as a pandoc AST `meta` map (plain strings, never re-read as Markdown)."""
    def text(value: str) -> dict[str, Any]:
        return {"t": "MetaString", "c": value}

    def listing(values: list[Any]) -> dict[str, Any]:
        return {"t": "MetaList", "c": values}

    def mapping(values: dict[str, Any]) -> dict[str, Any]:
        return {"t": "MetaMap", "c": values}

    identifier = (mapping({"scheme": text("DOI"), "text": text(f"doi:{meta.doi}")}) if meta.doi
                  else mapping({"scheme": text("ISBN-13"), "text": text(meta.isbn)}) if meta.isbn
                  else text(f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, meta.title + meta.date)}"))
    values: dict[str, Any] = {
        "title": text(meta.title),
        "lang": text(meta.language),
        "date": text(meta.date),
        "identifier": listing([identifier]),
        "creator": listing([mapping({"role": text("author"), "text": text(a.name)})
                            for a in meta.authors]),
    }
    optional = {"subtitle": meta.subtitle, "publisher": meta.publisher, "rights": meta.license,
                "description": description}
    values.update({key: text(value) for key, value in optional.items() if value})
    if meta.keywords:
        values["subject"] = listing([text(k) for k in meta.keywords])
    return values
