"""Whole-paper checks on the chapters' trees: titles, chapter ids, citation keys, cross-reference
ids and links, each with file and line. What an element is comes from pandoc's tree; the
source text only gives the line of a message."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from .diagnostics import Diagnostic, error, warning
from .labels import roman
from .model import Chapter, Index, Paper
from .resolve import Resolver, chapter_bases, scheme
from .sanitize import ATTR_POSITION
from .tree import Locator, stringify, walk

"""The website's own pages: a chapter file of that name would overwrite one."""
CROSSREF_KINDS = {"fig": "figure", "tbl": "table", "box": "box", "eq": "equation", "sec": "section"}
"""Cross-reference prefixes (@fig:map) and what they point at."""
KIND_PREFIXES = {"figure": "fig", "table": "tbl", "box": "box", "equation": "eq", "section": "sec",
                 "chapter": "sec", "appendix": "sec", "part": "sec"}


def check_paper(paper: Paper, unused: bool = True) -> list[Diagnostic]:
    """Everything that can be known wrong before the paper is assembled (`unused`: also the
    bibliography's entries that no chapter cites; a translation cites the same works as its source)."""
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
        if not chapter.read:
            continue
        if not chapter.title and not first_heading(chapter):
            problems.append(error(chapter.path, chapter.body_line, "no-title",
                                  "the chapter has no title: start it with '# Title' "
                                  "or give 'title:' in its front matter"))
        if chapter.notes and Resolver(paper.root).project_file(chapter.notes) is None:
            problems.append(warning(chapter.path, 0, "missing-notes",
                                    f"the session notes {chapter.notes} named in the front matter "
                                    "are not a file of the project: correct the path or remove the 'notes:' line"))
        problems.extend(check_citations(paper, chapter, keys, targets))
    problems.extend(check_links(paper, targets))
    problems.extend(check_ids(paper))
    if paper.bibliography is not None and unused and all(chapter.read for chapter in paper.chapters):
        problems.extend(check_unused(paper))
    return problems


def index(blocks: list[Any], fields: dict[str, Any]) -> Index:
    """The chapter's Index, from its clean tree and front matter texts."""
    heading, cites, ids, links, images = None, [], [], [], []
    cites += [c["citationId"] for node in walk(list(fields.values())) if node["t"] == "Cite" for c in node["c"][0]]
    for node in walk(blocks):
        kind = node["t"]
        if kind == "Cite":
            cites += [citation["citationId"] for citation in node["c"][0]]
        elif kind == "Link":
            links.append(node["c"][2][0])
        elif kind == "Image" and node["c"][2][0]:
            images.append(node["c"][2][0])
        if kind == "Header" and heading is None:
            heading = stringify(node["c"][2])
        if kind in ATTR_POSITION:
            attr = node["c"][ATTR_POSITION[kind]]
            if attr[0]:
                ids.append((attr[0], "box" if kind == "Div" and "box" in attr[1] else kind))
        elif kind in ("Para", "Plain"):
            inlines = node["c"]
            for i, item in enumerate(inlines):
                if item["t"] == "Str" and item["c"].startswith("{#") and item["c"].endswith("}"):
                    words = item["c"][2:-1].split()
                    before = [x for x in inlines[:i] if x["t"] != "Space"]
                    after_math = bool(before) and before[-1]["t"] == "Math"
                    ids.append((words[0] if words else "", "equation" if after_math else "text"))
    return Index(heading or "", tuple(cites), tuple(ids), tuple(links), tuple(images))


def first_heading(chapter: Chapter) -> str:
    return chapter.index.heading


def citation_keys(chapter: Chapter) -> Iterator[tuple[int, int, str]]:
    """(line, column, key) of each citation in the chapter, the column being that of '@'."""
    locator = Locator.of(chapter)
    for key in chapter.index.cites:
        line, column = locator.find("@" + key)
        yield line, column, key


def cited_keys(chapter: Chapter) -> Iterator[str]:
    """The citation keys of a chapter, in order, without looking for their lines."""
    yield from chapter.index.cites


def is_crossref(key: str) -> bool:
    return key.split(":", 1)[0] in CROSSREF_KINDS and ":" in key


def check_citations(paper: Paper, chapter: Chapter, keys: set[str], targets: set[str]) -> list[Diagnostic]:
    """Citation keys must be in the bibliography; @fig:… and the like must name an id."""
    problems = []
    if all(key in keys for key in cited_keys(chapter)):
        return problems
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
    cited = {key for chapter in paper.chapters for key in cited_keys(chapter) if not is_crossref(key)}
    return [warning(paper.bibliography, ref.line, "unused-reference",
                    f"'{ref.key}' is never cited, so it will not appear in the references")
            for ref in paper.references if ref.key not in cited]


def anchors(paper: Paper) -> set[str]:
    """Every id a link can point at: chapters, parts, and every id of every chapter's tree."""
    found = {chapter.id for chapter in paper.chapters} | {"refs", "references"}
    found |= {f"part-{roman(i)}" for i in range(1, len({c.part for c in paper.chapters if c.part}) + 1)}
    for chapter in paper.chapters:
        found.update(ident for ident, kind in chapter.index.ids if kind != "text")
    return found


ID_PLACES = {
    "fig": ("a figure", ("Figure", "Image"), "right after the image: ![Caption](images/file.png){#fig:name}"),
    "tbl": ("a table", ("Table",), "at the end of the table's caption line: ': Caption {#tbl:name}'"),
    "box": ("a box", ("box",), "in the line that opens the box: '::: {.box #box:name}'"),
    "eq": ("a formula", ("equation",), "right after the formula: '$$ y = a + b x $$ {#eq:name}'"),
    "sec": ("a heading", ("Header",), "at the end of the heading: '## Title {#sec:name}'"),
}


def check_ids(paper: Paper) -> list[Diagnostic]:
    """An id written twice ({#tbl:rates} on two tables) would make references ambiguous, and one
    whose prefix names another kind of element ({#fig:x} on a table) would lead nowhere.
    Headings' own ids are made unique when the paper is assembled, as pandoc does."""
    problems = []
    seen: dict[str, tuple[Path, int]] = {}
    for chapter in paper.chapters:
        locator = Locator.of(chapter)
        for ident, kind in chapter.index.ids:
            if not is_crossref(ident) and kind == "Header":
                continue
            line, column = locator.find("#" + ident)
            prefix = ident.split(":", 1)[0]
            if is_crossref(ident) and kind not in ID_PLACES[prefix][1]:
                what, _kinds, place = ID_PLACES[prefix]
                problems.append(error(chapter.path, line, "misplaced-id",
                                      f"'{{#{ident}}}' is not on {what}, so nothing can refer to it: "
                                      f"an id starting with {prefix}: goes {place}", column))
            elif kind == "text":
                continue
            if ident in seen:
                path, first = seen[ident]
                problems.append(error(chapter.path, line, "duplicate-id",
                                      f"the id '{ident}' is used twice (also at {path}:{first}): "
                                      "give one of them another name", column))
            else:
                seen[ident] = (chapter.path, line)
    return problems


def chapter_links(paper: Paper) -> dict[str, str]:
    """File names a link may give for another chapter (02-sampling.Rmd, or the 02-sampling.html
    bookdown made of it) -> that chapter's id."""
    out = {}
    for chapter in paper.chapters:
        for name in (chapter.path.name, chapter.path.stem + ".html"):
            out.setdefault(name, chapter.id)
    return out


def check_links(paper: Paper, known: set[str]) -> list[Diagnostic]:
    """Links to a place in the paper (#id) or to a file in the project must lead somewhere."""
    problems = []
    resolver = Resolver(paper.root)
    chapter_files = set(chapter_links(paper))
    for chapter in paper.chapters:
        locator = Locator.of(chapter)
        for target in chapter.index.links:
            if scheme(target) or not target:
                continue
            line, column = locator.find(target, starts=("[", "<"))
            if target.startswith("#"):
                if target[1:] not in known:
                    problems.append(error(chapter.path, line, "broken-link",
                                          f"the link to {target} leads nowhere: no heading or "
                                          "{#id} has that name, and the website may have no broken links", column))
                continue
            path = target.split("#")[0]
            if PurePosixPath(path).name in chapter_files:
                continue  # a link to another chapter's file, made a link to the chapter
            found = resolver.file(path, chapter_bases(chapter.path))
            if path and found.path is None and found.reason == "outside":
                problems.append(error(chapter.path, line, "outside-link",
                                      f"the link to {path} leads outside the project, where no reader of the "
                                      "website or the EPUB can follow it: copy the file into the project, or "
                                      "link to its web address", column))
            elif path and found.path is None:
                problems.append(error(chapter.path, line, "broken-link", f"the link to {path} leads nowhere: "
                                      "no such file next to the chapter or in the project, and the website may "
                                      "have no broken links", column))
    return problems
