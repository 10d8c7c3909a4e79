"""Citations resolved by pandoc's citeproc on the blocks that cite, not on the whole paper.

citeproc changes a document in three places only: a citation's text (which depends on every
citation before it: numbering, "2010a", ibid.), the inlines around it in the same list (the
space before a note, the full stop after it) and the list of references. So only the blocks
whose own inlines hold a citation (a paragraph, a heading, a line block), and the `#refs`
div, are handed to citeproc, in document order, and put back where they were. Run on the
paper's cached trees, an edit that leaves those blocks as they were runs no citeproc at all
(pandoc's run is cached by its input), and one that changes them runs it on a document a
fraction of the paper's size.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from .index import is_crossref
from .tree import chapter_heading, walk

INLINE_HOLDERS = {"Para", "Plain", "Header", "LineBlock"}
"""Blocks whose content is inlines: handed to citeproc whole when a citation is among them."""
BLOCK_TYPES = INLINE_HOLDERS | {"CodeBlock", "RawBlock", "BlockQuote", "OrderedList", "BulletList",
                                "DefinitionList", "HorizontalRule", "Table", "Figure", "Div"}

Place = tuple[list[Any], int]
"""Where a block stands: the list that holds it, and its index there."""


def cites(node: Any) -> int:
    """How many citations a block (or a list of blocks) holds, notes included."""
    return sum(1 for item in walk(node) if item["t"] == "Cite")


def is_refs(block: dict[str, Any]) -> bool:
    """The div citeproc fills with the list of references (as pandoc finds it)."""
    return block["t"] == "Div" and (block["c"][0][0] == "refs" or block["c"][0][0].endswith("__refs"))


def block_lists(value: Any) -> Iterator[list[Any]]:
    """The lists of blocks directly inside a block's content (a table's cells, a list's items,
    a figure's caption and body), not those inside its inlines."""
    if isinstance(value, list):
        if value and all(isinstance(item, dict) and item.get("t") in BLOCK_TYPES for item in value):
            yield value
            return
        for item in value:
            yield from block_lists(item)
    elif isinstance(value, dict) and "t" not in value:
        for item in value.values():
            yield from block_lists(item)


def places(blocks: list[Any]) -> Iterator[Place]:
    """In document order, the blocks to hand to citeproc: every `#refs` div, and the
    innermost block whose own content holds a citation (a container whose citations are not
    all in its blocks, a term of a definition list, say, goes whole)."""
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or block.get("t") not in BLOCK_TYPES:
            continue
        if is_refs(block):
            yield blocks, index
            continue
        found = cites(block)
        if not found:
            continue
        if block["t"] in INLINE_HOLDERS:
            yield blocks, index
            continue
        inner = list(block_lists(block["c"]))
        if sum(cites(b) for b in inner) != found:
            yield blocks, index
            continue
        for child in inner:
            yield from places(child)


def resolve(document: dict[str, Any], per_chapter: bool, run: Callable[[dict[str, Any]], dict[str, Any]],
            quiet: frozenset[str] = frozenset(), own_refs: frozenset[str] | None = None) -> None:
    """Put citeproc's rendering of the paper's citations into `document` (changed in place).

    `run` gives a document to pandoc (citeproc, or references.lua for a list per chapter)
    and returns what pandoc gives back. First citeproc renders the citations alone, each in
    a paragraph of its own, in the paper's order: what it makes of a citation depends only
    on the citations before it, so this run is the same (and cached) while only the prose
    around them changes. Where a citation renders as text in the line (author–date and
    numbered styles), that text is put in and the one change citeproc makes around it is
    made here: a full stop after a citation that ends with one ("et al.") is dropped. Where
    the style makes notes or superscripts, whose place depends on the words around them
    (a note goes after the punctuation, the space before it goes), the citing blocks are
    handed to citeproc whole (`resolve_blocks`). Chapters in `quiet` (by id) are known to
    cite nothing and hold no list of references, and are not looked through. With a list per
    chapter, `own_refs` are the chapters with links or ids of their own of the form `#ref-…`
    (None: any may have them), which references.lua would make the chapter's own.
    """
    top = document["blocks"]
    starts = chapter_starts(top, per_chapter)
    if not starts:
        return
    found: list[list[tuple[dict[str, Any], list[Any]]]] = [[] for _ in starts]
    refs = []
    for n, (start, end) in enumerate(ranges(starts, len(top))):
        here = ""
        for block in top[start:end]:
            here = block["c"][1][0] if chapter_heading(block) else here
            if here in quiet:
                continue
            for node, holder in with_holders([block]):
                if node["t"] == "Cite":
                    found[n].append((node, holder))
                elif is_refs(node):
                    refs.append(node)
    if not any(found) or any(cites(div) for div in refs) or (per_chapter and refs):
        resolve_blocks(document, per_chapter, run, own_refs)
        return
    blocks: list[Any] = []
    for start, group in zip(starts, found, strict=True):
        if per_chapter:
            blocks.append(bare_heading(top[start]))
        blocks += [{"t": "Para", "c": [cite]} for cite, _holder in group]
    out = run(citations_only(document["pandoc-api-version"], blocks, refs))["blocks"]
    rendered, added = split_output(out, [len(group) for group in found], per_chapter)
    if any(item["t"] in ("Note", "Superscript") for para in rendered for item in para["c"][0]["c"][1]):
        resolve_blocks(document, per_chapter, run, own_refs)
        return
    if per_chapter:
        with_own_references(top, starts, set(), own_refs)
    stops = []
    for (cite, holder), para in zip((c for group in found for c in group), rendered, strict=True):
        cite["c"][1] = para["c"][0]["c"][1]
        if plain_text(cite["c"][1]).endswith("."):
            stops.append((cite, holder))
    for div, filled in zip(refs, added.pop(-1, []), strict=True):
        div["c"] = [filled["c"][0], div["c"][1] + filled["c"][1]]
    for cite, holder in stops:
        drop_stop_after(cite, holder)
    append_to_chapters(top, {starts[n]: blocks for n, blocks in added.items()})


def citations_only(version: list[int], blocks: list[Any], refs: list[dict[str, Any]]) -> dict[str, Any]:
    """The document citeproc is given: `blocks` (each citation in a paragraph of its own, in
    the paper's order) and an empty copy of each list of references."""
    return {"pandoc-api-version": version, "meta": {},
            "blocks": blocks + [{"t": "Div", "c": [div["c"][0], []]} for div in refs]}


def early_document(version: list[int], chapters: list[list[Any]], quiet: frozenset[str]) -> dict[str, Any] | None:
    """What `resolve` will most likely hand citeproc for a list at the end, made from the
    chapters before they are numbered (each a "paper-chapter" marker and its blocks), so that
    citeproc can run meanwhile. Numbering leaves citations as they are, but for those it makes
    links (@fig:…); this is a guess all the same, to be used only if it is what `resolve`
    makes. None if nothing is cited."""
    blocks, refs = [], []
    for chapter in chapters:
        if json.loads(chapter[0]["c"][1]).get("id") in quiet:
            continue
        for node, _holder in with_holders(chapter[1:]):
            if node["t"] == "Cite":
                works = [c for c in node["c"][0] if not is_crossref(c["citationId"])]
                if works:  # crossref.lua takes the cross-references out of a citation
                    blocks.append({"t": "Para", "c": [node if len(works) == len(node["c"][0]) else
                                                      {"t": "Cite", "c": [works, node["c"][1]]}]})
            elif is_refs(node):
                refs.append(node)
    return citations_only(version, blocks, refs) if blocks else None


def chapter_starts(top: list[Any], per_chapter: bool) -> list[int]:
    """Where each chapter begins (the whole paper is one, unless references are per chapter)."""
    return [i for i, block in enumerate(top) if chapter_heading(block)] if per_chapter else [0]


def ranges(starts: list[int], length: int) -> list[tuple[int, int]]:
    """(start, end) of each chapter, from where each begins."""
    return list(zip(starts, [*starts[1:], length], strict=True))


def next_chapter(blocks: list[Any], position: int) -> int:
    """Where the next chapter heading is from `position` on (the end if there is none)."""
    return next((i for i in range(position, len(blocks)) if chapter_heading(blocks[i])), len(blocks))


def bare_heading(heading: dict[str, Any]) -> dict[str, Any]:
    """A chapter's heading reduced to its id: what references.lua needs, and no more."""
    return {"t": "Header", "c": [1, [heading["c"][1][0], ["chapter"], []], []]}


def split_output(out: list[Any], counts: list[int],
                 per_chapter: bool) -> tuple[list[Any], dict[int, list[Any]]]:
    """citeproc's lone citations, and what it added after them: by chapter (its references),
    or, for the whole paper, the `#refs` divs under the key -1."""
    rendered: list[Any] = []
    added: dict[int, list[Any]] = {}
    position = 0
    for n, count in enumerate(counts):
        position += 1 if per_chapter else 0
        rendered += out[position:position + count]
        position += count
        if per_chapter:
            following = next_chapter(out, position)
            added[n], position = out[position:following], following
    if not per_chapter:
        added[-1], position = out[position:], len(out)
    if len(rendered) != sum(counts) or any(p["t"] != "Para" or p["c"][0]["t"] != "Cite" for p in rendered):
        raise RuntimeError(f"citeproc gave back {len(out)} blocks that do not match the {sum(counts)} citations")
    return rendered, added


LEAVES = frozenset({"Str", "Space", "SoftBreak", "LineBreak", "Math", "Code", "RawInline", "CodeBlock",
                    "RawBlock", "HorizontalRule"})
"""Elements that hold no other element: never a citation or a list of references, and most of a
tree, so they are not visited."""


def with_holders(blocks: list[Any]) -> Iterator[tuple[dict[str, Any], list[Any]]]:
    """Every element but the LEAVES, in document order, with the list it stands in."""
    stack: list[tuple[Any, Any]] = [(blocks, None)]
    while stack:
        value, holder = stack.pop()
        if type(value) is dict:
            if "t" in value:
                yield value, holder
                value = value.get("c")
                if not isinstance(value, (list, dict)):
                    continue
                if type(value) is dict:
                    stack.append((value, None))
                    continue
            else:
                value = list(value.values())
        for child in reversed(value):
            if type(child) is list or type(child) is dict and child.get("t") not in LEAVES:
                stack.append((child, value))


def drop_stop_after(cite: dict[str, Any], holder: list[Any]) -> None:
    """As citeproc does: a citation that ends with a full stop ("Silva et al.") followed by
    one keeps only its own."""
    index = next(i for i, item in enumerate(holder) if item is cite)
    if index + 1 < len(holder) and holder[index + 1] == {"t": "Str", "c": "."}:
        del holder[index + 1]


def plain_text(inlines: list[Any]) -> str:
    """Text of inlines as pandoc's stringify gives it (quotation marks included, notes not)."""
    out = []
    for item in inlines:
        kind, content = item.get("t"), item.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Code", "Math"):
            out.append(content[1])
        elif kind == "Quoted":
            single = content[0]["t"] == "SingleQuote"
            out.append(("\u2018" if single else "\u201c") + plain_text(content[1]) + ("\u2019" if single else "\u201d"))
        elif kind in ("Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
            out.append(plain_text(content))
        elif kind in ("Span", "Cite", "Link", "Image"):
            out.append(plain_text(content[1]))
    return "".join(out)


def append_to_chapters(top: list[Any], added: dict[int, list[Any]]) -> None:
    """Blocks put at the end of the chapters that start at the given indexes."""
    for start in sorted(added, reverse=True):
        end = next_chapter(top, start + 1)
        top[end:end] = added[start]


def resolve_blocks(document: dict[str, Any], per_chapter: bool, run: Callable[[dict[str, Any]], dict[str, Any]],
                   own_refs: frozenset[str] | None = None) -> None:
    """citeproc on the blocks that cite, each whole, and the `#refs` divs, put back in place."""
    top = document["blocks"]
    starts = chapter_starts(top, per_chapter)
    groups: list[list[Place]] = []
    for start, end in ranges(starts, len(top)):
        found: list[Place] = []
        for index in range(start, end):
            found += places_in(top, index)
        groups.append(found)
    if not any(groups):
        return
    blocks: list[Any] = []
    for start, found in zip(starts, groups, strict=True):
        if per_chapter:
            blocks.append(bare_heading(top[start]))
        blocks += [holder[index] for holder, index in found]
    if per_chapter:
        with_own_references(top, starts, {id(block) for block in blocks}, own_refs)
    out = run({"pandoc-api-version": document["pandoc-api-version"], "meta": {}, "blocks": blocks})["blocks"]
    added: dict[int, list[Any]] = {}
    position = 0
    for start, found in zip(starts, groups, strict=True):
        position += 1 if per_chapter else 0
        for holder, index in found:
            holder[index] = out[position]
            position += 1
        if per_chapter:
            following = next_chapter(out, position)
            added[start], position = out[position:following], following
    if position != len(out):
        raise RuntimeError(f"citeproc gave {len(out)} blocks for {position}")
    append_to_chapters(top, added)


def with_own_references(top: list[Any], starts: list[int], handed: set[int], chapters: frozenset[str] | None) -> None:
    """With a list of references per chapter, references.lua makes the `#refs` and `#ref-…` ids
    and links of what it is handed the chapter's own (`#ref-<chapter>-silva`); the same here for
    the rest of each chapter in `chapters` (None: every one), outside the blocks `handed` to it."""
    for start, end in ranges(starts, len(top)):
        chapter = top[start]["c"][1][0]
        if chapters is not None and chapter not in chapters:
            continue
        stack: list[Any] = list(top[start:end])
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict) and id(node) not in handed:
                if node.get("t") == "Div":
                    node["c"][0][0] = own_reference(node["c"][0][0], chapter)
                elif node.get("t") == "Link" and node["c"][2][0].startswith("#"):
                    node["c"][2][0] = "#" + own_reference(node["c"][2][0][1:], chapter)
                stack.extend(node.values() if "t" not in node else [node.get("c")])


def own_reference(ident: str, chapter: str) -> str:
    """As references.lua names a chapter's own: refs -> refs-<chapter>, ref-x -> ref-<chapter>-x."""
    if ident == "refs":
        return f"refs-{chapter}"
    return f"ref-{chapter}-{ident[4:]}" if ident.startswith("ref-") else ident


def places_in(top: list[Any], index: int) -> list[Place]:
    """The citing blocks of one top-level block (that block itself, or blocks inside it)."""
    holder = [top[index]]
    found = list(places(holder))
    return [(top, index) if h is holder else (h, i) for h, i in found]
