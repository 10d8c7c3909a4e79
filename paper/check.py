"""Whole-paper checks on the chapters' trees: titles, chapter ids, citation keys, cross-reference
ids and links, each with file and line. What an element is comes from pandoc's tree; the
source text only gives the line of a message."""

from __future__ import annotations

import difflib
from pathlib import Path, PurePosixPath

from .diagnostics import Diagnostic, error, warning
from .index import CROSSREF_KINDS, chapter_links, citation_keys, cited_keys, first_heading, is_crossref
from .labels import roman
from .model import Chapter, Paper
from .resolve import Resolver, chapter_bases, scheme
from .tree import Locator


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


def check_citations(paper: Paper, chapter: Chapter, keys: set[str], targets: set[str]) -> list[Diagnostic]:
    """Citation keys must be in the bibliography; @fig:… and the like must name an id."""
    problems: list[Diagnostic] = []
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
    return [warning(paper.bibliography or Path("references.bib"), ref.line, "unused-reference",
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
