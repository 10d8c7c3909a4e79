"""What a chapter's tree holds, found in one walk when it is read (Index: its first heading,
citations, ids, links and images), and the questions the stages ask of it. The loader makes
the Index, the checker and the assembler read it; none of them scans the source text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .foreign import ref_spellings
from .model import Chapter, Index, Paper
from .sanitize import ATTR_POSITION
from .tree import Locator, stringify, walk

CROSSREF_KINDS = {"fig": "figure", "tbl": "table", "box": "box", "eq": "equation", "sec": "section"}
"""Cross-reference prefixes (@fig:map) and what they point at."""
KIND_PREFIXES = {"figure": "fig", "table": "tbl", "box": "box", "equation": "eq", "section": "sec",
                 "chapter": "sec", "appendix": "sec", "part": "sec"}


def index(blocks: list[Any], fields: dict[str, Any]) -> Index:
    """The chapter's Index, from its clean tree and front matter texts."""
    heading, cites, ids, links, images, divs, math = None, [], [], [], [], [], []
    cites += [c["citationId"] for node in walk(list(fields.values())) if node["t"] == "Cite" for c in node["c"][0]]
    for node in walk(blocks):
        kind = node["t"]
        if kind == "Cite":
            cites += [citation["citationId"] for citation in node["c"][0]]
        elif kind == "Link":
            links.append(node["c"][2][0])
        elif kind == "Image" and node["c"][2][0]:
            images.append(node["c"][2][0])
        elif kind == "Div" and node["c"][0][1]:
            divs.append(tuple(node["c"][0][1]))
        elif kind == "Math":
            math.append((node["c"][0]["t"], node["c"][1]))
        if kind == "Header" and heading is None:
            heading = stringify(node["c"][2])
        if kind in ATTR_POSITION:
            attr = node["c"][ATTR_POSITION[kind]]
            if attr[0]:
                ids.append((attr[0], "box" if kind == "Div" and "box" in attr[1] else kind))
        elif kind in ("Para", "Plain"):
            inlines = node["c"]
            for i, item in enumerate(inlines):
                if item["t"] == "Str" and item["c"].startswith("{#") and item["c"].endswith("}"):
                    words = item["c"][2:-1].split()
                    before = [x for x in inlines[:i] if x["t"] != "Space"]
                    after_math = bool(before) and before[-1]["t"] == "Math"
                    ids.append((words[0] if words else "", "equation" if after_math else "text"))
    return Index(heading or "", tuple(cites), tuple(ids), tuple(links), tuple(images), tuple(divs), tuple(math))


def first_heading(chapter: Chapter) -> str:
    return chapter.index.heading


def citation_keys(chapter: Chapter) -> Iterator[tuple[int, int, str]]:
    """(line, column, key) of each citation in the chapter, the column being that of '@'."""
    locator = Locator.of(chapter)
    for key in chapter.index.cites:
        line, column = locator.find("@" + key)
        for spelling in ref_spellings(key) if not column and is_crossref(key) else ():  # bookdown's \@ref()
            line, column = locator.find(spelling)
            if column:
                break
        yield line, column, key


def cited_keys(chapter: Chapter) -> Iterator[str]:
    """The citation keys of a chapter, in order, without looking for their lines."""
    yield from chapter.index.cites


def is_crossref(key: str) -> bool:
    return key.split(":", 1)[0] in CROSSREF_KINDS and ":" in key


def chapter_links(paper: Paper) -> dict[str, str]:
    """File names a link may give for another chapter (02-sampling.Rmd, or the 02-sampling.html
    bookdown made of it) -> that chapter's id."""
    out: dict[str, str] = {}
    for chapter in paper.chapters:
        for name in (chapter.path.name, chapter.path.stem + ".html"):
            out.setdefault(name, chapter.id)
    return out
