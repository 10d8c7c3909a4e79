"""Whole-paper checks: titles, chapter ids, citation keys and images, each with file and line."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

from .diagnostics import Diagnostic, error, warning
from .labels import roman
from .model import Chapter, Paper
from .sanitize import findings

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+).+?\1")
AUTOLINK = re.compile(r"<[a-z][a-z0-9+.-]*:[^>\s]*>", re.I)
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*(?:\{[^}]*\})?\s*#*\s*$")
CITATION = re.compile(r"(?<![\w@])-?@(\{[^{}\s]+\}|\w[\w:.#$%&+?<>~/-]*)")
IMAGE = re.compile(r"!\[((?:[^\]\\]|\\.)*)\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
HTML_IMAGE = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.I)
RESERVED_IDS = {"index", "references"}
DIV_FENCE = re.compile(r"^\s{0,3}(:{3,})\s*(\S.*)?$")
MAX_IMAGE_BYTES = 25_000_000
IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"<svg", b"<?xml")
LINK = re.compile(r"(?<!!)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
EXPLICIT_ID = re.compile(r"\{[^}]*#([\w:.-]+)[^}]*\}")
REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
CROSSREF_KINDS = {"fig": "figure", "tbl": "table", "box": "box", "eq": "equation", "sec": "section"}
"""Cross-reference prefixes (@fig:map) and what they point at."""
KIND_PREFIXES = {"figure": "fig", "table": "tbl", "box": "box", "equation": "eq", "section": "sec",
                 "chapter": "sec", "appendix": "sec", "part": "sec"}


def check_paper(paper: Paper, unused: bool = True) -> list[Diagnostic]:
    """Everything that can be known wrong before pandoc runs (`unused`: also the bibliography's
    entries that no chapter cites; a translation cites the same works as its source)."""
    problems: list[Diagnostic] = []
    keys = {ref.key for ref in paper.references}
    seen_ids: dict[str, Path] = {}
    targets = anchors(paper)
    for chapter in paper.chapters:
        if chapter.id in seen_ids:
            problems.append(error(chapter.path, 0, "duplicate-chapter-id",
                                  f"this chapter's id '{chapter.id}' is also that of "
                                  f"{seen_ids[chapter.id]}: rename one of the files"))
        seen_ids[chapter.id] = chapter.path
        if chapter.id in RESERVED_IDS:
            problems.append(error(chapter.path, 0, "reserved-chapter-id",
                                  f"a chapter cannot be called '{chapter.id}': the website uses "
                                  f"{chapter.id}.html for its own page; rename the file"))
        if not chapter.title and not first_heading(chapter):
            problems.append(error(chapter.path, chapter.body_line, "no-title",
                                  "the chapter has no title: start it with '# Title' "
                                  "or give 'title:' in its front matter"))
        if chapter.notes and not (paper.root / chapter.notes).is_file():
            problems.append(warning(chapter.path, 0, "missing-notes",
                                    f"the session notes {chapter.notes} named in the front matter "
                                    "do not exist: correct the path or remove the 'notes:' line"))
        problems.extend(check_citations(paper, chapter, keys, targets))
        problems.extend(check_raw_html(chapter))
        problems.extend(check_fences(chapter))
        problems.extend(check_images(paper.root, chapter))
    problems.extend(check_links(paper))
    problems.extend(check_ids(paper))
    if paper.bibliography is not None and unused:
        problems.extend(check_unused(paper))
    return problems


def body_lines(chapter: Chapter) -> Iterator[tuple[int, str, bool]]:
    """(offset in the body, text, whether it is code) for every line: fences and code blocks
    are code."""
    fence = ""
    for offset, text in enumerate(chapter.body.split("\n")):
        match = FENCE.match(text)
        if match:
            marker = match.group(1)
            if not fence:
                fence = marker
                yield offset, text, True
                continue
            if marker[0] == fence[0] and len(marker) >= len(fence):
                fence = ""
                yield offset, text, True
                continue
        yield offset, text, bool(fence)


def source_lines(chapter: Chapter) -> Iterator[tuple[int, str]]:
    """(line number in the file, text) for each line outside code blocks, code spans removed."""
    for offset, text, code in body_lines(chapter):
        if not code:
            yield chapter.body_line + offset, blank(AUTOLINK, blank(INLINE_CODE, text))


def blank(pattern: re.Pattern, text: str) -> str:
    """Replace matches with spaces, so that columns still point at the right character."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def first_heading(chapter: Chapter) -> str:
    for _line, text in source_lines(chapter):
        match = HEADING.match(text)
        if match:
            return match.group(2)
    return ""


def citation_keys(chapter: Chapter) -> Iterator[tuple[int, int, str]]:
    """(line, column, key) of each citation in the chapter, the column being that of '@'."""
    for line, text in source_lines(chapter):
        for match in CITATION.finditer(text):
            key = match.group(1)
            key = key[1:-1] if key.startswith("{") else key.rstrip(":.#$%&+?<>~/-")
            yield line, match.start(0) + 1 + match.group(0).startswith("-"), key


def is_crossref(key: str) -> bool:
    return key.split(":", 1)[0] in CROSSREF_KINDS and ":" in key


def check_citations(paper: Paper, chapter: Chapter, keys: set[str], targets: set[str]) -> list[Diagnostic]:
    """Citation keys must be in the bibliography; @fig:… and the like must name an id."""
    problems = []
    for line, column, key in citation_keys(chapter):
        if key in keys:
            continue
        if is_crossref(key):
            if key not in targets and not (key.startswith("sec:") and key[4:] in targets):
                close = difflib.get_close_matches(key, sorted(t for t in targets if is_crossref(t)),
                                                  n=3, cutoff=0.6)
                kind = CROSSREF_KINDS[key.split(":")[0]]
                hint = ("did you mean " + " or ".join(f"@{c}" for c in close) + "?" if close else
                        f"give the {kind} the id {{#{key}}}, or correct the reference")
                problems.append(error(chapter.path, line, "broken-reference",
                                      f"@{key} leads nowhere: no {kind} has that id; {hint}", column))
            continue
        if paper.bibliography is None:
            hint = "there is no references.bib in the project: add one with this entry"
        else:
            close = difflib.get_close_matches(key, sorted(keys), n=3, cutoff=0.5)
            hint = ("did you mean " + " or ".join(f"@{c}" for c in close) + "?" if close
                    else f"add an entry with this key to {paper.bibliography}")
        problems.append(error(chapter.path, line, "unknown-citation",
                              f"citation @{key} is not in the bibliography: {hint}", column))
    return problems


def check_unused(paper: Paper) -> list[Diagnostic]:
    """Entries that no chapter cites: they will not appear in the list of references."""
    cited = {key for chapter in paper.chapters for _l, _c, key in citation_keys(chapter)
             if not is_crossref(key)}
    return [warning(paper.bibliography, ref.line, "unused-reference",
                    f"'{ref.key}' is never cited, so it will not appear in the references")
            for ref in paper.references if ref.key not in cited]


def images(chapter: Chapter) -> Iterator[tuple[int, int, str, str | None]]:
    """(line, column, src, alt text or None for HTML images) for each image in the chapter."""
    for line, text in source_lines(chapter):
        for match in IMAGE.finditer(text):
            yield line, match.start() + 1, match.group(2), match.group(1)
        for match in HTML_IMAGE.finditer(text):
            yield line, match.start() + 1, match.group(1), None


def resolve_file(root: Path, chapter: Chapter, src: str) -> Path | None:
    """The project-relative path of an image, looked up next to the chapter, then next to the
    source chapters (for a translation in chapters/es/), then in the project."""
    for base in (chapter.path.parent, Path("chapters"), Path(".")):
        candidate = (root / base / src).resolve()
        if candidate.is_file() and candidate.is_relative_to(root.resolve()):
            return candidate.relative_to(root.resolve())
    return None


def check_images(root: Path, chapter: Chapter) -> list[Diagnostic]:
    problems = []
    for line, column, src, alt in images(chapter):
        if REMOTE.match(src):
            problems.append(error(chapter.path, line, "remote-image",
                                  f"image {src} is on the internet; builds never go online: "
                                  "save it in images/ and link to that file", column))
        elif resolve_file(root, chapter, src) is None:
            outside = not any((root / base / src).resolve().is_relative_to(root.resolve())
                              for base in (chapter.path.parent, Path(".")))
            problems.append(error(chapter.path, line, "missing-image",
                                  f"image {src} is outside the project: builds read nothing outside "
                                  "the paper's folder; copy the image into images/" if outside else
                                  f"image {src} not found next to the chapter or in the project "
                                  "folder: check the file name", column))
        elif (problem := unusable_image(root / resolve_file(root, chapter, src))):
            problems.append(error(chapter.path, line, "bad-image", f"image {src} {problem}", column))
        elif alt is not None and not alt.strip():
            problems.append(warning(chapter.path, line, "no-alt-text",
                                    f"image {src} has no description: write one between the "
                                    "square brackets, for readers who cannot see it", column))
    return problems


def heading_id(text: str) -> str:
    """The identifier pandoc gives a heading: 'The “broken windows” debate' -> 'the-broken-windows-debate'."""
    text = re.sub(r"[^\w\s.-]", "", re.sub(r"[*_`]", "", text).lower())
    text = re.sub(r"\s+", "-", text.strip())
    return re.sub(r"^[^a-z]+", "", text)


def anchors(paper: Paper) -> set[str]:
    """Every id a link can point at: chapters, headings, and ids written as {#id}."""
    found = {chapter.id for chapter in paper.chapters} | {"refs", "references"}
    found |= {f"part-{roman(i)}" for i in range(1, len(paper.meta.parts) + 1)}
    for chapter in paper.chapters:
        for _line, text in source_lines(chapter):
            found.update(EXPLICIT_ID.findall(text))
            match = HEADING.match(text)
            if match:
                found.add(heading_id(match.group(2)))
    return found


ID_PLACES = {
    "fig": ("a figure", "right after the image: ![Caption](images/file.png){#fig:name}"),
    "tbl": ("a table", "at the end of the table's caption line: ': Caption {#tbl:name}'"),
    "box": ("a box", "in the line that opens the box: '::: {.box #box:name}'"),
    "eq": ("a formula", "right after the formula: '$$ y = a + b x $$ {#eq:name}'"),
    "sec": ("a heading", "at the end of the heading: '## Title {#sec:name}'"),
}


def id_in_place(prefix: str, text: str, match: re.Match) -> bool:
    """Whether an id such as {#tbl:rates} sits on the kind of element its prefix names."""
    before = text[:match.start()].rstrip()
    if prefix == "fig":
        return before.endswith(")") and "![" in before
    if prefix == "tbl":
        return text.lstrip().startswith(":") or text.lstrip().lower().startswith("table:")
    if prefix == "box":
        return bool(DIV_FENCE.match(text)) and ".box" in match.group(0)
    if prefix == "eq":
        return before.endswith("$")
    return bool(HEADING.match(text))


def check_ids(paper: Paper) -> list[Diagnostic]:
    """An id written twice ({#tbl:rates} on two tables) would make references ambiguous, and one
    whose prefix names another kind of element ({#fig:x} on a table) would lead nowhere."""
    problems = []
    seen: dict[str, tuple[Path, int]] = {}
    for chapter in paper.chapters:
        for line, text in source_lines(chapter):
            for match in EXPLICIT_ID.finditer(text):
                ident = match.group(1)
                prefix = ident.split(":", 1)[0]
                if is_crossref(ident) and not id_in_place(prefix, text, match):
                    kind, place = ID_PLACES[prefix]
                    problems.append(error(chapter.path, line, "misplaced-id",
                                          f"'{{#{ident}}}' is not on {kind}, so nothing can refer to it: "
                                          f"an id starting with {prefix}: goes {place}", match.start(1)))
                if ident in seen:
                    path, first = seen[ident]
                    where = f"{path}:{first}"
                    problems.append(error(chapter.path, line, "duplicate-id",
                                          f"the id '{ident}' is used twice (also at {where}): "
                                          "give one of them another name", match.start(1)))
                else:
                    seen[ident] = (chapter.path, line)
    return problems


def check_links(paper: Paper) -> list[Diagnostic]:
    """Links to a place in the paper (#id) or to a file in the project must lead somewhere."""
    problems = []
    known = anchors(paper)
    for chapter in paper.chapters:
        for line, text in source_lines(chapter):
            for match in LINK.finditer(text):
                target = match.group(1)
                column = match.start() + 1
                if target.startswith("#"):
                    if target[1:] not in known:
                        problems.append(warning(chapter.path, line, "broken-link",
                                                f"the link to {target} leads nowhere: no heading or "
                                                "{#id} has that name", column))
                elif not REMOTE.match(target) and not target.startswith(("/", "mailto:")):
                    path = target.split("#")[0]
                    if path and resolve_file(paper.root, chapter, path) is None:
                        problems.append(warning(chapter.path, line, "broken-link",
                                                f"the link to {path} leads nowhere: no such file next "
                                                "to the chapter or in the project", column))
    return problems


def unusable_image(path: Path) -> str:
    """Why an image file cannot be used, or '' if it can."""
    if path.stat().st_size > MAX_IMAGE_BYTES:
        return (f"is {path.stat().st_size // 1_000_000} MB, too large for a paper: reduce it below "
                f"{MAX_IMAGE_BYTES // 1_000_000} MB")
    with path.open("rb") as file:
        head = file.read(512)
    if not any(signature in head[:300] for signature in IMAGE_SIGNATURES):
        return "is not a picture (PNG, JPEG, GIF, WebP or SVG): check that it is the right file"
    return ""


def check_raw_html(chapter: Chapter) -> list[Diagnostic]:
    """HTML that could run code or fetch from elsewhere: removed from the outputs, and said so."""
    return [warning(chapter.path, line, "unsafe-html",
                    f"'{what}' is removed from the outputs: chapters may not contain scripts, "
                    "event handlers, frames, styles or images from other sites", column)
            for line, text in source_lines(chapter) for column, what in findings(text)]


def check_fences(chapter: Chapter) -> list[Diagnostic]:
    """Every '::: name' block must be closed by a ':::' line."""
    opened: list[int] = []
    for line, text in source_lines(chapter):
        match = DIV_FENCE.match(text)
        if match:
            if match.group(2) and not match.group(2).startswith(":"):
                opened.append(line)
            elif opened:
                opened.pop()
    return [error(chapter.path, line, "unclosed-block",
                  "this '::: ' block is never closed: add a line with ':::' where it ends")
            for line in opened]
