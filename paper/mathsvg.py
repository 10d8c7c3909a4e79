"""Math for the PDF: each formula drawn as vector graphics by ziamath, here, with no TeX and
no web service. Every formula is also tried in pandoc's MathML converter (used for the HTML
and the EPUB), so a formula that either cannot read is reported with its file and line."""

from __future__ import annotations

import base64
import functools
import re
from html import escape
from pathlib import Path
from typing import Any

from . import fastjson, pandoc
from .diagnostics import Diagnostic, warning
from .model import Chapter, Paper
from .tree import walk

SIZE = 14.0
"""ziamath's size in CSS pixels for 1em of text; the images are then sized in em."""
SVG_BOX = re.compile(r'width="([\d.]+)" height="([\d.]+)" viewBox="[-\d.]+ (-?[\d.]+)')


def formulas(blocks: list[Any]) -> list[tuple[str, str]]:
    """("InlineMath" or "DisplayMath", TeX) of every formula, in document order."""
    return [(node["c"][0]["t"], node["c"][1]) for node in walk(blocks) if node["t"] == "Math"]


def with_images(node: Any, images: dict[str, str]) -> Any:
    """A copy of a pandoc AST in which every formula is its SVG image (for the PDF)."""
    if isinstance(node, list):
        return [with_images(item, images) for item in node]
    if isinstance(node, dict) and "c" in node:
        if node.get("t") == "Math":
            return {"t": "RawInline", "c": ["html", images[key(node["c"][0]["t"], node["c"][1])]]}
        return {**node, "c": with_images(node["c"], images)}
    return node


def key(kind: str, tex: str) -> str:
    return f"{kind}\n{tex}"


def drawn_formulas(blocks: list[Any]) -> dict[str, str]:
    """Each formula in `blocks` as an <img> with an SVG, or, where it cannot be drawn, as its
    TeX (which `check_math` reported, with its place, before the build began)."""
    images: dict[str, str] = {}
    for kind, tex in formulas(blocks):
        if key(kind, tex) not in images:
            images[key(kind, tex)] = drawn(tex, kind == "InlineMath")[0]
    return images


def check_math(paper: Paper) -> list[Diagnostic]:
    """A located warning for each formula that cannot be drawn for the PDF or converted to
    MathML for the site and the EPUB: it is shown as its TeX there (--strict makes it an error)."""
    found = [(chapter, kind, tex) for chapter in paper.chapters for kind, tex in chapter.index.math]
    if not found:
        return []
    unreadable = set(pandoc_failures([tex for _c, _k, tex in found], list(pandoc.api_version()), paper.root))
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for chapter, kind, tex in found:
        if key(kind, tex) in seen:
            continue
        seen.add(key(kind, tex))
        reason = drawn(tex, kind == "InlineMath")[1]
        where = [name for name, failed in (("the PDF", reason), ("the site and the EPUB", tex in unreadable))
                 if failed]
        if where:
            path, line = locate(chapter, tex)
            problems.append(warning(path, line, "bad-math",
                                    f"the formula '{tex.strip()[:80]}' cannot be shown as a formula in "
                                    + ", ".join(where) + (f" ({reason})" if reason else "")
                                    + "; its TeX is printed there instead: "
                                    "check its braces and commands"))
    return problems


@functools.lru_cache(maxsize=4096)
def drawn(tex: str, inline: bool) -> tuple[str, str]:
    """(the formula's HTML for the PDF, why it could not be drawn): an SVG image, or its TeX."""
    reason = unbalanced(tex)
    if not reason:
        try:
            return svg_image(tex, inline), ""
        except Exception as exc:  # ziamath raises its parser's own exception types
            reason = f"it cannot be read: {type(exc).__name__}"
    return f'<code class="math-tex">{escape(tex.strip())}</code>', reason


def unbalanced(tex: str) -> str:
    depth = 0
    for char in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return "a '}' closes nothing"
    return "a '{' is never closed" if depth else ""


def svg_image(tex: str, inline: bool) -> str:
    import ziamath  # imported only for papers with formulas: it loads a font at import

    svg = ziamath.Latex(tex, size=SIZE, inline=inline).svg()
    box = SVG_BOX.search(svg)
    if box is None:
        raise ValueError("ziamath drew no SVG box")
    width, height, top = (float(v) for v in box.groups())
    descent = height + top
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    style = (f"width:{width / SIZE:.3f}em;height:{height / SIZE:.3f}em;"
             f"vertical-align:{-descent / SIZE:.3f}em")
    return (f'<img class="math {"inline" if inline else "display"}" alt="{escape(tex.strip())}" '
            f'style="{style}" src="data:image/svg+xml;base64,{data}">')


def pandoc_failures(texts: list[str], api_version: list[int], root: Path) -> list[str]:
    """The formulas that pandoc's TeX reader cannot turn into MathML (it would print the TeX)."""
    unique = sorted(set(texts))
    blocks = [{"t": "Div", "c": [["", [], []], [{"t": "Plain", "c": [
        {"t": "Math", "c": [{"t": "InlineMath"}, tex]}]}]]} for tex in unique]
    document = {"pandoc-api-version": api_version, "meta": {}, "blocks": blocks}
    html = pandoc.run(["--from=json", "--to=html5", "--mathml", "--wrap=none"],
                      fastjson.dumps(document), root, 0, quiet=True)
    parts = re.findall(r"<div>(.*?)</div>", html, re.S)
    return [tex for tex, part in zip(unique, parts, strict=False) if "<math" not in part]


def locate(chapter: Chapter | None, tex: str) -> tuple[Path, int]:
    if chapter is None:
        return Path("chapters"), 0
    index = chapter.body.find(tex)
    return chapter.path, (chapter.body_line + chapter.body[:index].count("\n")) if index >= 0 else 0
