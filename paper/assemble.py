"""Run pandoc once over the whole paper (citations resolved across chapters) into a Manuscript."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

from . import pandoc
from .check import CROSSREF_KINDS, KIND_PREFIXES, body_lines, citation_keys, images, resolve_file
from .config import STYLES
from .diagnostics import Diagnostic, error
from .errors import UserError
from .labels import labels_for, letter, roman
from .mathsvg import render_math
from .model import BuildContext, Chapter, ChapterText, Manuscript, NumberedItem, Paper
from .sanitize import sanitize

NOTE_OR_CODE = re.compile(r"(`+).+?\1|\[\^([^\]\s]+)\]")
"""A code span (left alone) or a footnote label such as [^1] or [^1]:."""


def assemble(paper: Paper, context: BuildContext, workdir: Path) -> Manuscript:
    """Parse all chapters in one pandoc run with citeproc; split the result by chapter.

    `workdir` is a scratch folder inside the output folder for the bibliography as CSL JSON.
    """
    text, segments = combined_markdown(paper)
    args = ["--from=markdown-yaml_metadata_block", "--to=json",
            f"--lua-filter={pandoc.filter_path('chapters.lua')}",
            f"--lua-filter={pandoc.filter_path('crossref.lua')}",
            f"--metadata=lang:{paper.meta.language}", "--metadata=link-citations:true"]
    if paper.references:
        data = workdir / "references.json"
        data.write_text(json.dumps([r.csl for r in paper.references], ensure_ascii=False),
                        encoding="utf-8")
        args += [f"--bibliography={data}", f"--csl={style_path(paper)}"]
        if paper.meta.reference_list == "per-chapter":
            title = labels_for(paper.meta.language)["references"]
            args += [f"--metadata=paper-references-title:{title}",
                     f"--lua-filter={pandoc.filter_path('references.lua')}"]
        else:
            args.append("--citeproc")
    try:
        out = pandoc.run(args, text, paper.root, context.source_date_epoch, cache=context.cache)
    except pandoc.PandocError as exc:
        raise UserError([locate(exc, segments)]) from exc
    document = json.loads(out)
    problems = unresolved(document["meta"], paper)
    document["blocks"] = sanitize(with_page_anchors(document["blocks"]))
    formulas, math_problems = render_math(document, paper)
    if problems or math_problems:
        raise UserError(problems + math_problems)
    abstract = ""
    if paper.meta.abstract:
        abstract = pandoc.run(["--from=markdown", "--to=html5", "--wrap=none"],
                              paper.meta.abstract, paper.root, context.source_date_epoch, cache=context.cache)
    numbered = tuple(NumberedItem(**item) for item in meta_json(document["meta"], "paper-numbered"))
    return Manuscript(paper, tuple(document["pandoc-api-version"]),
                      split_chapters(document["blocks"], paper), abstract, numbered, formulas)


def with_page_anchors(blocks: list[Any]) -> list[Any]:
    """Every block that can start a printed page gets an empty anchor (pb-1-1, pb-1-2, … in
    chapter 1), so that the EPUB can mark where each page of the PDF begins. Numbered within
    each chapter, so that an edit leaves the other chapters' HTML, and their laid-out pages,
    as they were. Headings get none: the anchor would travel into tables of contents. (Done
    here, not in a Lua filter, where it cost a second on a long paper.)"""
    chapter, numbers = 0, itertools.count(1)

    def anchor() -> dict[str, Any]:
        return {"t": "Span", "c": [[f"pb-{chapter}-{next(numbers)}", [], []], []]}

    def walk(blocks: list[Any]) -> list[Any]:
        out = []
        nonlocal chapter, numbers
        for block in blocks:
            kind = block["t"]
            if kind == "Header" and "chapter" in block["c"][1][1]:
                chapter, numbers = chapter + 1, itertools.count(1)
            if kind in ("Para", "Plain"):
                block["c"].insert(0, anchor())
            elif kind in ("BulletList", "OrderedList"):
                for item in block["c"] if kind == "BulletList" else block["c"][1]:
                    if item and item[0]["t"] in ("Para", "Plain"):
                        item[0]["c"].insert(0, anchor())
            elif kind == "Div":
                out.append({"t": "Plain", "c": [anchor()]})
                block["c"][1] = walk(block["c"][1])
            elif kind not in ("Header", "RawBlock"):
                out.append({"t": "Plain", "c": [anchor()]})
            out.append(block)
        return out

    return walk(blocks)


def meta_json(meta: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A list the Lua filters handed back as JSON in a metadata field."""
    field = meta.get(name)
    return json.loads(field["c"]) if field else []


def unresolved(meta: dict[str, Any], paper: Paper) -> list[Diagnostic]:
    """Cross-references whose target is missing or of another kind, at the line they are on.

    check.py finds missing ids before pandoc runs; what is left here is an id put on the
    wrong kind of element ({#fig:x} on a table, say), which only the document tree shows.
    """
    chapters = {c.id: c for c in paper.chapters}
    problems = []
    for item in meta_json(meta, "paper-unresolved"):
        chapter = chapters.get(item["chapter"])
        where = next(((line, column) for line, column, key in citation_keys(chapter) if key == item["id"]),
                     (0, 0)) if chapter else (0, 0)
        found = item.get("found") or "missing"
        wanted = CROSSREF_KINDS.get(item["id"].split(":")[0], "item")
        reason = (f"no {wanted} has the id '{item['id']}'" if found == "missing" else
                  f"'{item['id']}' is the id of a {found}, not of a {wanted}: "
                  f"use the prefix {KIND_PREFIXES[found]}: for it")
        problems.append(error(chapter.path if chapter else Path("chapters"), where[0], "broken-reference",
                              f"@{item['id']} leads nowhere: {reason}", where[1]))
    return problems


def style_path(paper: Paper) -> Path:
    """The CSL file: one shipped with the tool, or the project's own."""
    shipped = STYLES / f"{paper.meta.citation_style}.csl"
    return shipped if shipped.is_file() else paper.root / paper.meta.citation_style


def combined_markdown(paper: Paper) -> tuple[str, list[tuple[int, Chapter]]]:
    """One Markdown text for the whole paper, and where each chapter's body starts in it."""
    parts: list[str] = []
    segments: list[tuple[int, Chapter]] = []
    line = 1
    labels = labels_for(paper.meta.language)

    def add(text: str) -> None:
        nonlocal line
        parts.append(text)
        line += text.count("\n")

    add("```{=paper-settings}\n" + json.dumps({
        "labels": labels, "section_numbers": paper.meta.section_numbers,
        "page_references": paper.meta.page_references}, ensure_ascii=False) + "\n```\n\n")
    part = ""
    for chapter, (role, number, label) in zip(paper.chapters, chapter_numbers(paper), strict=True):
        if chapter.part and chapter.part != part:
            numeral = roman(1 + [p.title for p in paper.meta.parts].index(chapter.part)).upper()
            add(marker({"id": f"part-{numeral.lower()}", "title": chapter.part, "source": "",
                        "images": {}, "classes": ["part"], "role": "part", "number": numeral,
                        "label": f"{labels['part']} {numeral}"}))
        part = chapter.part
        found = {src: resolve_file(paper.root, chapter, src) for _l, _c, src, _a in images(chapter)}
        info = {"id": chapter.id, "title": chapter.title, "source": chapter.path.as_posix(),
                "images": {src: p.as_posix() for src, p in found.items() if p},
                "classes": ["front-matter", "unnumbered"] if role == "front-matter" else [role],
                "role": role, "number": number, "label": label, "lang": chapter.language,
                "notice": labels["untranslated"] if chapter.language else ""}
        add(marker(info))
        add(chapter_meta(chapter, labels))
        segments.append((line, chapter))
        add(own_notes(chapter).rstrip("\n") + "\n\n")
    if (paper.references and paper.meta.reference_list == "end"
            and any(next(citation_keys(c), None) for c in paper.chapters)):
        add(marker({"id": "references", "title": labels["references"], "source": "",
                    "images": {}, "classes": ["unnumbered", "references"],
                    "role": "references"}))
        add("::: {#refs}\n:::\n")
    return "".join(parts), segments


def own_notes(chapter: Chapter) -> str:
    """The chapter's body with its footnote labels made its own: [^1] becomes [^intro--1].

    Chapters are read as one text, and authors number their notes [^1], [^2]… in every
    chapter; without this, every chapter would show the first chapter's note 1.
    """
    def relabel(match: re.Match) -> str:
        return match.group(0) if match.group(1) else f"[^{chapter.id}--{match.group(2)}]"

    return "\n".join(text if code else NOTE_OR_CODE.sub(relabel, text)
                     for _offset, text, code in body_lines(chapter))


def chapter_numbers(paper: Paper) -> list[tuple[str, str, str]]:
    """(role, number, label) of each chapter: ("chapter", "2", "Chapter 2"), ("appendix", "A", …)."""
    labels = labels_for(paper.meta.language)
    counts = {"chapter": 0, "appendix": 0}
    out = []
    for chapter in paper.chapters:
        if chapter.role == "front-matter":
            out.append((chapter.role, "", ""))
            continue
        counts[chapter.role] += 1
        n = counts[chapter.role]
        number = str(n) if chapter.role == "chapter" else letter(n)
        out.append((chapter.role, number, f"{labels[chapter.role]} {number}"))
    return out


def marker(info: dict[str, Any]) -> str:
    return "```{=paper-chapter}\n" + json.dumps(info, ensure_ascii=False) + "\n```\n\n"


def chapter_meta(chapter: Chapter, labels: dict[str, str]) -> str:
    """Authors, session and abstract under the chapter title, as Markdown."""
    lines = []
    if chapter.authors:
        lines.append(f"[{', '.join(chapter.authors)}]{{.chapter-authors}}\n\n")
    if chapter.session:
        lines.append(f"[{labels['session']}: {chapter.session}]{{.chapter-session}}\n\n")
    if chapter.contributors:
        lines.append(f"[{labels['contributions']}: {'; '.join(chapter.contributors)}]"
                     "{.chapter-contributors}\n\n")
    if chapter.abstract:
        lines.append(f"::: chapter-abstract\n{chapter.abstract}\n:::\n\n")
    if not lines:
        return ""
    return "::::: chapter-meta\n" + "".join(lines) + ":::::\n\n"


def locate(exc: pandoc.PandocError, segments: list[tuple[int, Chapter]]):
    """Turn pandoc's line in the combined text back into a chapter file and line."""
    message = str(exc).splitlines()[0] if str(exc) else "pandoc failed"
    if exc.line is not None:
        for start, chapter in reversed(segments):
            if exc.line >= start:
                return error(chapter.path, chapter.body_line + exc.line - start, "pandoc",
                             f"pandoc cannot read this chapter: {message}")
    return error(Path("chapters"), 0, "pandoc", f"pandoc failed: {exc}")


def stringify(inlines: list[dict[str, Any]]) -> str:
    """Plain text of pandoc AST inlines."""
    out = []
    for item in inlines:
        kind, content = item.get("t"), item.get("c")
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
        elif isinstance(content, list):
            out.append(stringify(content))
    return "".join(out)


def split_chapters(blocks: list[dict[str, Any]], paper: Paper) -> tuple[ChapterText, ...]:
    """Cut the paper's blocks at each chapter heading."""
    sources = {c.id: c for c in paper.chapters}
    groups: list[list[dict[str, Any]]] = []
    for block in blocks:
        if block["t"] == "Header" and "chapter" in block["c"][1][1]:
            groups.append([block])
        elif groups:
            groups[-1].append(block)
    out = []
    for group in groups:
        ident, _classes, attributes = group[0]["c"][1]
        attributes = dict(attributes)
        label = next((stringify(item["c"][1]) for item in group[0]["c"][2]
                      if item["t"] == "Span" and "heading-number" in item["c"][0][1]), "")
        out.append(ChapterText(ident, stringify(group[0]["c"][2]).strip(), tuple(group),
                               sources.get(ident), label, attributes.get("paper-role") or "chapter"))
    return tuple(out)
