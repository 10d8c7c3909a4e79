"""Raw HTML in chapters is untrusted: scripts, event handlers, frames, styles and remote
images are removed (nh3) before any output is made, and check reports each removal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import nh3

DANGEROUS = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|form|style|link|meta|base)\b"
    r"|\son[a-z]+\s*="
    r"|javascript\s*:"
    r"|\sstyle\s*="
    r"|<\s*img\b[^>]*\bsrc\s*=\s*[\"']?\s*[a-z][a-z0-9+.-]*:", re.I)
TAGS = nh3.ALLOWED_TAGS - {"map", "area"}
ATTRIBUTES = {"*": {"class", "id", "title", "lang", "dir", "role"}, **nh3.ALLOWED_ATTRIBUTES}


def _no_remote(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and re.match(r"^[a-z][a-z0-9+.-]*:", value, re.I):
        return None
    return value


def clean(html: str) -> str:
    """The fragment with everything that could run code, fetch or restyle removed.

    Fragments with nothing dangerous are returned unchanged, since cleaning closes open tags
    and pandoc hands over raw HTML in pieces (an opening tag on its own, say)."""
    if not DANGEROUS.search(html):
        return html
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, generic_attribute_prefixes={"aria-"},
                     url_schemes={"http", "https", "mailto"}, attribute_filter=_no_remote,
                     strip_comments=True, link_rel=None)


# Where each element keeps its attributes ([id, classes, [[key, value], …]]) in pandoc's AST.
ATTR_POSITION = {"Span": 0, "Div": 0, "Link": 0, "Image": 0, "Code": 0, "CodeBlock": 0,
                 "Table": 0, "Figure": 0, "Header": 1}


def safe_attr(attr: list[Any]) -> list[Any]:
    """Attributes written as {key=value} in Markdown: no styles, event handlers or scripts."""
    kept = [[key, value] for key, value in attr[2]
            if key.lower() != "style" and not key.lower().startswith("on")
            and not value.strip().lower().startswith("javascript:")]
    return [attr[0], attr[1], kept]


def sanitize(node: Any) -> Any:
    """Clean every raw HTML block and inline, and every element's attributes, of a pandoc AST."""
    if isinstance(node, list):
        return [sanitize(item) for item in node]
    if isinstance(node, dict):
        kind = node.get("t")
        if kind in ("RawBlock", "RawInline") and node["c"][0] in ("html", "html5"):
            return {**node, "c": [node["c"][0], clean(node["c"][1])]}
        if "c" in node:
            content = sanitize(node["c"])
            if kind in ATTR_POSITION:
                content[ATTR_POSITION[kind]] = safe_attr(content[ATTR_POSITION[kind]])
            if kind == "Link" and content[2][0].strip().lower().startswith("javascript:"):
                content[2] = ["#", content[2][1]]
            return {**node, "c": content}
    return node


def findings(text: str) -> Iterator[tuple[int, str]]:
    """(column, what) for each thing in a line of Markdown that the sanitiser will remove."""
    for match in DANGEROUS.finditer(text):
        found = match.group(0)
        yield match.start() + 1 + len(found) - len(found.lstrip()), " ".join(found.split())
