"""Run pandoc over the whole paper (numbering, cross-references, then citations) into a Manuscript."""

from __future__ import annotations

import itertools
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from . import citing, fastjson, numbering, pandoc
from .config import STYLES
from .diagnostics import Diagnostic, error
from .errors import UserError
from .images import image_source
from .index import CROSSREF_KINDS, KIND_PREFIXES, chapter_links, citation_keys, cited_keys, is_crossref
from .labels import labels_for, letter, roman
from .mathsvg import drawn_formulas
from .model import BuildContext, Chapter, ChapterText, Manuscript, NumberedItem, Paper, Role
from .resolve import Resolver, scheme
from .sanitize import sanitize
from .tree import images as tree_images
from .tree import meta_blocks, meta_inlines, meta_list, stringify, walk

log = logging.getLogger(__name__)


def assemble(paper: Paper, context: BuildContext, workdir: Path) -> Manuscript:
    """Join the chapters' trees and run pandoc once over the whole paper (numbering and cross-
    references need every chapter), then citeproc on the paper's citations (citing.py); split
    the result by chapter.

    `workdir` is a scratch folder inside the output folder for the bibliography as CSL JSON.
    """
    combined = combined_document(paper)
    version = combined["pandoc-api-version"]
    chapters = numbering.units(combined["blocks"][1:])
    cite = citation_arguments(paper, workdir) if paper.references else []
    per_chapter = paper.meta.reference_list == "per-chapter"
    # chapters known from their index to cite nothing and hold no list of references (not
    # the last, under whose heading alone the list may have been put: combined_document)
    quiet = frozenset(c.id for c in paper.chapters[:-1] if not any(not is_crossref(k) for k in c.index.cites)
                      and not any(i == "refs" or i.endswith("__refs") for i, _kind in c.index.ids))
    with ThreadPoolExecutor(max_workers=1) as pool:
        # citeproc on the citations as they stand before numbering, while the chapters are
        # numbered (a processor would otherwise wait), used if numbering left them so
        def cite_early() -> tuple[dict[str, Any], dict[str, Any]] | None:
            guess = citing.early_document(version, chapters, quiet)
            return (guess, run_pandoc(cite, guess, paper, context)) if guess else None

        early = pool.submit(cite_early) if cite and not per_chapter else None
        blocks, numbered_items, missing = numbering.number_and_link(
            json.loads(combined["blocks"][0]["c"][1]), chapters, version,
            context.cache, lambda args, part: run_pandoc(args, part, paper, context, cache=False))
        document = {"pandoc-api-version": version, "meta": {}, "blocks": blocks}
        if cite:
            own = frozenset(c.id for c in paper.chapters if any(link == "#refs" or link.startswith("#ref-")
                                                                 for link in c.index.links)
                            or any(i == "refs" or i.startswith("ref-") for i, _kind in c.index.ids))

            def run_citeproc(part: dict[str, Any]) -> dict[str, Any]:
                try:
                    made = early.result() if early is not None else None
                except UserError:  # said again by the run below, if it fails too
                    made = None
                if made is not None and part == made[0]:
                    return made[1]
                log.debug("citeproc: the citations changed in numbering; run again")
                return run_pandoc(cite, part, paper, context)

            citing.resolve(document, per_chapter, run_citeproc, quiet, own)
    problems = unresolved(missing, paper)
    document["blocks"], findings, formulas, images, keys = finished(document["blocks"], paper, context)
    problems += refused(findings)
    if problems:
        raise UserError(problems)
    abstract = markdown_html(paper.meta.abstract, paper, context) if paper.meta.abstract else ""
    numbered = tuple(NumberedItem(**item) for item in numbered_items)
    return Manuscript(paper, tuple(version),
                      split_chapters(document["blocks"], paper, keys), abstract, numbered, formulas, tuple(images))


def citation_arguments(paper: Paper, workdir: Path) -> list[str]:
    """pandoc's arguments for citeproc (or references.lua, for a list per chapter), with the
    bibliography as CSL JSON in `workdir`."""
    data = workdir / "references.json"
    data.write_text(json.dumps([r.csl for r in paper.references], ensure_ascii=False), encoding="utf-8")
    cite = ["--from=json", "--to=json", f"--metadata=lang:{paper.meta.language}",
            "--metadata=link-citations:true", f"--bibliography={data}", f"--csl={style_path(paper)}"]
    if paper.meta.reference_list == "per-chapter":
        title = labels_for(paper.meta.language)["references"]
        return cite + [f"--metadata=paper-references-title:{title}",
                       f"--lua-filter={pandoc.filter_path('references.lua')}"]
    return cite + ["--citeproc"]


def run_pandoc(args: list[str], document: dict[str, Any], paper: Paper, context: BuildContext,
               cache: bool = True) -> dict[str, Any]:
    """A pass of pandoc over the assembled paper (cached by its input, unless the caller keeps
    what it makes itself), as a tree."""
    try:
        out = pandoc.run(args, fastjson.dumps(document), paper.root, context.source_date_epoch,
                         cache=context.cache if cache else None)
    except pandoc.PandocError as exc:
        message = str(exc).splitlines()[0] if str(exc) else "pandoc failed"
        raise UserError([error(Path("chapters"), 0, "pandoc",
                               f"pandoc could not assemble the paper: {message}")]) from exc
    return fastjson.loads(out)


def finished(blocks: list[Any], paper: Paper,
             context: BuildContext) -> tuple[list[Any], list[Any], dict[str, str], list[str], dict[str, str]]:
    """Each chapter with its page anchors, cleaned once more, and its formulas drawn: the
    paper's blocks, what the cleaning removed, the formulas' images, every image path the
    blocks show, in order, and the key each chapter's result is kept by (by chapter id).

    A chapter with the same blocks in the same place is taken from the cache; its images were
    approved when it was read, in this build. Parts and the references, whose titles come from
    paper.yaml, are always done afresh."""
    cache = context.cache
    resolver = approved(paper)
    out: list[Any] = []
    findings: list[Any] = []
    images: dict[str, str] = {}
    paths: list[str] = []
    keys: dict[str, str] = {}
    for number, unit in enumerate(numbering.by_heading(blocks, keep_leading=True)):
        from_chapter = unit and unit[0]["t"] == "Header" and dict(unit[0]["c"][1][2]).get("source")
        key = cache.key("finished", str(number), fastjson.dumps(unit)) if cache and from_chapter else ""
        if key:
            keys[unit[0]["c"][1][0]] = key
        stored = cache.get(key) if cache and key else None
        if stored is not None:
            entry = fastjson.loads(stored)
        else:
            clean, found = sanitize(with_page_anchors(unit, max(number - 1, 0)), resolver)
            entry = {"blocks": clean, "findings": found, "images": drawn_formulas(clean),
                     "paths": tree_images(clean)}
            if cache and key:
                cache.put(key, fastjson.dumpb(entry))
        out += entry["blocks"]
        findings += entry["findings"]
        images.update(entry["images"])
        paths += entry["paths"]
    return out, findings, images, paths, keys


def approved(paper: Paper):
    """Image paths in the assembled paper: those the chapters' trees resolved, or a path from
    the project folder (an image in a part's title from paper.yaml, say), checked again."""
    known = {src for chapter in paper.chapters for src in chapter.images}
    resolver = Resolver(paper.root)

    def source(src: str) -> tuple[str | None, str, str]:
        return (src, "", "") if src in known else image_source(resolver, src, (Path("."),), paper.meta.limits)

    return source


def refused(findings: list) -> list[Diagnostic]:
    """What the last cleaning of Markdown from paper.yaml (the abstract, part titles) refused."""
    return [error(Path("paper.yaml"), 0, code, message) for level, code, message, _n in findings if level == "error"]


def markdown_html(text: str, paper: Paper, context: BuildContext) -> str:
    """Markdown from paper.yaml (the abstract) as clean HTML: read in pandoc's sandbox into a
    tree, cleaned like a chapter, written as HTML."""
    read = pandoc.run(["--from=markdown-yaml_metadata_block", "--to=json"], text, paper.root,
                      context.source_date_epoch, quiet=True, cache=context.cache)
    document = fastjson.loads(read)
    document["blocks"], findings = sanitize(document["blocks"], approved(paper))
    if refused(findings):
        raise UserError(refused(findings))
    return pandoc.to_html(document, paper.root, context.source_date_epoch, cache=context.cache)


def with_page_anchors(blocks: list[Any], chapters_before: int = 0) -> list[Any]:
    """Every block that can start a printed page gets an empty anchor (pb-1-1, pb-1-2, … in
    chapter 1), so that the EPUB can mark where each page of the PDF begins. Numbered within
    each chapter, so that an edit leaves the other chapters' HTML, and their laid-out pages,
    as they were. Headings get none: the anchor would travel into tables of contents. (Done
    here, not in a Lua filter, where it cost a second on a long paper.)"""
    chapter, numbers = chapters_before, itertools.count(1)

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
            elif kind == "Div" and "csl-entry" in block["c"][0][1]:
                # a reference is an item of the list of references: its anchor goes inside it,
                # where a page-break marker may stand (not between the list's items)
                block["c"][1] = walk(block["c"][1])
            elif kind == "Div":
                out.append({"t": "Plain", "c": [anchor()]})
                block["c"][1] = walk(block["c"][1])
            elif kind not in ("Header", "RawBlock"):
                out.append({"t": "Plain", "c": [anchor()]})
            out.append(block)
        return out

    return walk(blocks)


def unresolved(items: list[dict[str, Any]], paper: Paper) -> list[Diagnostic]:
    """Cross-references whose target is missing or of another kind, at the line they are on.

    check.py finds missing ids before pandoc runs; what is left here is an id put on the
    wrong kind of element ({#fig:x} on a table, say), which only the document tree shows.
    """
    chapters = {c.id: c for c in paper.chapters}
    problems = []
    for item in items:
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


def raw(kind: str, info: dict[str, Any]) -> dict[str, Any]:
    return {"t": "RawBlock", "c": [kind, json.dumps(info, ensure_ascii=False)]}


def text(words: str) -> list[dict[str, Any]]:
    """Plain words as inlines."""
    out: list[dict[str, Any]] = []
    for i, word in enumerate(words.split(" ")):
        if i:
            out.append({"t": "Space"})
        if word:
            out.append({"t": "Str", "c": word})
    return out


def span(inlines: list[Any], cls: str) -> dict[str, Any]:
    return {"t": "Para", "c": [{"t": "Span", "c": [["", [cls], []], inlines]}]}


def combined_document(paper: Paper) -> dict[str, Any]:
    """One pandoc document of the whole paper from the chapters' trees, with a marker before
    each chapter and part that chapters.lua turns into its heading."""
    labels = labels_for(paper.meta.language)
    blocks: list[Any] = [raw("paper-settings", {
        "labels": labels, "section_numbers": paper.meta.section_numbers,
        "page_references": paper.meta.page_references})]
    part, parts = "", 0
    used: set[str] = set()
    aliases, files = heading_aliases(paper), chapter_links(paper)
    for chapter, (role, number, label) in zip(paper.chapters, chapter_numbers(paper), strict=True):
        if chapter.part and chapter.part != part:
            parts += 1
            numeral = roman(parts).upper()
            blocks.append(raw("paper-chapter", {
                "id": f"part-{numeral.lower()}", "title": chapter.part, "source": "", "classes": ["part"],
                "role": "part", "number": numeral, "label": f"{labels['part']} {numeral}"}))
        part = chapter.part
        blocks.append(raw("paper-chapter", {
            "id": chapter.id, "title": "", "source": chapter.path.as_posix(),
            "classes": (["front-matter", "unnumbered"] if role == "front-matter" else [role])
            + (["unnumbered"] if role != "front-matter" and not number else [])
            + ([] if chapter.listed else ["unlisted"]),
            "role": role, "number": number, "label": label, "lang": chapter.language,
            "notice": labels["untranslated"] if chapter.language else ""}))
        if chapter.title:
            blocks.append({"t": "Header", "c": [1, ["", [], []], meta_inlines(chapter.fields, "paper-title")]})
        blocks += chapter_meta(chapter, labels, tuple(a.name for a in paper.meta.authors))
        headings = [ident for ident, kind in chapter.index.ids if kind == "Header"]
        own, renamed = unique_heading_ids(chapter.blocks, used, headings)
        if any(aside_kind(classes, dict(paper.meta.boxes)) for classes in chapter.index.div_classes):
            own = with_asides(own, dict(paper.meta.boxes))
        # (the chapter's index tells whether anything in it is to be changed, without a walk)
        if renamed or any(retarget(link, aliases, files) for link in chapter.index.links) or any(
                key.startswith("sec:") and key[4:] in aliases for key in chapter.index.cites):
            own = retargeted(own, aliases, files)
        blocks += own
    placed = any(ident == "refs" for chapter in paper.chapters for ident, _kind in chapter.index.ids)
    if (paper.references and paper.meta.reference_list == "end" and not placed
            and any(next(cited_keys(c), None) for c in paper.chapters)):
        if not heading_only(paper.chapters[-1]):
            blocks.append(raw("paper-chapter", {"id": "references", "title": labels["references"], "source": "",
                                                "classes": ["unnumbered", "references"], "role": "references"}))
        blocks.append({"t": "Div", "c": [["refs", [], []], []]})
    return {"pandoc-api-version": list(pandoc.api_version()), "meta": {}, "blocks": blocks}


def heading_only(chapter: Chapter) -> bool:
    """A last chapter with a title and nothing under it: bookdown's `# References {-}`, under
    which pandoc and bookdown print the list of references when no `<div id="refs">` says where."""
    return chapter.read and all(block.get("t") == "Header" and block["c"][0] == 1 for block in chapter.blocks)


def heading_aliases(paper: Paper) -> dict[str, str]:
    """The id a chapter's own heading had ('# Why survey residents? {#why}') -> the chapter's
    id, which its heading takes: links and \\@ref() to either lead to the chapter."""
    out = {}
    for chapter in paper.chapters:
        heading = next((b for b in chapter.blocks if b["t"] == "Header"), None)
        if heading and not chapter.title and heading["c"][1][0] and heading["c"][1][0] != chapter.id:
            out[heading["c"][1][0]] = chapter.id
    return out


def retarget(link: str, aliases: dict[str, str], files: dict[str, str]) -> str | None:
    """Where a link to a chapter heading's own id or to another chapter's file leads in the
    paper (None: where it led)."""
    if link.startswith("#"):
        return "#" + aliases[link[1:]] if link[1:] in aliases else None
    if scheme(link):
        return None
    path, _, fragment = link.partition("#")
    chapter = files.get(PurePosixPath(path).name)
    return f"#{aliases.get(fragment, fragment) or chapter}" if chapter else None


def retargeted(blocks: list[Any], aliases: dict[str, str], files: dict[str, str]) -> list[Any]:
    """Links ([see](#why)) and cross-references (@sec:why) to a chapter heading's own id made
    to lead to the chapter's id; links to another chapter's file ([see](02-sampling.Rmd),
    [see](02-sampling.html#weights)) made links into the paper."""
    def hit(node: dict[str, Any]) -> bool:
        if node["t"] == "Link":
            return target(node["c"][2][0]) is not None
        return node["t"] == "Cite" and any(c["citationId"].startswith("sec:") and c["citationId"][4:] in aliases
                                           for c in node["c"][0])

    def target(link: str) -> str | None:
        return retarget(link, aliases, files)

    if not any(hit(node) for node in walk(blocks)):
        return blocks
    copy = fastjson.loads(fastjson.dumpb(blocks))
    for node in walk(copy):
        if node["t"] == "Link" and hit(node):
            node["c"][2][0] = target(node["c"][2][0])
        elif node["t"] == "Cite":
            for citation in node["c"][0]:
                ident = citation["citationId"]
                if ident.startswith("sec:") and ident[4:] in aliases:
                    citation["citationId"] = "sec:" + aliases[ident[4:]]
    return copy


CALLOUTS = {f"callout-{kind}": kind for kind in ("note", "tip", "warning", "important", "caution")}
LAYOUT_CLASSES = {"box", "callout", "center", "chapter-meta", "chapter-abstract", "translation-notice",
                  "untranslated", "section", "article", "header", "footer", "main", "nav", "figure",
                  "figcaption", "blockquote", "p", "columns", "column", "cell", "cell-output",
                  "cell-output-display", "content-visible", "content-hidden", "hidden", "references",
                  "csl-bib-body", "csl-entry", "footnotes", "incremental", "nonincremental", "notes"}
"""Div classes that say how a block is laid out or what the tool made it, not that it is an aside."""


def aside_kind(classes: list[str] | tuple[str, ...], kinds: dict[str, str]) -> str | None:
    """What kind of aside a div with these classes is ("box", "tip", "note"…), or None."""
    for name in classes:
        if name in kinds:
            return kinds[name]
        if name in CALLOUTS:
            return CALLOUTS[name]
    named = [name for name in classes if name not in LAYOUT_CLASSES and not name.startswith(("callout", "csl-"))]
    return "note" if named and not set(classes) & LAYOUT_CLASSES else None


def with_asides(blocks: list[Any], kinds: dict[str, str]) -> list[Any]:
    """Every fenced div with a class becomes a visible aside: Quarto's callouts (.callout-tip),
    .box (numbered), a class paper.yaml names under 'boxes:', and any other class (.rmdnote,
    .summary), which is a note. The kind is handed to crossref.lua, which gives the title."""
    def kind_of(classes: list[str]) -> str | None:
        return aside_kind(classes, kinds)

    divs = [node for node in walk(list(blocks)) if node["t"] == "Div" and kind_of(node["c"][0][1])]
    if not divs:
        return list(blocks)
    copy = fastjson.loads(fastjson.dumpb(list(blocks)))
    for node in walk(copy):
        if node["t"] != "Div" or not (kind := kind_of(node["c"][0][1])):
            continue
        classes = node["c"][0][1]
        if kind == "box":
            classes.insert(0, "box")
        else:
            classes[:0] = ["callout", f"callout-{kind}"]
            node["c"][0][2].append(["paper-kind", kind])
    return copy


def unique_heading_ids(blocks: tuple[Any, ...], used: set[str], ids: list[str]) -> tuple[list[Any], bool]:
    """The chapter's blocks, with a heading id that an earlier chapter already gave a heading
    made unique (introduction-1), as pandoc does in one document; links within the chapter
    follow. Each chapter was read on its own, so only pandoc's own ids within it are unique.
    `ids` are the chapter's heading ids, in order (from its index); also returned: whether any
    was renamed."""
    renamed: dict[str, str] = {}
    for ident in ids:
        if ident in used and ident not in renamed:
            n = 1
            while f"{ident}-{n}" in used or f"{ident}-{n}" in ids:
                n += 1
            renamed[ident] = f"{ident}-{n}"
    used.update(renamed.get(i, i) for i in ids)
    if not renamed:
        return list(blocks), False
    copy = fastjson.loads(fastjson.dumpb(list(blocks)))
    for node in walk(copy):
        if node["t"] == "Header" and node["c"][1][0] in renamed:
            node["c"][1][0] = renamed[node["c"][1][0]]
        elif node["t"] == "Link" and node["c"][2][0].startswith("#") and node["c"][2][0][1:] in renamed:
            node["c"][2][0] = "#" + renamed[node["c"][2][0][1:]]
    return copy, True


def chapter_numbers(paper: Paper) -> list[tuple[Role, str, str]]:
    """(role, number, label) of each chapter: ("chapter", "2", "Chapter 2"), ("appendix", "A", …)."""
    labels = labels_for(paper.meta.language)
    counts = {"chapter": 0, "appendix": 0}
    out = []
    for chapter in paper.chapters:
        if chapter.role == "front-matter" or not chapter.numbered:
            out.append((chapter.role, "", ""))
            continue
        counts[chapter.role] += 1
        n = counts[chapter.role]
        number = str(n) if chapter.role == "chapter" else letter(n)
        out.append((chapter.role, number, f"{labels[chapter.role]} {number}"))
    return out


def chapter_meta(chapter: Chapter, labels: dict[str, str], book_authors: tuple[str, ...] = ()) -> list[Any]:
    """Authors, session and abstract under the chapter title, from the front matter's trees
    (no byline that only repeats the paper's authors, as bookdown's index.Rmd has)."""
    fields = chapter.fields
    out: list[Any] = []

    def joined(items: list[list[Any]], separator: str) -> list[Any]:
        inlines: list[Any] = []
        for i, item in enumerate(items):
            if i:
                inlines += [{"t": "Str", "c": separator}, {"t": "Space"}]
            inlines += item
        return inlines

    if chapter.authors and chapter.authors != book_authors:
        out.append(span(joined(meta_list(fields, "paper-authors"), ","), "chapter-authors"))
    if chapter.session:
        out.append(span(text(f"{labels['session']}:") + [{"t": "Space"}] + meta_inlines(fields, "paper-session"),
                        "chapter-session"))
    if chapter.contributors:
        out.append(span(text(f"{labels['contributions']}:") + [{"t": "Space"}]
                        + joined(meta_list(fields, "paper-contributors"), ";"), "chapter-contributors"))
    if chapter.abstract:
        out.append({"t": "Div", "c": [["", ["chapter-abstract"], []], meta_blocks(fields, "paper-abstract")]})
    return [{"t": "Div", "c": [["", ["chapter-meta"], []], out]}] if out else []


def split_chapters(blocks: list[dict[str, Any]], paper: Paper,
                   keys: dict[str, str] | None = None) -> tuple[ChapterText, ...]:
    """Cut the paper's blocks at each chapter heading; `keys`: what each chapter's blocks
    were made from, by id (ChapterText.key)."""
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
                               sources.get(ident), label, attributes.get("paper-role") or "chapter",
                               "unlisted" not in _classes, (keys or {}).get(ident, "")))
    return tuple(out)
