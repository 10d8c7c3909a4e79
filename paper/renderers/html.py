"""HTML: a small reading site, one page per chapter, with links to the PDF and EPUB."""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import pandoc
from ..model import Artifact, BuildContext, ChapterText, Manuscript
from . import cover_image, find_images, slug, template_environment, template_values

ID = re.compile(r'\sid="([^"]+)"')
LOCAL_LINK = re.compile(r'href="#([^"]+)"')


def render_html(manuscript: Manuscript, context: BuildContext, staging: Path) -> Artifact:
    paper = manuscript.paper
    site = staging / "html"
    site.mkdir()
    chapters = manuscript.chapters

    def convert(chapter: ChapterText) -> str:
        return pandoc.to_html(manuscript.document((chapter,)), paper.root,
                              context.source_date_epoch, ("--section-divs", "--mathml"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        bodies = list(pool.map(convert, chapters))
    bodies = link_across_pages(chapters, bodies)

    env = template_environment(paper)
    values = template_values(manuscript, context)
    downloads = [(fmt, f"../{slug(paper)}.{fmt}") for fmt in ("pdf", "epub")
                 if fmt in context.formats]
    values.update(downloads=downloads, cover=cover_image(staging) is not None)
    write(site / "index.html", env.get_template("site-index.html").render(page_title="", **values))
    for i, (chapter, body) in enumerate(zip(chapters, bodies, strict=True)):
        previous = chapters[i - 1] if i > 0 else None
        following = chapters[i + 1] if i + 1 < len(chapters) else None
        html = env.get_template("site-chapter.html").render(
            page_title=chapter.title, chapter=chapter, body=body, previous=previous,
            next=following, **values)
        write(site / f"{chapter.id}.html", html)
    assets = site / "assets"
    assets.mkdir()
    write(assets / "site.css", env.get_template("site.css").render(**values))
    if cover_image(staging):
        shutil.copyfile(cover_image(staging), assets / "cover.png")
    for src in sorted(set(find_images(manuscript.document()["blocks"]))):
        target = site / src
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paper.root / src, target)
    return Artifact("html", site)


def link_across_pages(chapters: tuple[ChapterText, ...], bodies: list[str]) -> list[str]:
    """Point links to anchors on other pages (a citation to the References page, say) there."""
    ids = [set(ID.findall(body)) for body in bodies]
    page_of: dict[str, str] = {}
    for chapter, found in zip(chapters, ids, strict=True):
        for ident in found:
            page_of.setdefault(ident, f"{chapter.id}.html")
    out = []
    for body, here in zip(bodies, ids, strict=True):

        def relink(match: re.Match, here: set[str] = here) -> str:
            ident = match.group(1)
            if ident in here or ident not in page_of:
                return match.group(0)
            return f'href="{page_of[ident]}#{ident}"'

        out.append(LOCAL_LINK.sub(relink, body))
    return out


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
