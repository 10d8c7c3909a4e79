"""The front cover as an image: the PDF's cover page laid out alone and rasterised."""

from __future__ import annotations

import pypdfium2

from ...cache import Cache
from ...model import Artifact
from .. import template_environment
from ..registry import EditionJob
from . import layout, layout_key, options, pdf_values

COVER_WIDTH = 1400
"""Pixels across the raster cover (EPUB cover image, website thumbnail)."""


def render_cover(job: EditionJob) -> Artifact:
    """The front cover as a PNG, for the EPUB's cover and the website's thumbnail."""
    manuscript, context, staging = job.manuscript, job.context, job.staging
    html = template_environment(manuscript.paper).get_template("pdf-cover-image.html").render(
        body_start_id="", body_start_role="", **pdf_values(manuscript, context))
    target = staging / "cover.png"
    key = Cache.key("cover", layout_key(html, manuscript, context))
    if context.cache and (png := context.cache.get(key)) is not None:
        target.write_bytes(png)
        return Artifact("cover", target)
    pdf = layout(html, manuscript.paper.root, options(manuscript, context)).write_pdf(**options(manuscript, context))
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=COVER_WIDTH / page.get_width()).to_pil()
    image.save(target, format="PNG", optimize=True)
    if context.cache:
        context.cache.put(key, target.read_bytes())
    return Artifact("cover", target)
