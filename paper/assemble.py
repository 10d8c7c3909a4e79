"""Run pandoc once over the whole paper (citations resolved across chapters) into a Manuscript."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import pandoc
from .check import citation_keys, images, resolve_file
from .config import STYLES
from .diagnostics import error
from .errors import UserError
from .labels import labels_for
from .model import BuildContext, Chapter, ChapterText, Manuscript, Paper
from .sanitize import sanitize


def assemble(paper: Paper, context: BuildContext, workdir: Path) -> Manuscript:
    """Parse all chapters in one pandoc run with citeproc; split the result by chapter.

    `workdir` is a scratch folder inside the output folder for the bibliography as CSL JSON.
    """
    text, segments = combined_markdown(paper)
    args = ["--from=markdown-yaml_metadata_block", "--to=json",
            f"--lua-filter={pandoc.filter_path('chapters.lua')}",
            f"--metadata=lang:{paper.meta.language}", "--metadata=link-citations:true"]
    if paper.references:
        data = workdir / "references.json"
        data.write_text(json.dumps([r.csl for r in paper.references], ensure_ascii=False),
                        encoding="utf-8")
        args += [f"--bibliography={data}", f"--csl={style_path(paper)}"]
        if paper.meta.reference_list == "per-chapter":
            title = labels_for(paper.meta.language)["references"]
            args += ["--metadata=paper-reference-list:per-chapter",
                     f"--metadata=paper-references-title:{title}"]
        else:
            args.append("--citeproc")
    try:
        out = pandoc.run(args, text, paper.root, context.source_date_epoch)
    except pandoc.PandocError as exc:
        raise UserError([locate(exc, segments)]) from exc
    document = json.loads(out)
    document["blocks"] = sanitize(document["blocks"])
    abstract = ""
    if paper.meta.abstract:
        abstract = pandoc.run(["--from=markdown", "--to=html5", "--wrap=none"],
                              paper.meta.abstract, paper.root, context.source_date_epoch)
    return Manuscript(paper, tuple(document["pandoc-api-version"]),
                      split_chapters(document["blocks"], paper), abstract)


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

    for chapter in paper.chapters:
        found = {src: resolve_file(paper.root, chapter, src) for _l, _c, src, _a in images(chapter)}
        info = {"id": chapter.id, "title": chapter.title, "source": chapter.path.as_posix(),
                "images": {src: p.as_posix() for src, p in found.items() if p}}
        add(marker(info))
        add(chapter_meta(chapter, labels))
        segments.append((line, chapter))
        add(chapter.body.rstrip("\n") + "\n\n")
    if (paper.references and paper.meta.reference_list == "end"
            and any(next(citation_keys(c), None) for c in paper.chapters)):
        add(marker({"id": "references", "title": labels["references"], "source": "",
                    "images": {}, "classes": ["unnumbered", "references"]}))
        add("::: {#refs}\n:::\n")
    return "".join(parts), segments


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
    return tuple(ChapterText(group[0]["c"][1][0], stringify(group[0]["c"][2]), tuple(group),
                             sources.get(group[0]["c"][1][0])) for group in groups)
