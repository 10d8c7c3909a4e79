"""Read a project folder into a Paper: metadata, chapters and bibliography. Nothing is written."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from .bibliography import load_bibliography
from .config import load_config
from .diagnostics import Diagnostic, error, warning
from .model import Chapter, Paper, PaperMeta
from .yamlfile import parse_yaml

MAX_CHAPTER_BYTES = 5_000_000
CHAPTER_KEYS = ("title", "authors", "session", "abstract", "contributors", "notes", "translation-of",
                "source-hash")
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def load_paper(root: Path) -> tuple[Paper | None, list[Diagnostic]]:
    """Read everything the build needs; return the paper (None on fatal problems) and diagnostics."""
    meta, problems = load_config(root)
    chapter_dir = root / "chapters"
    if not chapter_dir.is_dir():
        problems.append(error(Path("chapters"), 0, "no-chapters",
                              "there is no chapters/ folder: create it, one .md file per chapter"))
        return None, problems
    found = sorted(p.name for p in chapter_dir.glob("*.md"))
    roles = chapter_roles(meta, found)
    if meta and meta.chapters:
        for name in sorted(set(found) - set(roles)):
            problems.append(warning(Path("chapters") / name, 0, "unlisted-chapter",
                                    "this chapter is not listed in paper.yaml (chapters, "
                                    "front-matter or appendices) and is left out of the paper"))
    if not roles:
        problems.append(error(Path("chapters"), 0, "no-chapters",
                              "chapters/ has no .md files: add at least one chapter"))
    chapters = []
    for name, (role, part) in roles.items():
        if (chapter_dir / name).is_file():
            chapter, chapter_problems = load_chapter(root, Path("chapters") / name)
            problems.extend(chapter_problems)
            chapters.append(replace(chapter, role=role, part=part))
    references, bibliography = [], None
    if (root / "references.bib").is_file():
        bibliography = Path("references.bib")
        references, bib_problems = load_bibliography(root)
        problems.extend(bib_problems)
    if meta is None:  # reported above; the chapters are still checked, against a blank record
        meta = PaperMeta(title="", language="en", date="", authors=(), valid=False)
    templates = root / "templates"
    return Paper(root, meta, tuple(chapters), tuple(references), bibliography,
                 templates if templates.is_dir() else None), problems


def chapter_roles(meta: PaperMeta | None, found: list[str]) -> dict[str, tuple[str, str]]:
    """Each chapter file in reading order, with its role and the title of its part."""
    if meta is None:
        return {name: ("chapter", "") for name in found}
    listed = set(meta.front_matter) | set(meta.appendices)
    main = meta.chapters or tuple(name for name in found if name not in listed)
    part_of = {name: part.title for part in meta.parts for name in part.chapters}
    roles = {name: ("front-matter", "") for name in meta.front_matter}
    roles.update({name: ("chapter", part_of.get(name, "")) for name in main})
    roles.update({name: ("appendix", "") for name in meta.appendices})
    return roles


def load_chapter(root: Path, path: Path) -> tuple[Chapter, list[Diagnostic]]:
    """Split one chapter file into front matter and body, keeping the body's first line number."""
    size = (root / path).stat().st_size
    if size > MAX_CHAPTER_BYTES:
        return _empty(path), [error(path, 0, "chapter-too-large",
                                    f"this chapter is {size // 1_000_000} MB; a chapter of a paper is "
                                    "far smaller: check that it is the right file, or split it")]
    try:
        text = (root / path).read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        return _empty(path), [error(path, 0, "not-utf8",
                                    f"this file is not UTF-8 text ({exc.reason}): save it as UTF-8")]
    problems: list[Diagnostic] = []
    fields: dict = {}
    lines: dict = {}
    body, body_line = text, 1
    match = FRONT_MATTER.match(text)
    if match:
        data, lines, problems = parse_yaml(match.group(1) or "", path, first_line=2)
        body = text[match.end():]
        body_line = text[:match.end()].count("\n") + 1
        if isinstance(data, dict):
            fields = data
            for key in data:
                if key not in CHAPTER_KEYS:
                    line = lines.get((key,), 2)
                    problems.append(error(path, line, "unknown-key",
                                          f"unknown front matter key '{key}': allowed are "
                                          + ", ".join(CHAPTER_KEYS)))
        elif data is not None:
            problems.append(error(path, 2, "bad-front-matter",
                                  "front matter must be 'key: value' lines between two '---' lines"))
    names = {}
    for key in ("authors", "contributors"):
        value = fields.get(key) or []
        value = value if isinstance(value, list) else [value]
        if any(isinstance(v, (dict, list)) for v in value):
            problems.append(error(path, lines.get((key,), 2), "bad-type",
                                  f"'{key}' is a list of names, one per line starting with '- '"))
            value = []
        names[key] = tuple(str(v) for v in value)
    chapter = Chapter(
        path=path,
        id=chapter_id(path),
        body=body,
        body_line=body_line,
        title=str(fields.get("title") or "").strip(),
        authors=names["authors"],
        session=str(fields.get("session") or "").strip(),
        abstract=str(fields.get("abstract") or "").strip(),
        contributors=names["contributors"],
        notes=str(fields.get("notes") or "").strip(),
        translation_of=str(fields.get("translation-of") or "").strip(),
        source_hash=str(fields.get("source-hash") or "").strip(),
    )
    return chapter, problems


def chapter_id(path: Path) -> str:
    """'chapters/03-theme-1_local.md' -> 'theme-1-local': the file name without its order prefix."""
    stem = re.sub(r"^[\d._ -]+", "", path.stem) or path.stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "chapter"
    return "ch-" + slug if slug[0].isdigit() else slug  # XHTML ids cannot start with a digit


def _empty(path: Path) -> Chapter:
    return Chapter(path=path, id=chapter_id(path), body="", body_line=1)
