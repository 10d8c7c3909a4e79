"""Each chapter is read once, by pandoc in its sandbox, into its document tree. Every later
question about a chapter (its images, links, ids, citations, raw HTML, headings) is answered
from that tree; the source text only gives the line for a message."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import fastjson, pandoc
from .cache import Cache
from .sanitize import TooDeep

READ = ["--from=markdown-yaml_metadata_block", "--to=json",
        f"--lua-filter={pandoc.filter_path('fields.lua')}"]
PREFIX_LINES = 4
"""Lines put before the body (the fields block), which pandoc's line numbers count."""


def read(body: str, fields: dict[str, Any], root: Path,
         cache: Cache | None = None) -> tuple[dict[str, Any], list[str]]:
    """A chapter body and its front matter texts as a pandoc JSON document (meta paper-<name>),
    and pandoc's warnings."""
    text = "```{=paper-fields}\n" + json.dumps(fields, ensure_ascii=False) + "\n```\n\n" + body
    output, warnings = pandoc.run_with_warnings(READ, text, root, 0, cache=cache)
    return load_json(output), warnings


def load_json(text: str) -> Any:
    """pandoc's JSON; nesting too deep for the parser is TooDeep (the cleaner bounds it further)."""
    try:
        return fastjson.loads(text)
    except RecursionError as exc:
        raise TooDeep() from exc


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every element of a tree (a dict with "t"), in document order."""
    stack = [node]
    containers = (list, dict, tuple)
    while stack:
        value = stack.pop()
        if type(value) is dict:
            if "t" in value:
                yield value
                value = value.get("c")
                if not isinstance(value, containers):
                    continue
                if type(value) is dict:
                    stack.append(value)
                    continue
            else:
                value = list(value.values())
        for child in reversed(value):
            if isinstance(child, containers):
                stack.append(child)


def rewritten(node: Any, change: Callable[[dict[str, Any]], Any]) -> Any:
    """A copy of a tree in which each element (a dict with "t") is first given to `change`: None
    keeps the element, an element takes its place, and either way its children are rewritten in
    turn (`change` is not asked again about the element itself); a list takes its place among its
    siblings and is rewritten in turn ([] removes the element)."""
    if isinstance(node, list):
        out = []
        for item in node:
            if not _element(item):
                out.append(rewritten(item, change))
                continue
            changed = change(item)
            if isinstance(changed, list):
                out += rewritten(changed, change)
            else:
                out.append(_inside(item if changed is None else changed, change))
        return out
    if _element(node):
        changed = change(node)
        return rewritten(changed, change) if isinstance(changed, list) else \
            _inside(node if changed is None else changed, change)
    return node


def _element(node: Any) -> bool:
    return isinstance(node, dict) and "t" in node


def _inside(element: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    content = element.get("c")
    return {**element, "c": rewritten(content, change)} if isinstance(content, list) else element


def images(node: Any) -> list[str]:
    """Every image path in a tree, in document order."""
    return [element["c"][2][0] for element in walk(node) if element["t"] == "Image"]


def chapter_heading(block: dict[str, Any]) -> bool:
    """The level-1 heading chapters.lua gives each chapter (and part) of the assembled paper."""
    return block["t"] == "Header" and block["c"][0] == 1 and "chapter" in block["c"][1][1]


def stringify(inlines: Any) -> str:
    """Plain text of pandoc AST inlines (notes and heading numbers left out)."""
    out: list[str] = []
    for item in inlines or []:
        if not isinstance(item, dict):
            continue
        kind = item.get("t")
        content: Any = item.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Code", "Math"):
            out.append(content[-1])
        elif kind == "Note":
            continue
        elif kind == "Span" and "heading-number" in content[0][1]:
            continue
        elif kind in ("Quoted", "Span", "Cite", "Link", "Image"):
            out.append(stringify(content[1]))
        elif kind in ("Para", "Plain"):
            out.append(stringify(content))
        elif isinstance(content, list):
            out.append(stringify(content))
    return "".join(out)


def meta_inlines(meta: dict[str, Any], name: str) -> list[Any]:
    """A front matter text read by fields.lua, as inlines (its first paragraph)."""
    value = meta.get(name)
    return first_inlines(value["c"]) if value and value["t"] == "MetaBlocks" else []


def meta_list(meta: dict[str, Any], name: str) -> list[list[Any]]:
    value = meta.get(name)
    if not value or value["t"] != "MetaList":
        return []
    return [first_inlines(item["c"]) for item in value["c"] if item["t"] == "MetaBlocks"]


def meta_blocks(meta: dict[str, Any], name: str) -> list[Any]:
    value = meta.get(name)
    return value["c"] if value and value["t"] == "MetaBlocks" else []


def first_inlines(blocks: list[Any]) -> list[Any]:
    for block in blocks:
        if block["t"] in ("Para", "Plain"):
            return block["c"]
    return []


def source_line(chapter: Any, line: int) -> int:
    """A line of the text pandoc read (fields block first) as a line of the chapter file."""
    return max(chapter.body_line, chapter.body_line + line - 1 - PREFIX_LINES)


class Locator:
    """Finds the line and column of an element's text in a chapter's source, for messages.
    Elements come in document order, so each text is looked for after its last place."""

    def __init__(self, body: str, body_line: int, fallback: int = 0):
        self.lines = body.split("\n")
        self.body_line = body_line
        self.fallback = fallback
        self.after: dict[str, tuple[int, int]] = {}

    @classmethod
    def of(cls, chapter: Any) -> Locator:
        """For a chapter: texts not found are reported at the start of its body."""
        return cls(chapter.body, chapter.body_line, fallback=chapter.body_line)

    def find(self, needle: str, starts: tuple[str, ...] = ()) -> tuple[int, int]:
        """(line, column), both 1-based, or (fallback line, 0) when the text is not found.
        With `starts`, the column is that of the nearest of them before the text on its line
        (the '![' of an image whose path was found)."""
        line, column = self._find(needle)
        if starts and column:
            text = self.lines[line - self.body_line][:column - 1]
            found = max((text.rfind(start) for start in starts), default=-1)
            if found > 0 and text[found - 1:found + 1] == "![":
                found -= 1
            column = found + 1 if found >= 0 else column
        return line, column

    @staticmethod
    def _ends_there(text: str, end: int, needle: str) -> bool:
        """Whether the text found is whole: '@tbl:rat' is not the start of '@tbl:rates'."""
        return end >= len(text) or not needle[-1].isalnum() or not (text[end].isalnum() or text[end] in "_:")

    def _find(self, needle: str) -> tuple[int, int]:
        needle = needle.strip()
        if not needle:
            return self.fallback, 0
        start = self.after.get(needle, (0, -1))
        for number in range(start[0], len(self.lines)):
            text = self.lines[number]
            column = text.find(needle, start[1] + 1 if number == start[0] else 0)
            while column >= 0 and not self._ends_there(text, column + len(needle), needle):
                column = text.find(needle, column + 1)
            if column >= 0:
                self.after[needle] = (number, column)
                return self.body_line + number, column + 1
        if needle in self.after:  # seen before: the same place again
            number, column = self.after[needle]
            return self.body_line + number, column + 1
        first = needle.split("\n")[0]
        return self._find(first) if first != needle else (self.fallback, 0)
