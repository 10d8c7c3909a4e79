"""HTML: the reading site. A landing page, one page per chapter, a single-page edition, the
downloads with their sizes and checksums, search, catalogue metadata and an OPDS feed.
It can be copied to any web server as it is and loads nothing from other hosts."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .. import fastjson, pandoc
from ..cache import Cache
from ..diagnostics import error
from ..editions import edition_code, language_name
from ..errors import UserError
from ..licenses import license_statement, spdx_license
from ..model import Artifact, BuildContext, ChapterText, Manuscript
from ..publish import carry
from ..search import index_site, single_pages_hidden
from ..tree import stringify
from . import template_environment, template_values
from .registry import Edition, EditionJob, PaperJob, downloads

ID = re.compile(r'\sid="([^"]+)"')
TABLE_START = re.compile(r"<table(?=[\s>])")
LOCAL_LINK = re.compile(r'href="#([^"]+)"')
MEDIA_TYPES = {".pdf": "application/pdf", ".epub": "application/epub+zip",
               ".bib": "application/x-bibtex", ".ris": "application/x-research-info-systems",
               ".json": "application/vnd.citationstyles.csl+json", ".cff": "application/x-yaml"}


def render_site(job: PaperJob) -> Artifact:
    """The website of every edition: the source's at the top, each translation in a folder of
    its own (es/, pt-br/) with the same page names, so the language switcher leads to the same
    page; downloads, search index and OPDS feed shared."""
    editions, context = job.editions, job.context
    site = job.staging / "html"
    site.mkdir()
    source = editions[0].manuscript
    folders = ["" if i == 0 else f"{edition_code(e.manuscript.paper.meta.language)}/" for i, e in enumerate(editions)]
    offered = copy_downloads(site, list(zip(editions, folders, strict=True)))
    languages = [{"language": e.manuscript.paper.meta.language, "name": language_name(e.manuscript.paper.meta.language),
                  "folder": folder} for e, folder in zip(editions, folders, strict=True)]
    pages: list[str] = []
    for edition, prefix in zip(editions, folders, strict=True):
        root = "../" if prefix else ""
        own = [d["path"][len(prefix):] if prefix and d["path"].startswith(prefix) else root + d["path"]
               for d in offered]
        mine = [{**d, "href": href} for d, href in zip(offered, own, strict=True)]
        names = write_edition(edition, context, site / prefix, root, mine, languages)
        pages += [prefix + name for name in names]
    env = template_environment(source.paper)
    values = {**template_values(source, context), "downloads": offered, "cover": "cover" in editions[0].made,
              "head": head_metadata(source, context, offered)}
    # The catalogue lists every edition as a book of its own, in its language.
    entries = [{"meta": e.manuscript.paper.meta, "slug": e.manuscript.paper.slug,
                "abstract_html": e.manuscript.abstract_html, "folder": prefix, "cover": "cover" in e.made}
               for e, prefix in zip(editions, folders, strict=True)]
    write(site / "opds.xml", env.get_template("opds.xml").render(entries=entries, **values))
    if source.paper.meta.site_url:
        write(site / "sitemap.xml", env.get_template("sitemap.xml").render(pages=sorted(pages), **values))
    if context.preview and (context.out / "html" / "pagefind").is_dir():
        # the last build's index, and no check of every link: the full build follows
        carry(context.out / "html" / "pagefind", site / "pagefind")
    else:
        # Pagefind (a program of its own) indexes the pages while they are read for their links.
        # The single-page paper is kept out of its sight: its chapters have their own pages.
        written = sorted(site.rglob("*.html"))
        with single_pages_hidden(site) as held, ThreadPoolExecutor(max_workers=1) as pool:
            indexing = pool.submit(index_site, site)
            found = {path: page_links(held.get(path, path), context.cache) for path in written}
            indexing.result()
        check_links(site, found)
    return Artifact("html", site)


def write_edition(edition: Edition, context: BuildContext, site: Path, root: str,
                  downloads: list[dict[str, Any]], languages: list[dict[str, str]]) -> list[str]:
    """One edition's pages, assets and images into `site`; `root` leads from there to the top."""
    manuscript = edition.manuscript
    paper = manuscript.paper
    site.mkdir(exist_ok=True)
    chapters, bodies, whole = edition.made["pages"].data
    cover = edition.made.get("cover")
    # A link to a part (@sec:part-i) leads to the page of the part's first chapter.
    parts = {part.id: f"{following.id}.html" for part, following
             in zip(manuscript.chapters, manuscript.chapters[1:], strict=False) if part.role == "part"}
    bodies = link_across_pages(chapters, bodies, parts)

    env = template_environment(paper)
    values = template_values(manuscript, context)
    here = next(lang["folder"] for lang in languages if lang["language"] == paper.meta.language)
    values.update(downloads=downloads, cover=cover is not None, root=root, folder=here,
                  languages=languages, head=head_metadata(manuscript, context, downloads, here))
    pages = {"index.html": ("site-index.html", {"page_title": ""}),
             "all.html": ("site-all.html", {"page_title": values["labels"].single_page, "body": whole or ""}),
             "search.html": ("site-search.html", {"page_title": values["labels"].search})}
    for i, (chapter, body) in enumerate(zip(chapters, bodies, strict=True)):
        pages[f"{chapter.id}.html"] = ("site-chapter.html", {
            "page_title": f"{chapter.label} {chapter.title}".strip(), "chapter": chapter, "body": body,
            "sections": sections(chapter),
            "previous": chapters[i - 1] if i > 0 else None,
            "next": chapters[i + 1] if i + 1 < len(chapters) else None})
    published = context.out / "html" / (site.name if root else "")  # the last build's edition
    if whole is None and (published / "all.html").is_file():
        del pages["all.html"]
        carry(published / "all.html", site / "all.html")
    for name, (template, extra) in pages.items():
        write(site / name, env.get_template(template).render(page=name, **{**values, **extra}))
    assets = site / "assets"
    assets.mkdir()
    for name in ("site.css", "site.js"):
        write(assets / name, env.get_template(name).render(**values))
    if cover is not None and cover.path is not None:
        shutil.copyfile(cover.path, assets / "cover.png")
    for src in sorted(set(manuscript.images)):
        target = site / src
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paper.root / src, target)
    return sorted(pages)


def sections(chapter: ChapterText) -> list[dict[str, str]]:
    """The chapter's sections (its level-2 headings), for the page's "on this page" menu."""
    found = []
    for block in chapter.blocks:
        if block.get("t") != "Header" or block["c"][0] != 2 or not block["c"][1][0]:
            continue
        inlines = block["c"][2]
        numbers = [item for item in inlines
                   if item.get("t") == "Span" and "header-section-number" in item["c"][0][1]]
        number = stringify(numbers[0]["c"][1]) if numbers else ""
        rest = [item for item in inlines if item not in numbers]
        found.append({"id": block["c"][1][0], "number": number, "title": stringify(rest).strip()})
    return found


def convert_pages(job: EditionJob) -> Artifact:
    """The chapters that get a page of their own, their bodies as HTML, and the whole paper's,
    converted while the PDF is laid out; the site is written once every edition is done.

    Each chapter is converted on its own (and cached), so that an edit converts one chapter;
    the single-page paper is those conversions joined, each chapter's notes following it
    under ids of their own (`single_page_notes`). A part's title page has nothing to read on
    its own: the contents show it as a heading, and the single page holds it.
    """
    manuscript, context = job.manuscript, job.context
    paper = manuscript.paper

    def convert(chapter: ChapterText) -> str:
        html = pandoc.to_html(lambda: manuscript.document((chapter,)), paper.root, context.source_date_epoch,
                              ("--section-divs", "--mathml"), cache=context.cache, made_from=chapter.key)
        # a table too wide for a phone scrolls sideways: keyboard users must be able to reach it
        return TABLE_START.sub('<table tabindex="0"', html)

    with ThreadPoolExecutor(max_workers=2) as pool:
        converted = list(pool.map(convert, manuscript.chapters))
    pages = [(chapter, html) for chapter, html in zip(manuscript.chapters, converted, strict=True)
             if chapter.role != "part"]
    # a preview leaves the single-page paper as the last build made it (write_edition)
    whole = None if context.preview else "".join(
        single_page_notes(html, chapter.id, context) for chapter, html in zip(manuscript.chapters, converted,
                                                                              strict=True))
    made: tuple[tuple[ChapterText, ...], list[str], str | None] = (
        tuple(chapter for chapter, _html in pages), [html for _chapter, html in pages], whole)
    return Artifact("pages", None, made)


NOTE_ROLES = {"doc-noteref", "doc-backlink", "doc-endnotes"}
"""The roles pandoc's HTML writer gives a note's call, its way back, and the list of notes."""


class _NoteTags(HTMLParser):
    """The start tags of a chapter's notes in pandoc's HTML: each note call (role doc-noteref),
    back link (doc-backlink), the list of notes (doc-endnotes) and the list items (a note is
    one), with where each tag starts and its text as written."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[tuple[int, int], str, str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li" or dict(attrs).get("role") in NOTE_ROLES:
            self.found.append((self.getpos(), self.get_starttag_text() or "", tag, attrs))


def single_page_notes(html: str, prefix: str, context: BuildContext) -> str:
    """A chapter's HTML for the single-page paper: pandoc numbers each chapter's notes from 1
    (fn1, fnref1, #footnotes), so on one page their ids take the chapter's id before them
    (intro-fn1) and each chapter keeps its own numbers, as in the PDF. Only the ids and links
    of pandoc's note markup change; kept in the cache by the chapter's HTML."""
    key = Cache.key("single-page", prefix, html)
    if context.cache is not None and (kept := context.cache.get(key)) is not None:
        return kept.decode("utf-8")
    parser = _NoteTags()
    parser.feed(html)
    parser.close()
    starts = [0]  # where each line begins, counted as the parser counts them (at "\n" alone)
    for row in html.split("\n"):
        starts.append(starts[-1] + len(row) + 1)
    notes = {value[1:] for _pos, _text, _tag, attrs in parser.found for name, value in attrs
             if name == "href" and value and value.startswith("#") and ("role", "doc-noteref") in attrs}
    calls = {value for _pos, _text, _tag, attrs in parser.found for name, value in attrs
             if name == "id" and value and ("role", "doc-noteref") in attrs}
    out, done = [], 0
    for (line, column), text, tag, attrs in parser.found:
        renamed = [(name, renamed_note(name, value, prefix, notes, calls, ("role", "doc-endnotes") in attrs))
                   for name, value in attrs]
        if renamed == attrs:
            continue
        at = starts[line - 1] + column
        out += [html[done:at], "<" + tag + "".join(f' {name}="{escape(value, quote=True)}"' if value is not None
                                                   else f" {name}" for name, value in renamed) + ">"]
        done = at + len(text)
    result = "".join(out) + html[done:]
    if context.cache is not None:
        context.cache.put(key, result.encode("utf-8"))
    return result


def renamed_note(name: str, value: str | None, prefix: str, notes: set[str], calls: set[str],
                 endnotes: bool) -> str | None:
    """An attribute of a note's tag with the chapter's id before the note's ids."""
    if value is None:
        return value
    if name == "id" and (value in notes or value in calls or endnotes):
        return f"{prefix}-{value}"
    if name == "href" and value.startswith("#") and (value[1:] in notes or value[1:] in calls):
        return f"#{prefix}-{value[1:]}"
    return value


def copy_downloads(site: Path, editions: list[tuple[Edition, str]]) -> list[dict[str, Any]]:
    """What every edition's formats offer (the PDF, the EPUB, the citation files), copied into
    the site with their size and SHA-256: a translation's into its own folder (es/downloads/),
    so that its landing page and its PDF share a folder, as Google Scholar expects."""
    out = []
    for edition, folder in editions:
        manuscript = edition.manuscript
        target = site / folder / "downloads"
        for fmt, path in downloads(edition):
            if not path.is_file():
                continue
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / path.name)
            data = path.read_bytes()
            out.append({"name": path.name, "path": f"{folder}downloads/{path.name}", "bytes": len(data),
                        "size": human_size(len(data)), "sha256": hashlib.sha256(data).hexdigest(),
                        "type": MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
                        "kind": path.suffix.lstrip(".").upper(), "reading": fmt.reading,
                        "language": manuscript.paper.meta.language,
                        "language_name": language_name(manuscript.paper.meta.language)})
    for item in out:
        item["href"] = item["path"]
    return out


def human_size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, round(size / 1000))} kB"


def head_metadata(manuscript: Manuscript, context: BuildContext,
                  downloads: list[dict[str, Any]], folder: str = "") -> dict[str, Any]:
    """What search engines, Google Scholar and catalogues read: Highwire tags, Dublin Core,
    schema.org JSON-LD and Open Graph."""
    meta = manuscript.paper.meta
    base = meta.site_url.rstrip("/") + "/" if meta.site_url else ""
    date = meta.date.replace("-", "/")
    downloads = [d for d in downloads if d["language"] == meta.language]
    pdf = next((d for d in downloads if d["kind"] == "PDF"), None)
    highwire = [("citation_title", meta.title + (f": {meta.subtitle}" if meta.subtitle else ""))]
    highwire += [("citation_author", a.name) for a in meta.authors]
    highwire += [("citation_publication_date", date), ("citation_language", meta.language),
                 ("citation_publisher", meta.publisher), ("citation_doi", meta.doi),
                 ("citation_isbn", meta.isbn), ("citation_keywords", "; ".join(meta.keywords)),
                 ("citation_technical_report_institution", meta.publisher),
                 ("citation_technical_report_number", meta.series.number if meta.series else ""),
                 ("citation_pdf_url", (base + pdf["path"] if base else pdf["href"]) if pdf else "")]
    dublin_core = [("DC.title", meta.title), ("DC.date", meta.date), ("DC.language", meta.language),
                   ("DC.publisher", meta.publisher), ("DC.rights", meta.license),
                   ("DC.type", "Text")] + [("DC.creator", a.name) for a in meta.authors]
    license_url = license_statement(meta.license, meta.language)[1]
    linked = {
        "@context": "https://schema.org", "@type": "Report",
        "name": meta.title, "headline": meta.title, "inLanguage": meta.language,
        "datePublished": meta.date, "keywords": list(meta.keywords),
        "author": [{"@type": "Organization" if a.organization else "Person", "name": a.name,
                    **({"affiliation": {"@type": "Organization", "name": a.affiliation}}
                       if a.affiliation else {}),
                    **({"identifier": f"https://orcid.org/{a.orcid}"} if a.orcid else {})}
                   for a in meta.authors],
        "encoding": [{"@type": "MediaObject", "contentUrl": base + d["path"] if base else d["href"],
                      "encodingFormat": d["type"],
                      "contentSize": d["size"], "sha256": d["sha256"]} for d in downloads],
    }
    optional: dict[str, Any] = {"alternativeHeadline": meta.subtitle, "license": license_url or meta.license,
                "abstract": re.sub(r"<[^>]+>", "", manuscript.abstract_html).strip(),
                "identifier": f"https://doi.org/{meta.doi}" if meta.doi else meta.isbn,
                "isbn": meta.isbn, "url": base + folder if base else None,
                "publisher": {"@type": "Organization", "name": meta.publisher} if meta.publisher else None,
                "isPartOf": ({"@type": "PublicationIssue", "issueNumber": meta.series.number,
                              "isPartOf": {"@type": "Periodical", "name": meta.series.name}}
                             if meta.series else None)}
    linked.update({k: v for k, v in optional.items() if v})
    return {"highwire": [(k, v) for k, v in highwire if v], "dublin_core": [(k, v) for k, v in dublin_core if v],
            "json_ld": json.dumps(linked, ensure_ascii=False, indent=1).replace("</", "<\\/"),
            "base": base, "spdx": spdx_license(meta.license),
            "updated": dt.datetime.fromtimestamp(context.source_date_epoch, dt.timezone.utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ")}


def link_across_pages(chapters: tuple[ChapterText, ...], bodies: list[str],
                      pages: dict[str, str] | None = None) -> list[str]:
    """Point links to anchors on other pages (a citation to the References page, say) there.

    `pages` maps ids that have no anchor on any page to the page they lead to.
    """
    ids = [set(ID.findall(body)) for body in bodies]
    page_of: dict[str, str] = {}
    for chapter, found in zip(chapters, ids, strict=True):
        for ident in found:
            page_of.setdefault(ident, f"{chapter.id}.html")
    out = []
    for body, here in zip(bodies, ids, strict=True):

        def relink(match: re.Match, here: set[str] = here) -> str:
            ident = match.group(1)
            if pages and ident in pages:
                return f'href="{pages[ident]}"'
            if ident in here or ident not in page_of:
                return match.group(0)
            return f'href="{page_of[ident]}#{ident}"'

        out.append(LOCAL_LINK.sub(relink, body))
    return out


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            elif name in ("href", "src") and value:
                self.targets.append(value)


Links = tuple[frozenset[str], list[str]]
"""A page's ids, and the addresses its links and images lead to."""


def page_links(path: Path, cache: Cache | None = None) -> Links:
    """What `path` holds and links to, read with an HTML parser; kept in `cache` by the page's
    bytes (after an edit most pages are as they were)."""
    data = path.read_bytes()
    key = Cache.key("page-links", data) if cache else ""
    if cache and (stored := cache.get(key)) is not None:
        ids, targets = fastjson.loads(stored)
        return frozenset(ids), targets
    parser = _Links()
    parser.feed(data.decode("utf-8"))
    if cache:
        cache.put(key, fastjson.dumpb([sorted(parser.ids), parser.targets]))
    return frozenset(parser.ids), parser.targets


def check_links(site: Path, pages: dict[Path, Links] | None = None) -> None:
    """Every link and anchor inside the site must lead somewhere: a broken one fails the build.
    `pages`: every page of the site, read (page_links); by default they are read here."""
    if pages is None:
        pages = {path: page_links(path) for path in site.rglob("*.html")}
    broken = []
    files = {Path(here) / name for here, _dirs, names in os.walk(site) for name in names}
    for path, (_ids, targets) in pages.items():
        for target in targets:
            url = urlparse(target)
            if url.scheme or target.startswith("//"):
                continue
            file = Path(os.path.normpath(path.parent / unquote(url.path))) if url.path else path
            if file not in files and not file.resolve().exists() \
                    or (url.fragment and file in pages and url.fragment not in pages[file][0]):
                broken.append(f"{path.relative_to(site)} links to {target}")
    if broken:
        raise UserError([error(Path("chapters"), 0, "broken-site-link",
                               f"the website would have a broken link: {link}; check the link in "
                               "the chapter it comes from") for link in broken])


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
