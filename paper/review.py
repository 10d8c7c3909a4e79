"""`paper review reviewed.docx`: every comment and tracked change reviewers made in the paper's
Word copy (`--format docx`), as a place in the chapter it belongs to, so that the editor can
work through them in the Markdown.

Decided on the tree pandoc's docx reader makes of the reviewed file: a chapter is found by its
heading (as the Word copy prints it, "Chapter 3 Local governance"), a remark's line by the words
it is on, looked for in the chapter's source (the line is for the editor's eyes only).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .diagnostics import error
from .errors import UserError
from .model import Chapter, Paper
from .tree import Locator, meta_inlines, stringify
from .wordimport import MAX_MANUSCRIPT_BYTES, paragraphs, read_manuscript, remarks_in, short

SHOWN = {"text added": "added", "text deleted": "deleted", "a paragraph break added": "paragraph break added",
         "a paragraph break deleted": "paragraph break deleted"}
"""What a remark's kind (wordimport.KINDS) is called in the list of remarks."""


@dataclass(frozen=True)
class Remark:
    """One comment or change, where it belongs."""

    path: str
    line: int
    kind: str
    """comment, added, deleted, paragraph break added or deleted."""
    author: str
    date: str
    text: str
    """The comment, or the words added or deleted."""
    on: str
    """The words the comment is on, or the start of the paragraph changed."""

    def shown(self) -> str:
        what = f'comment by {self.author}: "{self.text}"' if self.kind == "comment" else \
            f"{self.kind} by {self.author}" + (f': "{self.text}"' if self.text else "")
        return f"{self.path}:{self.line}: {what}" + (f' (on "{self.on}")' if self.on else "")

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def review(paper: Paper, reviewed: Path) -> list[Remark]:
    """The remarks in `reviewed`, a Word copy of `paper` (or of one of its translations)."""
    if reviewed.suffix.lower() != ".docx" or not reviewed.is_file() or reviewed.stat().st_size > MAX_MANUSCRIPT_BYTES:
        raise UserError([error(reviewed.resolve(), 0, "import-format", "give the Word copy the reviewers returned "
                               "(a .docx file made by 'paper build --format docx')")])
    blocks = read_manuscript(reviewed.resolve(), "docx", ["--track-changes=all"])["blocks"]
    editions = [paper, *paper.translations]
    headings = [original(b["c"][2]) for b in blocks if b["t"] == "Header" and b["c"][0] == 1]
    edition = max(editions, key=lambda e: sum(1 for h in headings if chapter_for(e, h) is not None))
    if not any(chapter_for(edition, h) for h in headings):
        raise UserError([error(reviewed.resolve(), 0, "import-format", "none of this Word file's headings is a "
                               "chapter of this paper: give the Word copy of this paper ('paper build --format "
                               "docx') that the reviewers returned, and run the command in the paper's folder")])
    remarks: list[Remark] = []
    chapter: Chapter | None = None
    locators: dict[str, Locator] = {}
    for block in paragraphs(blocks):
        if block["t"] == "Header" and block["c"][0] == 1:
            chapter = chapter_for(edition, original(block["c"][2]))
        inlines = block["c"][2] if block["t"] == "Header" else block["c"]
        for kind, node, on in remarks_in(block):
            details = dict(node["c"][0][2])
            words = original(on) if kind == "comment" else original(inlines)
            path, line = placed(edition, chapter, words, original(inlines), locators)
            remarks.append(Remark(path, line, SHOWN.get(kind, kind), details.get("author") or "someone",
                                  (details.get("date") or "")[:10], short(" ".join(stringify(node["c"][1]).split()),
                                                                          200), short(words, 60)))
    return remarks


def original(inlines: list[Any]) -> str:
    """Text as it stands in the paper: what a reviewer added left out, what they deleted kept."""
    kept = []
    for node in inlines:
        if node.get("t") == "Span" and {"insertion", "comment-start"} & set(node["c"][0][1]):
            continue
        kept.append(node)
    return " ".join(stringify(kept).split())


def chapter_for(edition: Paper, heading: str) -> Chapter | None:
    """The chapter whose heading this is in the Word copy: its title, after its label if numbered."""
    wanted = heading.casefold()
    for chapter in edition.chapters:
        title = " ".join(plain_title(chapter).split()).casefold()
        if title and (wanted == title or wanted.endswith(" " + title)):
            return chapter
    return None


def plain_title(chapter: Chapter) -> str:
    """A chapter's title as printed: its front matter's, else its first heading's."""
    if chapter.title:
        return stringify(meta_inlines(chapter.fields, "paper-title")) or chapter.title
    first = next((b for b in chapter.blocks if b["t"] == "Header"), None)
    return stringify(first["c"][2]) if first else ""


def placed(edition: Paper, chapter: Chapter | None, on: str, paragraph: str,
           locators: dict[str, Locator]) -> tuple[str, int]:
    """The file and line of a remark: where a run of the words it is on (else of its paragraph)
    stands in the chapter's source, at the chapter's start if none is found. Runs of four, then
    three words, since what the Word copy prints differs from the source around citations,
    cross-references and emphasis. A remark outside any chapter (the title page, the abstract)
    belongs to paper.yaml."""
    if chapter is None:
        return "paper.yaml", 1
    locator = locators.setdefault(chapter.path.as_posix(), Locator.of(chapter))
    for words in (on, paragraph):
        tokens = [t for t in words.split() if not NUMBER.fullmatch(t)][:16]  # "1.1.1", "Figure 1.1": the paper's
        for size in (4, 3, 2, 1):
            for start in range(max(1, len(tokens) - size + 1) if len(tokens) >= size else 0):
                if size == 1 and len(tokens[start]) < 4:
                    continue
                line, column = locator.find(" ".join(tokens[start:start + size]))
                if column:
                    return chapter.path.as_posix(), line
    return chapter.path.as_posix(), chapter.body_line


NUMBER = re.compile(r"[\dA-Z]?\d*(?:\.\d+)+\.?|\d+")
