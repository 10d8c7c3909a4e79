"""Read a project folder into a Paper: metadata, chapters and bibliography. Nothing is written."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import fastjson, foreign, pandoc, rawhtml, tree
from .bibliography import load_bibliography
from .cache import Cache
from .config import load_config
from .diagnostics import Diagnostic, error, warning
from .images import image_source
from .index import index
from .model import Chapter, Index, Limits, Paper, PaperMeta, Reference, Role
from .resolve import Resolver, chapter_bases
from .sanitize import HtmlCleaner, TooDeep, TreeCleaner
from .series import SERIES_FILE, inherited, series_of
from .tree import stringify
from .yamlfile import parse_yaml

CHAPTER_KEYS = ("title", "authors", "session", "abstract", "contributors", "notes", "translation-of",
                "source-hash")
RESERVED_IDS = {"index", "references", "refs", "all", "search"}
"""Names of the site's own pages and of the paper's own anchors, which no chapter may take."""
ALIASES = {"author": "authors"}
"""Front matter keys of bookdown and Quarto read as ours (a chapter's author is its byline)."""
CHAPTER_SUFFIXES = (".md", ".markdown", ".rmd", ".qmd")
"""Chapter files: Markdown, and R Markdown or Quarto files (read as Markdown, code shown, not run)."""


def chapter_files(folder: Path) -> list[str]:
    """The chapter files of a folder in reading order when paper.yaml does not give one: by
    name, index.* first (as bookdown and Quarto do)."""
    names = [p.name for p in folder.iterdir() if p.suffix.lower() in CHAPTER_SUFFIXES and p.is_file()] \
        if folder.is_dir() else []
    return sorted(names, key=lambda name: (Path(name).stem.lower() != "index", name))
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def load_paper(root: Path, cache: Cache | None = None) -> tuple[Paper | None, list[Diagnostic]]:
    """Read everything the build needs; return the paper (None on fatal problems) and diagnostics.

    Every chapter is read by pandoc into its tree here (in parallel, and from `cache` when its
    text was read before)."""
    series, _problems = series_of(root)  # read once: a broken series.yaml is reported by load_config
    meta, problems = load_config(root, inherit=functools.partial(inherited, series=series) if series else inherited)
    chapter_dir = root / "chapters"
    resolver = Resolver(root)
    limits = meta.limits if meta else Limits()
    if not chapter_dir.is_dir():
        problems.append(error(Path("chapters"), 0, "no-chapters",
                              "there is no chapters/ folder: create it, one .md file per chapter"))
        return None, problems
    if resolver.inside(chapter_dir) is None:
        problems.append(error(Path("chapters"), 0, "outside-project",
                              "chapters/ is a link to a folder elsewhere: builds read nothing outside the "
                              "paper's folder; put the chapters themselves in chapters/"))
        return None, problems
    found = chapter_files(chapter_dir)
    if len(found) > limits.chapters:
        problems.append(error(Path("chapters"), 0, "too-many-chapters",
                              f"chapters/ holds {len(found):,} chapter files, more than the {limits.chapters:,} "
                              "a paper may have; if that is right, raise 'limits: chapters:' in paper.yaml"))
        return None, problems
    roles = chapter_roles(meta, found)
    if meta and meta.chapters:
        for name in sorted(set(found) - set(roles)):
            problems.append(warning(Path("chapters") / name, 0, "unlisted-chapter",
                                    "this chapter is not listed in paper.yaml (chapters, "
                                    "front-matter or appendices) and is left out of the paper"))
    if not roles:
        problems.append(error(Path("chapters"), 0, "no-chapters",
                              "chapters/ has no chapter files (.md, .Rmd or .qmd): add at least one chapter"))
    paths = [Path("chapters") / name for name in roles if (chapter_dir / name).is_file()]
    loaded = load_chapters(root, paths, limits, cache, meta.title if meta else "")
    for _chapter, chapter_problems in loaded:
        problems.extend(chapter_problems)
    chapters = structure([chapter for chapter, _ in loaded], roles, meta)
    references: list[Reference] = []
    bibliography = None
    if (root / "references.bib").exists() and resolver.inside(root / "references.bib") is None:
        problems.append(error(Path("references.bib"), 0, "outside-project",
                              "references.bib is a link to a file outside the project: builds read nothing "
                              "outside the paper's folder; put the file itself here"))
    elif (root / "references.bib").is_file():
        bibliography = Path("references.bib")
        cited = {key for chapter in chapters for key in chapter.index.cites}
        references, bib_problems = load_bibliography(root, cited=cited, cache=cache)
        problems.extend(bib_problems)
    if meta is None:  # reported above; the chapters are still checked, against a blank record
        meta = PaperMeta(title="", language="en", date="", authors=(), valid=False)
    templates: Path | None = root / "templates"
    taken: list[Path] = []
    if series is not None:
        taken.append(Path(os.path.relpath(series.root / SERIES_FILE, root.resolve())))
        if templates is not None and not templates.is_dir() and series.templates is not None:
            templates = series.templates
            taken += [Path(os.path.relpath(p, root.resolve())) for p in sorted(templates.rglob("*")) if p.is_file()]
    return Paper(root, meta, tuple(chapters), tuple(references), bibliography,
                 templates if templates is not None and templates.is_dir() else None, inherited=tuple(taken)), problems


def chapter_roles(meta: PaperMeta | None, found: list[str]) -> dict[str, tuple[Role, str]]:
    """Each chapter file in reading order, with its role and the title of its part."""
    if meta is None:
        return {name: ("chapter", "") for name in found}
    listed = set(meta.front_matter) | set(meta.appendices)
    main = meta.chapters or tuple(name for name in found if name not in listed)
    part_of = {name: part.title for part in meta.parts for name in part.chapters}
    roles: dict[str, tuple[Role, str]] = {name: ("front-matter", "") for name in meta.front_matter}
    roles.update({name: ("chapter", part_of.get(name, "")) for name in main})
    roles.update({name: ("appendix", "") for name in meta.appendices})
    return roles


def structure(chapters: list[Chapter], roles: dict[str, tuple[Role, str]],
              meta: PaperMeta | None) -> list[Chapter]:
    """Each chapter's role and part: as paper.yaml gives them, else from the chapters' headings
    as bookdown and Quarto read them. An unnumbered chapter ({-}, {.unnumbered}) before the
    first numbered one is front matter (a preface); later it is an unnumbered chapter in
    reading order. '# (PART) Title {-}' starts a part; '# (APPENDIX) …' or {.appendix} starts
    the appendices."""
    given = set(meta.front_matter) | set(meta.appendices) if meta else set()
    out = []
    part, appendices, started = "", False, False
    for chapter in chapters:
        role, yaml_part = roles[chapter.path.name]
        if chapter.starts_appendices:
            appendices, part = True, ""
        if chapter.starts_part:
            part = chapter.starts_part
        if chapter.path.name not in given and role == "chapter":
            if appendices:
                role = "appendix"
            elif not chapter.numbered and not started:
                role = "front-matter"
        started = started or role != "front-matter"
        out.append(replace(chapter, role=role, part=yaml_part or (part if role == "chapter" else "")))
    return out


def load_chapters(root: Path, paths: list[Path], limits: Limits, cache: Cache | None = None,
                  book_title: str = "") -> list[tuple[Chapter, list[Diagnostic]]]:
    """Several chapters at once: each pandoc run is a process of its own."""
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda path: load_chapter(root, path, limits, cache, book_title), paths))


def load_chapter(root: Path, path: Path, limits: Limits | None = None, cache: Cache | None = None,
                 book_title: str = "") -> tuple[Chapter, list[Diagnostic]]:
    """One chapter file: its front matter checked, its body read by pandoc into a clean tree."""
    limits = limits or Limits()
    file = root / path
    if Resolver(root).inside(file) is None:
        return _empty(path), [error(path, 0, "outside-project",
                                    "this chapter is a link to a file elsewhere: builds read nothing outside "
                                    "the paper's folder; put the chapter itself in the project")]
    size = file.stat().st_size
    if size > limits.chapter_mb * 1_000_000:
        return _empty(path), [error(path, 0, "chapter-too-large",
                                    f"this chapter is {size // 1_000_000} MB; a chapter of a paper is "
                                    "far smaller: check that it is the right file, or split it (or raise "
                                    "'limits: chapter-mb:' in paper.yaml)")]
    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        return _empty(path), [error(path, line, "not-utf8",
                                    f"this file is not UTF-8 text (byte {exc.start + 1} of the file, "
                                    f"{data[exc.start:exc.start + 1]!r}, cannot be read): save it as UTF-8",
                                    column)]
    key = Cache.key("loaded", path.as_posix(), text, repr(limits), book_title) if cache else ""
    if cache and (kept := cache.get(key)) is not None and (again := restored(kept, root, path, limits)) is not None:
        return again
    chapter, problems, lookups = read_chapter(root, path, text, limits, cache, book_title)
    if cache:
        cache.put(key, stored(chapter, problems, lookups))
    return chapter, problems


def read_chapter(root: Path, path: Path, text: str, limits: Limits, cache: Cache | None,
                 book_title: str) -> tuple[Chapter, list[Diagnostic], list[tuple[str, list[Any]]]]:
    """A chapter's text read into a clean tree: the chapter, its problems, and each image
    source the cleaning looked up with what it found (to be looked up again when the result
    is taken from the cache)."""
    problems: list[Diagnostic] = []
    lookups: list[tuple[str, list[Any]]] = []
    fields: dict = {}
    front: dict = {}
    lines: dict = {}
    body, body_line = text, 1
    match = FRONT_MATTER.match(text)
    if match:
        data, lines, problems = parse_yaml(match.group(1) or "", path, first_line=2)
        body = text[match.end():]
        body_line = text[:match.end()].count("\n") + 1
        if isinstance(data, dict):
            front = data
            fields, foreign_problems = front_matter(data, lines, path)
            problems += foreign_problems
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
    texts = {key: _text(fields.get(key)) for key in ("title", "session", "abstract", "notes",
                                                     "translation-of", "source-hash")}
    chapter = Chapter(
        path=path, id=chapter_id(path), body=body, body_line=body_line, title=texts["title"],
        authors=names["authors"], session=texts["session"], abstract=texts["abstract"],
        contributors=names["contributors"], notes=texts["notes"],
        translation_of=texts["translation-of"], source_hash=texts["source-hash"])
    given = {"title": chapter.title, "session": chapter.session, "abstract": chapter.abstract,
             "authors": list(chapter.authors), "contributors": list(chapter.contributors)}
    try:
        document, notes = tree.read(foreign.knitr_fences(body), {k: v for k, v in given.items() if v}, root,
                                    cache)
        problems += [pandoc_warning(chapter, note) for note in notes]
        clean, found = clean_tree(root, chapter, document, limits, lookups)
    except (TooDeep, RecursionError):
        return replace(chapter, read=False), problems + [error(path, body_line, "too-deep",
                                          "this chapter nests lists, quotations or blocks inside each other far "
                                          "too deeply for any text: simplify it (the limit is 'limits: nesting: "
                                          f"{limits.nesting}' in paper.yaml)")], lookups
    except pandoc.PandocError as exc:
        line = tree.source_line(chapter, exc.line) if exc.line else body_line
        message = str(exc).splitlines()[0] if str(exc) else "pandoc failed"
        return replace(chapter, read=False), problems + [error(path, line, "pandoc",
                                                               f"pandoc cannot read this chapter: {message}")], lookups
    blocks, adapted = foreign.adapt(rawhtml.fold_blocks(clean["blocks"]))
    clean["meta"] = rawhtml.fold_meta(clean["meta"])
    problems += code_notes(chapter, adapted)
    heading = next((b for b in blocks if b["t"] == "Header"), None)
    book_settings = bool(set(front) & (set(foreign.FOREIGN_KEYS) | foreign.TOOL_SETTINGS))
    if chapter.title and heading and heading["c"][0] == 1 and blocks[0] is heading and \
            (book_settings or chapter.title == book_title):
        # bookdown's index.Rmd and Quarto's index.qmd: 'title:' is the book's, '# Preface' the chapter's
        if chapter.title != book_title:
            problems.append(warning(path, lines.get(("title",), 2), "book-title",
                                    f"this chapter starts with its own heading '{stringify(heading['c'][2])}', "
                                    "which is its title; 'title:' here is taken for the book's title, as bookdown "
                                    "and Quarto do, and is ignored: the paper's title is 'title:' in paper.yaml"))
        chapter = replace(chapter, title="")
    classes = heading["c"][1][1] if heading and not chapter.title else []
    return replace(chapter, blocks=tuple(blocks), fields=clean["meta"], index=index(blocks, clean["meta"]),
                   numbered="unnumbered" not in classes, listed="unlisted" not in classes,
                   starts_part=adapted.part, starts_appendices=adapted.appendices or "appendix" in classes
                   ), problems + found, lookups


STORED_FIELDS = ("id", "body", "body_line", "title", "authors", "session", "abstract", "contributors", "notes",
                 "translation_of", "source_hash", "blocks", "fields", "read", "numbered", "listed",
                 "starts_part", "starts_appendices")
"""What load_chapter sets of a Chapter (role, part and language are set by the paper later)."""


def stored(chapter: Chapter, problems: list[Diagnostic], lookups: list[tuple[str, list[Any]]]) -> bytes:
    """A loaded chapter as the build cache keeps it (JSON, as every entry: nothing in the cache
    is ever run as code)."""
    return fastjson.dumpb({"chapter": {name: getattr(chapter, name) for name in STORED_FIELDS},
                       "index": dataclasses.asdict(chapter.index),
                       "problems": [[d.level, str(d.location.path), d.location.line, d.location.column, d.code,
                                     d.message] for d in problems],
                       "lookups": lookups})


def restored(data: bytes, root: Path, path: Path, limits: Limits) -> tuple[Chapter, list[Diagnostic]] | None:
    """A loaded chapter from the cache, if every image source it looked up still leads where it
    did (the file is there, inside the project, and an image that may be shown); else None,
    and the chapter is read again."""
    kept = fastjson.loads(data)
    resolver, bases = Resolver(root), chapter_bases(path)
    if any(list(image_source(resolver, src, bases, limits)) != found for src, found in kept["lookups"]):
        return None
    fields = kept["chapter"]
    for name in ("authors", "contributors", "blocks"):
        fields[name] = tuple(fields[name])
    found = kept["index"]
    pairs = {name: tuple(tuple(item) for item in found[name]) for name in ("ids", "div_classes", "math")}
    chapter_index = Index(found["heading"], cites=tuple(found["cites"]), links=tuple(found["links"]),
                          images=tuple(found["images"]), **pairs)
    problems = [(error if level == "error" else warning)(Path(file), line, code, message, column)
                for level, file, line, column, code, message in kept["problems"]]
    return Chapter(path=path, index=chapter_index, **fields), problems


def front_matter(data: dict[str, Any], lines: dict, path: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The front matter's keys that mean something here (bookdown's and Quarto's 'author' is
    our 'authors'); every other key is a warning saying where its meaning lives, never an error."""
    fields: dict[str, Any] = {}
    problems = []
    ignored = []
    for key, value in data.items():
        name = ALIASES.get(key, key)
        line = lines.get((key,), 2)
        if name in CHAPTER_KEYS:
            if name in fields:
                problems.append(warning(path, line, "duplicate-key", f"'{key}' repeats '{name}', given above: "
                                        "this one is ignored"))
            else:
                fields[name] = value
        elif key in foreign.FOREIGN_KEYS:
            problems.append(warning(path, line, "foreign-key", f"'{key}' in a chapter's front matter is ignored: "
                                    f"{foreign.FOREIGN_KEYS[key]}"))
        elif key in foreign.TOOL_SETTINGS:
            ignored.append(key)
        else:
            close = difflib.get_close_matches(str(key), CHAPTER_KEYS, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(warning(path, line, "unknown-key", f"unknown front matter key '{key}' is ignored: {hint}"
                                    "a chapter's keys are " + ", ".join(CHAPTER_KEYS)))
    if ignored:
        problems.append(warning(path, lines.get((ignored[0],), 2), "foreign-settings",
                                "settings for bookdown, R Markdown or Quarto are ignored (" + ", ".join(ignored)
                                + "): this tool lays the paper out itself from paper.yaml"))
    return fields, problems


def code_notes(chapter: Chapter, adapted: foreign.Adapted) -> list[Diagnostic]:
    """One warning for the chapter's code chunks and inline code: shown, never run."""
    out = []
    if adapted.chunks:
        languages = ", ".join(sorted(set(adapted.chunks)))
        shown = len(adapted.chunks) - adapted.hidden
        said = [f"{shown} shown as code, not run"] if shown else []
        if adapted.hidden:
            said.append(f"{adapted.hidden} marked include=FALSE or echo=FALSE left out, as knitr would")
        out.append(warning(chapter.path, chapter.body_line, "code-not-run",
                           f"{len(adapted.chunks)} code chunk(s) ({languages}): " + "; ".join(said)
                           + ". This tool runs no code: put what a chunk makes (a figure, a table) in as an "
                           "image or a Markdown table"))
    if adapted.inline_code:
        out.append(warning(chapter.path, chapter.body_line, "code-not-run",
                           f"{adapted.inline_code} piece(s) of inline code (`r …`) are shown as code, not run: "
                           "write the value itself into the text"))
    return out


UNCLOSED = re.compile(r"Div at line (\d+) column \d+ unclosed")
PANDOC_LINE = re.compile(r"(?:at |line )(\d+)(?::| column)")


def pandoc_warning(chapter: Chapter, note: str) -> Diagnostic:
    """One of pandoc's warnings about the chapter, at the chapter's own line."""
    unclosed = UNCLOSED.search(note)
    found = unclosed or PANDOC_LINE.search(note)
    line = tree.source_line(chapter, int(found.group(1))) if found else 0
    if unclosed:
        return error(chapter.path, line, "unclosed-block",
                     "this '::: ' block is never closed: add a line with ':::' where it ends")
    return warning(chapter.path, line, "pandoc", f"pandoc: {note.removeprefix('[WARNING] ')}")


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value).strip()


def clean_tree(root: Path, chapter: Chapter, document: dict[str, Any], limits: Limits,
               lookups: list[tuple[str, list[Any]]] | None = None) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The chapter's tree with raw HTML cleaned, unsafe links and attributes removed and every
    image resolved inside the project; what was removed or refused, at its line. Each image
    source looked up is added to `lookups`, with what was found."""
    resolver, bases = Resolver(root), chapter_bases(chapter.path)

    def look_up(src: str) -> tuple[str | None, str, str]:
        found = image_source(resolver, src, bases, limits)
        if lookups is not None:
            lookups.append((src, list(found)))
        return found

    cleaner = TreeCleaner(HtmlCleaner(look_up), max_depth=limits.nesting)
    clean = {"blocks": cleaner(document["blocks"]), "meta": cleaner(document.get("meta", {}))}
    locator = tree.Locator.of(chapter)
    problems = []
    for level, code, message, needle in cleaner.findings:
        line, column = locator.find(needle, starts=("[", "<"))
        make = error if level == "error" else warning
        problems.append(make(chapter.path, line, code, message, column))
    return clean, problems


def chapter_id(path: Path) -> str:
    """'chapters/03-theme-1_local.md' -> 'theme-1-local': the file name without its order prefix."""
    stem = re.sub(r"^[\d._ -]+", "", path.stem) or path.stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "chapter"
    if slug in RESERVED_IDS or re.fullmatch(r"part-[ivxlcdm]+", slug):
        return slug + "-chapter"  # index.md, references.md: the site's and the paper's own names stay theirs
    return "ch-" + slug if slug[0].isdigit() else slug  # XHTML ids cannot start with a digit


def _empty(path: Path) -> Chapter:
    return Chapter(path=path, id=chapter_id(path), body="", body_line=1, read=False)
