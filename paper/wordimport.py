"""`paper import manuscript.docx`: a Word (or OpenDocument) manuscript into chapters, images and
references, decided on the tree pandoc's docx reader makes of it.

The manuscript is cut into `chapters/NN-slug.md` at each Heading 1 (or the level asked for); its
pictures go to `images/` under names made from the chapter and their order, with Word's
description as their alt text; Word's numbered captions become `{#fig:…}` and `{#tbl:…}` names;
Zotero, Mendeley and EndNote citation fields become `[@key]` citations, their entries added to
references.bib unless the same work is there already. Tracked changes and comments stop the
import, listed with their place, unless the editor says what to do with them. Nothing is written
until everything has been checked, and a chapter edited since it was last imported is never
replaced.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

import yaml

from . import pandoc
from .bibliography import load_bibliography
from .diagnostics import Diagnostic, error, warning
from .errors import UserError
from .loader import chapter_id
from .model import Reference
from .tree import rewritten, stringify, walk

READERS = {".docx": "docx+citations", ".odt": "odt"}
MAX_MANUSCRIPT_BYTES = 200_000_000
MAX_MEDIA_BYTES = 50_000_000
"""A picture larger than this, unpacked, is refused (a compressed bomb would fill the disk)."""
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
RECORD = ".paper-import.json"
"""What the last import wrote (each file's SHA-256), to tell an edit made since from the import's own text."""
LABELS = {"figure", "fig", "fig.", "table", "figura", "tabla", "cuadro", "gráfico", "grafico", "tabela", "quadro",
          "imagem", "imagen", "mapa", "map", "chart", "graph"}
"""Words a caption may still start with when Word's own numbering was typed by hand ("Figure 3:")."""
TABLE_LABELS = {"table", "tabla", "cuadro", "tabela", "quadro"}
WRITER = ["--from=json", "--to=markdown-simple_tables-multiline_tables", "--wrap=none"]


@dataclass
class Imported:
    """What an import wrote or would write."""

    chapters: list[Path] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    """Keys of the entries added to references.bib."""
    merged: list[tuple[str, str]] = field(default_factory=list)
    """(what the manuscript called it, the key in references.bib) for works already there."""
    warnings: list[Diagnostic] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    details: str = ""
    """The manuscript's title page (Word's Title, Subtitle, Author, Date and Abstract styles, which
    pandoc's reader takes out of the text) as lines for paper.yaml, or nothing."""


def import_manuscript(root: Path, source: Path, level: int = 1, accept_changes: bool = False,
                      keep_comments: bool = False, force: bool = False,
                      show: Callable[[str], None] = lambda text: None) -> Imported:
    """Import `source` into the project at `root`; UserError (nothing written) on any problem.
    What a refused import would have changed in a chapter is given to `show`, as a diff."""
    shown = source.resolve()  # diagnostics name it as the editor gave it (cli.shown)
    reader = READERS.get(source.suffix.lower())
    if reader is None:
        raise UserError([error(shown, 0, "import-format", "only Word (.docx) and OpenDocument (.odt) files can be "
                               "imported: in Word, use File > Save As > Word Document (.docx)")])
    if not source.is_file():
        raise UserError([error(shown, 0, "import-format", "this file does not exist: check the name and the folder")])
    if source.stat().st_size > MAX_MANUSCRIPT_BYTES or not zipfile.is_zipfile(source):
        raise UserError([error(shown, 0, "import-format", "this is not a Word or OpenDocument file (or is over "
                               f"{MAX_MANUSCRIPT_BYTES // 1_000_000} MB): open it in Word and save it as .docx")])
    word = reader.startswith("docx")
    marks = [] if word else odt_marks(source, shown, keep_comments)
    document = {} if marks else read_manuscript(source, reader, ["--track-changes=all"] if word else [])
    done = Imported()
    marks = tracked(document["blocks"], shown) if word else marks
    stops = [d for d in marks if (d.code == "tracked-change" and not accept_changes)
             or (d.code == "comment" and not (keep_comments and word))]  # an .odt's comments cannot be kept
    if stops:
        raise UserError(stops)
    if not document:  # an .odt whose changes are accepted
        document = read_manuscript(source, reader, [])
    done.details = title_page(document, root)
    blocks = typed_captions(settled(comments(document["blocks"])))
    chapters = split(blocks, level, shown, done.warnings)
    cited = read_references(source, reader) if reader.startswith("docx") else []
    keys, entries = reference_keys(root, cited, done)
    files: dict[Path, bytes] = {}
    with zipfile.ZipFile(source) as archive:
        taken: set[str] = set()
        media: dict[str, str] = {}
        captions = CaptionMarks(caption_bookmarks(archive) if word else [])
        bodies = []
        for number, (title, body) in enumerate(chapters, start=1):
            slug = chapter_id(Path(title[:80] + ".md"))  # a long title still makes a file name that fits
            path = Path("chapters") / f"{number:02d}-{slug}.md"
            bodies.append((title, path, prepared(body, slug, archive, media, files, taken, keys, path, done.warnings,
                                                 captions)))
    for title, path, body in bodies:
        body = cross_references(body, captions.named)
        text = pandoc.execute(WRITER, json.dumps({"pandoc-api-version": document["pandoc-api-version"],
                                                  "meta": {}, "blocks": body}), root, 0)[0]
        front = json.dumps(title, ensure_ascii=False)  # a YAML string, quoted
        files[path] = f"---\ntitle: {front}\n---\n\n{text.rstrip()}\n".encode()
        done.chapters.append(path)
    if entries:
        bib = root / "references.bib"
        before = bib.read_bytes() if bib.is_file() else b""
        added = pandoc.execute(["--from=csljson", "--to=bibtex"], json.dumps(entries, ensure_ascii=False), root, 0)[0]
        files[Path("references.bib")] = (before.rstrip() + b"\n\n" if before.strip() else b"") + \
            f"% Added by 'paper import' from {source.name}\n".encode() + added.encode()
    done.images = sorted(p for p in files if p.parts[0] == "images")
    for other in sorted((root / "chapters").glob("*.md")) if (root / "chapters").is_dir() else []:
        if Path("chapters") / other.name not in files:
            done.warnings.append(warning(Path("chapters") / other.name, 1, "import-kept",
                                         "this chapter is not in the manuscript and stays in the paper, in the order "
                                         "of its file name: delete it if the manuscript replaces it"))
    write_all(root, files, force, done, shown, show)
    return done


def title_page(document: dict[str, Any], root: Path) -> str:
    """What the manuscript's title page says (pandoc's reader puts the paragraphs in Word's
    Title, Subtitle, Author, Date and Abstract styles into its metadata, out of the text), as
    paper.yaml lines for the editor to copy: the import does not rewrite paper.yaml."""
    meta = document.get("meta", {})

    def text(value: Any) -> str:
        if not value:
            return ""
        if value["t"] == "MetaInlines":
            return " ".join(stringify(value["c"]).split())
        if value["t"] == "MetaBlocks":
            return " ".join(stringify([i for b in value["c"] if b["t"] in ("Para", "Plain") for i in b["c"]]).split())
        return str(value.get("c", "")) if value["t"] == "MetaString" else ""

    found: dict[str, Any] = {}
    for key in ("title", "subtitle", "date"):
        if text(meta.get(key)):
            found[key] = text(meta[key])
    authors = meta.get("author")
    names = [text(a) for a in authors["c"]] if authors and authors["t"] == "MetaList" else [text(authors)]
    if any(names):
        found["authors"] = [{"name": name} for name in names if name]
    abstract = meta.get("abstract")
    if abstract:
        blocks = abstract["c"] if abstract["t"] == "MetaBlocks" else [{"t": "Para", "c": abstract["c"]}] \
            if abstract["t"] == "MetaInlines" else []
        found["abstract"] = pandoc.execute(WRITER, json.dumps({"pandoc-api-version": document["pandoc-api-version"],
                                                               "meta": {}, "blocks": blocks}), root, 0)[0].strip()
    return yaml.safe_dump(found, sort_keys=False, allow_unicode=True, width=100) if found else ""


def read_manuscript(source: Path, reader: str, extra: list[str]) -> dict[str, Any]:
    """pandoc's tree of the manuscript, read in its sandbox (it opens the manuscript and nothing else)."""
    return json.loads(run_reader(source, [f"--from={reader}", "--to=json", *extra], "this manuscript cannot be "
                                 "read ({}): open it in Word and save it again as .docx"))


def read_references(source: Path, reader: str) -> list[dict[str, Any]]:
    """The works the manuscript's citation fields carry (Zotero, Mendeley, EndNote), as CSL JSON."""
    output = run_reader(source, [f"--from={reader}", "--to=csljson"], "the manuscript's citation fields cannot be "
                        "read ({}): in Zotero or Mendeley, refresh the citations, save, and import again")
    return json.loads(output) if output.strip() else []


def run_reader(source: Path, args: list[str], refusal: str) -> str:
    """pandoc's output for the manuscript, or an error at the manuscript saying `refusal`
    (its {} filled with pandoc's message)."""
    try:
        return pandoc.execute([*args, source.name], "", source.parent, 0)[0]
    except pandoc.PandocError as exc:
        message = str(exc).splitlines()[0] if str(exc) else "pandoc failed"
        raise UserError([error(source, 0, "import-format", refusal.format(message))]) from exc


# -- tracked changes and comments ----------------------------------------------------------

KINDS = {"comment-start": "comment", "insertion": "text added", "deletion": "text deleted",
         "paragraph-insertion": "a paragraph break added", "paragraph-deletion": "a paragraph break deleted"}
"""The classes pandoc's docx reader gives (with --track-changes=all) a comment and each kind of
tracked change, and what each is called in messages."""
PARAGRAPHS = ("Para", "Plain", "Header")


def paragraphs(blocks: list[Any]) -> list[Any]:
    """The manuscript's paragraphs and headings in order, as Word counts them: those in tables,
    lists and quotes included, a note's not (they belong to the paragraph that calls the note)."""
    out: list[Any] = []
    stack = [blocks]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack += reversed(node)
        elif isinstance(node, dict) and node.get("t") in PARAGRAPHS:
            out.append(node)
        elif isinstance(node, dict) and node.get("t") != "Note" and isinstance(node.get("c"), list):
            stack.append(node["c"])
    return out


def remarks_in(paragraph: dict[str, Any]) -> list[tuple[str, dict[str, Any], list[Any]]]:
    """Each comment and tracked change in a paragraph, its notes included: (what it is, as
    KINDS calls it; its span; for a comment, the inlines it is on)."""
    found = []
    for inlines in inline_lists(paragraph):
        for at, node in enumerate(inlines):
            kind = next((KINDS[c] for c in node["c"][0][1] if c in KINDS), "") if node["t"] == "Span" else ""
            if not kind:
                continue
            on: list[Any] = []
            if kind == "comment":
                ends = [i for i, n in enumerate(inlines) if n["t"] == "Span" and "comment-end" in n["c"][0][1]
                        and n["c"][0][0] == node["c"][0][0]]
                on = inlines[at + 1:ends[0] if ends else len(inlines)]
            found.append((kind, node, on))
    return found


def inline_lists(paragraph: dict[str, Any]) -> list[list[Any]]:
    """Every list of inlines in a paragraph, in order: its own, those inside its emphasis, spans,
    links and quotes, and those of its notes' paragraphs."""
    out = []
    stack = [paragraph["c"][2] if paragraph["t"] == "Header" else paragraph["c"]]
    while stack:
        inlines = stack.pop(0)
        out.append(inlines)
        for node in inlines:
            content = node.get("c")
            if node["t"] == "Note":
                stack += [inner["c"][2] if inner["t"] == "Header" else inner["c"] for inner in paragraphs(content)]
            elif not isinstance(content, list):
                continue
            elif content and all(isinstance(part, dict) and "t" in part for part in content):
                stack.append(content)  # Emph, Strong…: the content is the inlines
            else:
                stack += [part for part in content if isinstance(part, list) and part
                          and all(isinstance(item, dict) and "t" in item for item in part)]
    return out


def tracked(blocks: list[Any], source: Path) -> list[Diagnostic]:
    """Every tracked change and comment, at its paragraph (counted as Word shows them, headings
    included), with the heading it is under and the words it is on."""
    found = []
    heading = ""
    for number, block in enumerate(paragraphs(blocks), start=1):
        if block["t"] == "Header":
            heading = stringify(block["c"][2])
        under = f' under "{heading}"' if heading else ""
        for kind, node, _on in remarks_in(block):
            who = dict(node["c"][0][2]).get("author") or "someone"
            words = stringify(node["c"][1]).strip()
            if kind == "comment":
                found.append(error(source, number, "comment", f'comment by {who}: "{short(words)}"'
                                   f" (paragraph {number}{under}); resolve it in Word and delete it, or import with "
                                   "--keep-comments to keep it in the chapter as a note for the editors"))
            else:
                found.append(error(source, number, "tracked-change", f"{kind} by {who} with Track Changes"
                                   + (f': "{short(words)}"' if words else "") + f" (paragraph {number}{under}); "
                                   "accept or reject it in Word (Review > Accept), or import with --accept-changes"))
    return found


ODT_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
ODT_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"


def odt_marks(source: Path, shown: Path, keep_comments: bool) -> list[Diagnostic]:
    """An OpenDocument manuscript's tracked changes and comments, from its content.xml (pandoc's
    reader for .odt shows neither: it reads the text as if every change were accepted, and
    leaves comments out, so they cannot be kept)."""
    with zipfile.ZipFile(source) as archive:
        if "content.xml" not in archive.namelist() or archive.getinfo("content.xml").file_size > MAX_MEDIA_BYTES:
            return []
        root = ElementTree.fromstring(archive.read("content.xml"))
    found = []
    for region in root.iter(f"{ODT_TEXT}changed-region"):
        change = next(iter(region), None)
        kind = {"insertion": "text added", "deletion": "text deleted"}.get(
            change.tag.removeprefix(ODT_TEXT) if change is not None else "", "a change")
        who = next((c.text for c in region.iter(f"{DC}creator") if c.text), "someone")
        found.append(error(shown, 0, "tracked-change", f"{kind} by {who} with Track Changes; accept or reject it in "
                           "LibreOffice (Edit > Track Changes > Manage), or import with --accept-changes"))
    for note in root.iter(f"{ODT_OFFICE}annotation"):
        who = next((c.text for c in note.iter(f"{DC}creator") if c.text), "someone")
        text = " ".join("".join(p.itertext()) for p in note.iter(f"{ODT_TEXT}p"))
        found.append(error(shown, 0, "comment", f'comment by {who}: "{short(text)}"; comments in an .odt file cannot '
                           "be kept" + (" (save the manuscript as .docx to keep them)" if keep_comments else "") +
                           ": resolve it in LibreOffice and delete it, or save the manuscript as .docx and import "
                           "with --keep-comments"))
    return found


def short(text: str, size: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size - 1].rstrip() + "…"


def comments(blocks: list[Any]) -> list[Any]:
    """The blocks with each Word comment as an HTML comment before the block it is in (after it,
    for a heading), naming who made it and the words it is on: the editors see it in the
    chapter, readers do not."""
    out = []
    for block in blocks:
        notes = []
        for kind, node, on in (r for paragraph in paragraphs([block]) for r in remarks_in(paragraph)):
            if kind != "comment":
                continue
            details = dict(node["c"][0][2])
            who, when, words = details.get("author") or "someone", (details.get("date") or "")[:10], \
                short(stringify(on), 50)
            note = f"comment by {who}{' on ' + when if when else ''}" + (f' on "{words}"' if words else "") + \
                f": {' '.join(stringify(node['c'][1]).split())}"
            notes.append({"t": "RawBlock", "c": ["html", "<!-- " + note.replace("--", "– ") + " -->"]})
        out += [block, *notes] if block["t"] == "Header" else [*notes, block]
    return out


def settled(blocks: list[Any]) -> list[Any]:
    """The blocks with tracked changes accepted (added text kept, deleted text gone), comments
    left out (see comments), Word's bookmarks (empty anchors named _Toc…, _Ref…, _GoBack) and
    plain spans unwrapped, and pictures without Word's sizes."""
    def change(node: dict[str, Any]) -> Any:
        if node["t"] == "Span":
            (ident, classes, attrs), content = node["c"]
            if {"deletion", "paragraph-deletion", "paragraph-insertion", "comment-start", "comment-end"} & set(classes):
                return []
            if "insertion" in classes or ident.startswith("_") or (not ident and not classes and not attrs):
                return content
        if node["t"] == "Superscript" and all(item.get("t") == "Note" for item in node["c"]):
            return node["c"]  # a note's call that LibreOffice also raised: the note alone
        if node["t"] == "Image":
            attr, inlines, target = node["c"]
            sizeless = [[k, v] for k, v in attr[2] if k not in ("width", "height")]
            return {"t": "Image", "c": [[attr[0], attr[1], sizeless], inlines, target]}
        return None

    return rewritten(blocks, change)


def typed_captions(blocks: list[Any]) -> list[Any]:
    """A picture alone in its paragraph followed by a paragraph that starts like a caption
    ("Figure 3: …", typed, or as LibreOffice saves Word's captions) made one figure; a table
    without a caption after a paragraph that starts like a table's caption given it."""
    out: list[Any] = []
    for block in blocks:
        if block["t"] == "Table" and out and out[-1]["t"] == "Para" and not block["c"][1][1] \
                and starts_with_label(unanchored(out[-1]["c"]), TABLE_LABELS):
            caption = out.pop()["c"]
            block = {"t": "Table", "c": [anchored(block["c"][0], caption),
                                         [None, [{"t": "Plain", "c": unanchored(caption)}]], *block["c"][2:]]}
        previous: Any = out[-1] if out else {"t": "", "c": []}
        lone = previous["t"] in ("Para", "Plain") and len(previous["c"]) == 1 and previous["c"][0]["t"] == "Image"
        if lone and block["t"] == "Para" and starts_with_label(unanchored(block["c"])):
            image = previous["c"][0]
            out[-1] = {"t": "Figure", "c": [anchored(["", [], []], block["c"]),
                                            [None, [{"t": "Plain", "c": unanchored(block["c"])}]],
                                            [{"t": "Plain", "c": [image]}]]}
            continue
        out.append(block)
    return out


def unanchored(inlines: list[Any]) -> list[Any]:
    """A paragraph's inlines without the empty anchors (bookmarks) it starts with."""
    at = 0
    while at < len(inlines) and inlines[at]["t"] == "Span" and not inlines[at]["c"][1]:
        at += 1
    return inlines[at:]


def anchored(attr: list[Any], inlines: list[Any]) -> list[Any]:
    """A figure's or table's attributes, with the names of the anchors its caption started with
    (where LibreOffice keeps a cross-reference's target) kept for `cross_references`."""
    names = [node["c"][0][0] for node in inlines[:len(inlines) - len(unanchored(inlines))] if node["c"][0][0]]
    return [attr[0], attr[1], [*attr[2], ["paper-bookmarks", " ".join(names)]]] if names else attr


def starts_with_label(inlines: list[Any], labels: set[str] = LABELS) -> bool:
    words = [node["c"] if node["t"] == "Str" else " " for node in inlines[:3]]
    return len(words) == 3 and words[0].lower() in labels and words[1] == " " \
        and bool(CAPTION_NUMBER.fullmatch(words[2]))


# -- chapters ----------------------------------------------------------------------------------

def split(blocks: list[Any], level: int, source: Path, warnings: list[Diagnostic]) -> list[tuple[str, list[Any]]]:
    """(title, blocks) for each chapter: a heading of `level` starts one; deeper headings move
    up to start at level 2 (a chapter's sections); shallower ones are left out, with a warning."""
    chapters: list[tuple[str, list[Any]]] = []
    leading: list[Any] = []
    for block in blocks:
        if block["t"] == "Header" and block["c"][0] == level:
            chapters.append((" ".join(stringify(block["c"][2]).split()), []))
        elif block["t"] == "Header" and block["c"][0] < level:
            warnings.append(warning(source, 0, "import-heading", f'the heading "{short(stringify(block["c"][2]))}" '
                                    f"is above level {level}, where chapters start, and is left out: group chapters "
                                    "into parts in paper.yaml instead"))
        elif block["t"] == "Header":
            content = block["c"]
            moved = {"t": "Header", "c": [content[0] - level + 1, content[1], content[2]]}
            (chapters[-1][1] if chapters else leading).append(moved)
        else:
            (chapters[-1][1] if chapters else leading).append(block)
    if not chapters:
        raise UserError([error(source, 0, "import-no-headings", f"the manuscript has no Heading {level}, where each "
                               f"chapter starts: in Word, give each chapter's title the style Heading {level}"
                               + (" (or import with --level 2 if chapters start at Heading 2)" if level == 1 else ""))])
    if any(stringify(b).strip() or b["t"] not in ("Para", "Plain") for b in leading):
        warnings.append(warning(source, 1, "import-heading", "the text before the first chapter heading "
                                f'("{short(stringify(leading))}") is put at the start of the first chapter: move it '
                                "where it belongs, or into paper.yaml if it is the title or the abstract"))
        first_title, first_body = chapters[0]
        chapters[0] = (first_title, leading + first_body)
    titles = [title for title, _body in chapters]
    repeated = sorted({t for t in titles if titles.count(t) > 1})
    if repeated:
        raise UserError([error(source, 0, "import-heading", f'two chapters have the title "{repeated[0]}": give '
                               "each chapter heading its own title in Word")])
    return chapters


def prepared(blocks: list[Any], slug: str, archive: zipfile.ZipFile, media: dict[str, str],
             files: dict[Path, bytes], taken: set[str], keys: dict[str, str], path: Path,
             warnings: list[Diagnostic], captions: CaptionMarks) -> list[Any]:
    """A chapter's blocks as the chapter will have them: figures and tables named from their
    captions, pictures saved under images/, citations with references.bib's keys."""
    count = 0

    def picture(image: dict[str, Any], caption: str, figure: bool = False) -> None:
        nonlocal count
        attr, inlines, (src, title) = image["c"]
        description = " ".join(stringify(inlines).split())
        if src not in media:
            count += 1
            data, suffix = member(archive, src, path)
            name = f"{slug}-{count}{suffix}"
            files[Path("images") / name] = data
            media[src] = name
            if suffix not in IMAGE_TYPES:
                warnings.append(warning(path, 0, "import-image", f"picture {count} of this chapter is a {suffix} file, "
                                        f"which browsers and e-readers cannot show: images/{name} was saved as it is; "
                                        "export the picture from Word as PNG (right-click > Save as Picture), save it "
                                        "in its place, and change the name in the chapter"))
        image["c"][2] = [f"../images/{media[src]}", title]
        if description and not figure:  # alt="…": a described picture without a caption is not a figure
            image["c"][0] = [attr[0], attr[1], [*attr[2], ["alt", description]]]
            image["c"][1] = []
        if not description:
            read = (f'its caption ("{short(caption, 40)}") is read instead' if caption
                    else "readers who cannot see it are told nothing")
            warnings.append(warning(path, 0, "no-alt-text", f"picture images/{media[src]} has no description in Word: "
                                    f"{read}; write one in the chapter as alt=\"…\" in the braces after the picture, "
                                    "or in Word (right-click > Edit Alt Text) before importing again"))

    out = []
    for block in blocks:
        if block["t"] in ("Figure", "Table"):
            marks = dict(block["c"][0][2]).get("paper-bookmarks", "").split()
            block = {**block, "c": [[block["c"][0][0], block["c"][0][1],
                                     [a for a in block["c"][0][2] if a[0] != "paper-bookmarks"]], *block["c"][1:]]}
        else:
            marks = []
        if block["t"] == "Figure":
            attr, caption, content = block["c"]
            caption = [caption[0], cleaned_caption(caption[1])]
            text = stringify(caption[1]).strip()
            ident = attr[0] if attr[0] and not attr[0].startswith("_") else (unique("fig:" + slugged(text), taken)
                                                                              if text else "")
            for image in (n for n in walk(content) if n["t"] == "Image"):
                picture(image, text, figure=True)
            captions.name(text, ident, marks)
            block = {"t": "Figure", "c": [[ident, attr[1], attr[2]], caption, content]}
        elif block["t"] == "Table":
            attr, caption = block["c"][0], block["c"][1]
            caption = [caption[0], cleaned_caption(caption[1])]
            text = stringify(caption[1]).strip()
            ident = unique("tbl:" + slugged(text), taken) if text else attr[0]
            captions.name(text, ident, marks)
            # Word's column widths dropped: the paper sets its tables' widths, and a table of one-line
            # cells is then written as a pipe table, as the authors' guide shows
            widths = [[spec[0], {"t": "ColWidthDefault"}] for spec in block["c"][2]]
            block = {"t": "Table", "c": [[ident, attr[1], attr[2]], caption, widths, *block["c"][3:]]}
            for image in (n for n in walk(block["c"][2:]) if n["t"] == "Image"):
                picture(image, "")
        else:
            for image in (n for n in walk(block) if n["t"] == "Image"):
                picture(image, "")
        for cite in (n for n in walk(block) if n["t"] == "Cite"):
            for citation in cite["c"][0]:
                citation["citationId"] = keys.get(citation["citationId"], citation["citationId"])
        out.append(block)
    return out


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def caption_bookmarks(archive: zipfile.ZipFile) -> list[tuple[str, list[str]]]:
    """Each numbered caption of a Word manuscript (a paragraph with a SEQ field, whatever the
    language of its style's name) with its text and the bookmarks in it: Word's cross-references
    (Insert > Cross-reference) lead to those bookmarks, which pandoc's reader drops."""
    if "word/document.xml" not in archive.namelist() or archive.getinfo("word/document.xml").file_size > \
            MAX_MANUSCRIPT_BYTES:
        return []
    root = ElementTree.fromstring(archive.read("word/document.xml"))
    found = []
    for paragraph in root.iter(f"{W}p"):
        fields = [f.get(f"{W}instr", "") for f in paragraph.iter(f"{W}fldSimple")]
        fields += [t.text or "" for t in paragraph.iter(f"{W}instrText")]
        if not any(f.split()[:1] == ["SEQ"] for f in fields):
            continue
        names = [b.get(f"{W}name", "") for b in paragraph.iter(f"{W}bookmarkStart")]
        text = "".join(t.text or "" for t in paragraph.iter(f"{W}t"))
        found.append((text, [n for n in names if n]))
    return found


class CaptionMarks:
    """Word's caption bookmarks, given the names the import gives their figures and tables."""

    def __init__(self, captions: list[tuple[str, list[str]]]):
        self.captions = captions
        self.named: dict[str, str] = {}

    def name(self, caption: str, ident: str, anchors: list[str]) -> None:
        """The first caption not yet named whose text ends with this caption's: its bookmarks,
        and the `anchors` pandoc kept in it, lead to `ident`."""
        self.named.update({name: ident for name in anchors if ident})
        wanted = folded(caption)
        for i, (text, names) in enumerate(self.captions):
            if wanted and ident and folded(text).endswith(wanted):
                self.named.update({name: ident for name in names})
                del self.captions[i]
                return


def cross_references(blocks: list[Any], named: dict[str, str]) -> list[Any]:
    """Word's cross-references to a caption as the paper's (@fig:…, @tbl:…, which print the
    paper's own number); a link to any other of Word's hidden bookmarks (_Ref…, _Toc…), which
    lead nowhere in the chapters, as its text."""
    def change(node: dict[str, Any]) -> Any:
        if node["t"] != "Link" or not node["c"][2][0].startswith("#"):
            return None
        name = node["c"][2][0][1:]
        if name in named:
            return {"t": "Cite", "c": [[{"citationId": named[name], "citationPrefix": [], "citationSuffix": [],
                                         "citationMode": {"t": "AuthorInText"}, "citationNoteNum": 0,
                                         "citationHash": 0}], [{"t": "Str", "c": f"@{named[name]}"}]]}
        return node["c"][1] if name.startswith("_") else None

    return rewritten(blocks, change)


def cleaned_caption(blocks: list[Any]) -> list[Any]:
    """A caption without Word's label and number: pandoc drops them when Word numbered the
    caption itself (leaving the ": " after them), not when they were typed ("Figure 3: "). The
    paper numbers its figures and tables itself."""
    if not blocks or blocks[0]["t"] not in ("Para", "Plain"):
        return blocks
    inlines = list(blocks[0]["c"])
    if starts_with_label(inlines):
        inlines = inlines[3:]
    while inlines and (inlines[0]["t"] == "Space" or (inlines[0]["t"] == "Str" and inlines[0]["c"] in SEPARATORS)):
        inlines = inlines[1:]
    return [{"t": blocks[0]["t"], "c": inlines}, *blocks[1:]]


CAPTION_NUMBER = re.compile(r"[A-Z]?\d+(?:[.\-]\d+)*[:.]?")
SEPARATORS = (":", ".", "-", "–", "—")


def slugged(text: str, size: int = 40) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > size and out:
            break
        out = f"{out}-{word}" if out else word
    return out or "item"


def unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


def member(archive: zipfile.ZipFile, src: str, chapter: Path) -> tuple[bytes, str]:
    """A picture's bytes from the manuscript's archive (pandoc names it by its place there) and its suffix."""
    names = {info.filename: info for info in archive.infolist()}
    info = names.get(f"word/{src}") or names.get(src)
    if info is None:
        raise UserError([error(chapter, 0, "import-image", f"a picture ({src}) is named in the manuscript but not "
                               "inside it (a linked picture?): in Word, insert the picture itself, not a link to it")])
    if info.file_size > MAX_MEDIA_BYTES:
        raise UserError([error(chapter, 0, "import-image", f"the picture {src} is over {MAX_MEDIA_BYTES // 1_000_000} "
                               "MB unpacked: make it smaller in Word (Picture Format > Compress Pictures)")])
    suffix = PurePosixPath(info.filename).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".bin"  # the name is the manuscript's: anything
    return archive.read(info), ".jpg" if suffix == ".jpeg" else suffix


# -- references --------------------------------------------------------------------------------

def reference_keys(root: Path, cited: list[dict[str, Any]], done: Imported) -> tuple[dict[str, str], list[dict]]:
    """For each work the manuscript cites, the key the chapters will cite it by: the key of the
    same work in references.bib (same DOI, or same title and year), else a new key for an
    entry to add."""
    existing: list[Reference] = []
    if (root / "references.bib").is_file() and cited:
        existing, _problems = load_bibliography(root)
    used = {r.key.lower() for r in existing}
    keys: dict[str, str] = {}
    added: list[dict[str, Any]] = []
    for item in cited:
        same = next((r.key for r in existing if same_work(r.csl, item)), None)
        if same is not None:
            keys[str(item["id"])] = same
            done.merged.append((str(item["id"]), same))
            continue
        again = next((e["id"] for e in added if same_work(e, item)), None)
        if again is not None:
            keys[str(item["id"])] = again
            continue
        key = new_key(item, used)
        used.add(key.lower())
        keys[str(item["id"])] = key
        added.append({**item, "id": key})
        done.added.append(key)
    return keys, added


def same_work(a: dict[str, Any], b: dict[str, Any]) -> bool:
    doi_a, doi_b = str(a.get("DOI", "")).lower().strip(), str(b.get("DOI", "")).lower().strip()
    if doi_a and doi_b:
        return doi_a == doi_b
    return bool(folded(a.get("title"))) and folded(a.get("title")) == folded(b.get("title")) and year(a) == year(b)


def folded(text: Any) -> str:
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def year(item: dict[str, Any]) -> str:
    parts = (item.get("issued") or {}).get("date-parts") or [[]]
    return str(parts[0][0]) if parts and parts[0] else str((item.get("issued") or {}).get("literal", ""))


def new_key(item: dict[str, Any], used: set[str]) -> str:
    """muggah2012, as the keys in references.bib are made (a, b… after it if taken)."""
    names = item.get("author") or item.get("editor") or [{}]
    first = names[0].get("family") or names[0].get("literal") or folded(item.get("title")) or "work"
    word = next(iter(folded(first).split()), "work")
    if names[0].get("literal") and len(folded(first).split()) > 1:  # an organisation: its initials
        word = "".join(w[0] for w in folded(first).split() if w not in ("of", "the", "and", "for", "de", "la", "do"))
    base = f"{word}{year(item)}"
    key, letter = base, iter("abcdefghijklmnopqrstuvwxyz")
    while key.lower() in used:
        key = base + next(letter)
    return key


# -- writing -------------------------------------------------------------------------------------

def write_all(root: Path, files: dict[Path, bytes], force: bool, done: Imported, source: Path,
              show: Callable[[str], None]) -> None:
    """Every file in place, or none: a file that would change is replaced only with `force`, and
    never when it was edited since the import that wrote it (its edits would be lost)."""
    record_path = root / RECORD
    try:
        record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.is_file() else {}
    except (OSError, ValueError):
        record = {}
    written = record.get("files", {}) if isinstance(record, dict) else {}
    problems = []
    for path, data in files.items():
        target = root / path
        if not target.exists() or path == Path("references.bib"):
            continue
        current = target.read_bytes()
        if current == data:
            continue
        if path.suffix == ".md":
            done.diffs.append("".join(difflib.unified_diff(
                current.decode("utf-8", "replace").splitlines(keepends=True),
                data.decode("utf-8").splitlines(keepends=True), f"{path} (now)", f"{path} (imported)")))
        if path.as_posix() not in written:
            problems.append(error(path, 1, "import-edited", "this file is not from an earlier import, and importing "
                                  "would replace it (the changes are shown above): rename or delete it, then import "
                                  "again"))
        elif written[path.as_posix()] != sha256(current):
            problems.append(error(path, 1, "import-edited", "this file was changed after it was imported: importing "
                                  "again would lose those changes (shown above). Make them in the manuscript too, "
                                  "then delete this file and import again"))
        elif not force:
            problems.append(error(path, 1, "import-exists", "importing would change this file (the changes are shown "
                                  "above): run the import again with --force to replace it"))
    if problems:
        for diff in done.diffs:
            show(diff)
        raise UserError(problems + done.warnings)
    for path, data in files.items():
        atomic_write(root / path, data)
    record = {"source": source.name, "files": {**written, **{p.as_posix(): sha256(d) for p, d in files.items()
                                                              if p.suffix != ".bib"}}}
    atomic_write(record_path, (json.dumps(record, indent=1, sort_keys=True) + "\n").encode())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
