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


def sanitize(node: Any) -> Any:
    """Clean every raw HTML block and inline of a pandoc AST."""
    if isinstance(node, list):
        return [sanitize(item) for item in node]
    if isinstance(node, dict):
        if node.get("t") in ("RawBlock", "RawInline") and node["c"][0] in ("html", "html5"):
            return {**node, "c": [node["c"][0], clean(node["c"][1])]}
        if "c" in node:
            return {**node, "c": sanitize(node["c"])}
    return node


def findings(text: str) -> Iterator[tuple[int, str]]:
    """(column, what) for each thing in a line of Markdown that the sanitiser will remove."""
    for match in DANGEROUS.finditer(text):
        yield match.start() + 1, " ".join(match.group(0).split())
