"""paper.yaml: the paper's metadata, validated as a whole with every problem reported at once."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .codes import why_not_ignorable
from .diagnostics import Diagnostic, error
from .images import check_image
from .model import Author, Edition, Funding, Limits, Paper, PaperMeta, Part, Series
from .resolve import Resolver
from .yamlfile import Key, parse_yaml


@dataclass(frozen=True)
class Setting:
    """A key of paper.yaml: whether it is required, and what it means as the editors' reference
    says it (Markdown; `python -m paper.config` writes the reference's table from these). Its
    value fills the PaperMeta field of the same name (- as _), checked by _Checker.paper."""

    meaning: str
    required: bool = False


KEYS: dict[str, Setting] = {
    "title": Setting(
        "the paper's title", required=True),
    "subtitle": Setting(
        "shown under the title and in the metadata"),
    "series": Setting(
        "`name:` of the series, `number:` of this paper in it and the series' `issn:`; in a series "
        "folder (see [Publishing a series](#publishing-a-series)) the name and ISSN come from "
        "series.yaml"),
    "authors": Setting(
        "a list; each author has a `name:` and optionally `affiliation:`, `orcid:` (checked for "
        "its check digit), `family-name:` (when the family name is more than the last word, as in "
        "\"Pérez García\") and `organization: true` (for a team or institution, whose name is "
        "never split). A plain list of names also works", required=True),
    "date": Setting(
        "publication date, `YYYY-MM-DD` (or `YYYY-MM`, `YYYY`); printed in full (\"10 December "
        "2012\")", required=True),
    "language": Setting(
        "the paper's language as a BCP 47 tag: `en` (default), `es`, `pt-BR`… It sets "
        "hyphenation, the words the outputs add themselves (\"Contents\", \"References\") and the "
        "citation style's terms"),
    "abstract": Setting(
        "the abstract, shown after the cover and on the website's home page; Markdown"),
    "keywords": Setting(
        "a list, written into the PDF and EPUB metadata"),
    "license": Setting(
        "the licence, e.g. `CC BY 4.0`"),
    "publisher": Setting(
        "the publisher, on the cover and in the metadata"),
    "doi": Setting(
        "the paper's DOI (`10.` followed by a `/`); used as the EPUB's identifier"),
    "isbn": Setting(
        "ISBN-10 or ISBN-13, checked for its check digit"),
    "slug": Setting(
        "the base name of the output files; by default made from the title"),
    "chapters": Setting(
        "the numbered chapters in reading order; by default all chapter files (`.md`, `.Rmd`, "
        "`.qmd`) sorted by name, `index` first, that are not front matter or appendices; a "
        "chapter whose heading says `{-}` or `{.unnumbered}` before the first numbered one is "
        "front matter, and `(PART)`, `(APPENDIX)` and `{.appendix}` headings start parts and the "
        "appendices (see the guide for authors). An item may be a part instead of a file: `part:` "
        "(its title) and `chapters:` (its files); each part gets a title page (\"Part I\") in the "
        "PDF and EPUB and a heading in the website's contents. When `chapters` is given, a "
        "chapter file not listed anywhere is left out, with a warning"),
    "front-matter": Setting(
        "chapter files that come before chapter 1, unnumbered: executive summary, foreword, "
        "acknowledgements, abbreviations. In the PDF their pages keep the roman numbers of the "
        "front pages"),
    "appendices": Setting(
        "chapter files printed after the last chapter as Appendix A, B…; their figures, tables "
        "and sections are numbered A.1, A.2…"),
    "lists": Setting(
        "lists printed after the contents: any of `figures`, `tables`, `boxes`. In the PDF with "
        "page numbers; on the website's home page and at the start of the EPUB as links"),
    "downloads": Setting(
        "what the website offers for download: any of `pdf`, `epub`, `docx` (the Word copy for "
        "reviewers) and `cite` (the citation files); by default `[pdf, epub, cite]`, whatever was "
        "built. A format listed here is built with the website"),
    "boxes": Setting(
        "what a block's class makes it: `box`, `note`, `tip`, `warning`, `important`, `caution` "
        "or `aside`, e.g. `rmdnote: note` (see [Boxes and callouts](#boxes-and-callouts))"),
    "section-numbers": Setting(
        "`true` (default): sections are numbered 2.1, 2.1.1 within their chapter; `false`: no "
        "section numbers (a reference to a section then shows its title)"),
    "page-references": Setting(
        "in the PDF, whether a cross-reference also gives the page (\"Table 3.2, p. 27\"): "
        "`other-chapters` (default: only for items in another chapter), `all` or `none`. "
        "References to whole chapters never do; the contents give their pages"),
    "citation-style": Setting(
        "how citations and references look: `chicago-author-date` (default), `apa` (APA 7th "
        "edition) or `ieee` (numbered), or the path of any CSL style file inside the paper's "
        "folder, e.g. `styles/house.csl`. Thousands of journal and house styles are published as "
        "CSL files"),
    "reference-list": Setting(
        "`end` (default): one list of references after the last chapter; `per-chapter`: each "
        "chapter ends with the works it cites"),
    "page-size": Setting(
        "`A4` (default) or `Letter`"),
    "chapter-start": Setting(
        "`new-page` (default) or `right-hand-page`, as in a printed book (a blank page is left "
        "where needed)"),
    "cover-image": Setting(
        "an image for the front cover, e.g. a photograph; its path from the paper's folder"),
    "logos": Setting(
        "a list of logo images printed at the foot of the front cover"),
    "disclaimer": Setting(
        "a sentence printed on the imprint page, e.g. that the views are the authors' own"),
    "version": Setting(
        "the version of a draft or edition; printed on the imprint page, in the draft stamp and "
        "at the foot of the website"),
    "site-url": Setting(
        "the address where the website will be published, e.g. "
        "`https://example.org/papers/citizen-security/`; with it the site gets canonical links "
        "and a sitemap"),
    "languages": Setting(
        "the paper's editions, the language the chapters are written in first: `[en, es, pt-BR]`. "
        "See [Editions in other languages](#editions-in-other-languages)"),
    "limits": Setting(
        "how large the input may be (chapters, megabytes, nesting, pixels); the defaults suit any "
        "real paper: see [Builds you can trust with anyone's "
        "chapters](#builds-you-can-trust-with-anyones-chapters)"),
    "ignore": Setting(
        "warning codes not to report, e.g. `[code-not-run, unused-reference]`: for warnings the "
        "editor has read and accepts. Errors cannot be ignored. See [Messages](#messages)"),
    "editions": Setting(
        "for each other language: its `title`, `subtitle`, `abstract`, `keywords`, `series` (the "
        "series' name), `disclaimer`, `parts` (the part titles, in order), `authors` (when a "
        "team's name is translated), `translators` (a list, like `authors`) and `doi` (when the "
        "translation has a DOI of its own: it is then deposited as a translation of the paper). "
        "What is not given is taken from the source"),
    "report-number": Setting(
        "the paper's number as the publisher gives it, e.g. `SSDP 1/2012`; by default the "
        "series number. Printed on the imprint page and sent with the deposits"),
    "funding": Setting(
        "who paid for the work: a list, each with `funder:` (the name), optionally `funder-id:` "
        "(its DOI in the Crossref Funder Registry, `10.13039/…`, or its ROR address) and "
        "`award:` (the grant number). Printed on the imprint page and sent with the deposits"),
    "jel": Setting(
        "Journal of Economic Literature classification codes, e.g. `[H56, O54]`; sent with the "
        "deposits and written into the metadata"),
}
PAGE_SIZES = ("A4", "Letter")
CHAPTER_STARTS = ("new-page", "right-hand-page")
AUTHOR_KEYS = ("name", "affiliation", "orcid", "family-name", "organization", "ror")
FUNDING_KEYS = ("funder", "funder-id", "award")
JEL = re.compile(r"^[A-Z](\d{1,2})?$")
FUNDER_DOI = re.compile(r"^10\.13039/\d+$")
ROR = re.compile(r"^(?:https://ror\.org/)?(0[0-9a-hjkmnp-tv-z]{6}\d{2})$")
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
STYLES = Path(__file__).parent / "styles"
REFERENCE_LISTS = ("end", "per-chapter")
DOWNLOADS = ("pdf", "epub", "docx", "cite")
"""The formats whose files the website may offer (a test keeps it to the registry's)."""
DEFAULT_DOWNLOADS = ("pdf", "epub", "cite")
LISTS = ("figures", "tables", "boxes")
BOX_KINDS = ("box", "note", "tip", "warning", "important", "caution", "aside")
"""What a fenced div may be: a numbered box, a callout of one of Quarto's kinds, or a plain aside."""
PAGE_REFERENCES = ("other-chapters", "all", "none")
PART_KEYS = ("part", "chapters")
EDITION_KEYS = ("title", "subtitle", "abstract", "keywords", "disclaimer", "series", "parts", "authors", "doi",
                "translators")
SERIES_KEYS = ("name", "number", "issn")
ISSN = re.compile(r"^\d{4}-\d{3}[\dX]$")
LIMIT_KEYS = {"chapters": "chapters", "chapter-mb": "chapter_mb", "nesting": "nesting", "image-mb": "image_mb",
              "image-megapixels": "image_megapixels", "svg-elements": "svg_elements"}
MAX_CONFIG_BYTES = 1_000_000

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?$")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


Inherit = Callable[[Path, Any], tuple[Any, dict[str, tuple[Path, int, Any]], list[Diagnostic]]]
"""paper.yaml's data with what the paper takes from elsewhere (its series: series.inherited),
where each key taken was written, and the problems found there."""


def load_config(root: Path, name: str = "paper.yaml",
                inherit: Inherit | None = None) -> tuple[PaperMeta | None, list[Diagnostic]]:
    """Read and validate paper.yaml; return the metadata (None if unusable) and all problems.
    With `inherit`, what paper.yaml does not say is taken from the series it belongs to."""
    path = Path(name)
    data, lines, problems = read_yaml(root, name, "title, authors and date")
    if data is None:
        return None, problems
    given: dict[str, tuple[Path, int, Any]] = {}
    if inherit is not None:
        data, given, problems = inherit(root, data)
        if problems:
            return None, problems
    checker = _Checker(root, path, lines, given)
    meta = checker.paper(data)
    if meta is not None and not meta.site_url and (base := given.get("site-url", (None, 0, ""))[2]):
        meta = replace(meta, site_url=f"{base}papers/{Paper.slug_of(meta)}/")
    return (meta if not checker.problems else None), checker.problems


def read_yaml(root: Path, name: str, needs: str) -> tuple[Any, dict[Key, int], list[Diagnostic]]:
    """A YAML file of the project, parsed with the line of every key; None and the problems
    when it cannot be read (missing, a link outside, too large, not UTF-8, not YAML, empty)."""
    path = Path(name)
    file = root / name
    if not file.is_file():
        return None, {}, [error(path, 0, "no-config", f"no {name} in {root}: create one with at least {needs}")]
    if Resolver(root).inside(file) is None:
        return None, {}, [error(path, 0, "outside-project", f"{name} is a link to a file outside the project: "
                                "builds read nothing outside the paper's folder; put the file itself here")]
    if file.stat().st_size > MAX_CONFIG_BYTES:
        return None, {}, [error(path, 0, "config-too-large", f"{name} is over {MAX_CONFIG_BYTES // 1000} kB; "
                                "it holds a few details only: check that it is the right file")]
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        data = file.read_bytes()
        line = data[:exc.start].count(b"\n") + 1
        return None, {}, [error(path, line, "not-utf8", f"{name} is not UTF-8 text (byte {exc.start + 1} cannot "
                                "be read): save it as UTF-8")]
    data, lines, problems = parse_yaml(text, path)
    if problems:
        return None, lines, problems
    if data is None:
        return None, lines, [error(path, 1, "empty-config", f"{name} is empty: give {needs}")]
    return data, lines, []


class _Checker:
    """Turns the parsed YAML into PaperMeta, collecting every problem on the way."""

    def __init__(self, root: Path, path: Path, lines: dict[Key, int],
                 given: dict[str, tuple[Path, int, Any]] | None = None):
        self.root = root
        self.path = path
        self.lines = lines
        self.given = given or {}
        """Keys the series gave: the file and line they were written on, and the value."""
        self.problems: list[Diagnostic] = []
        self.limit = Limits()

    def fail(self, key: Key, code: str, message: str) -> None:
        if key and key[0] in self.given:  # a value the paper took from its series
            path, line, _value = self.given[key[0]]
            self.problems.append(error(path, line, code, message))
            return
        line = self.lines.get(key) or self.lines.get(key[:-1], 1)
        self.problems.append(error(self.path, line, code, message))

    def unknown_keys(self, data: dict, allowed, key: Key = ()) -> None:
        for name in data:
            if name not in allowed:
                close = difflib.get_close_matches(str(name), list(allowed), n=1)
                hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
                self.fail(key + (name,), "unknown-key", f"unknown key '{name}': {hint}")

    def text(self, data: dict, name: str, key: Key = (), required: bool = False) -> str:
        value = data.get(name)
        if value is None:
            if required:
                where = "/".join(str(k) for k in key) or "paper.yaml"
                self.fail(key, "missing-key", f"'{name}' is required in {where}: add '{name}: ...'")
            return ""
        if isinstance(value, (dict, list)):
            self.fail(key + (name,), "bad-type", f"'{name}' must be text, not a list or mapping")
            return ""
        return str(value).strip()

    def text_list(self, data: dict, name: str) -> tuple[str, ...]:
        value = data.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
            self.fail((name,), "bad-type", f"'{name}' must be a list of text items, one per line")
            return ()
        return tuple(str(v).strip() for v in value)

    def paper(self, data: Any) -> PaperMeta | None:
        if not isinstance(data, dict):
            self.fail((), "bad-type", "paper.yaml must be a mapping of keys such as 'title: ...'")
            return None
        self.unknown_keys(data, KEYS)
        self.limit = self.limits(data.get("limits"))
        meta = PaperMeta(
            title=self.text(data, "title", required=True),
            subtitle=self.text(data, "subtitle"),
            series=self.series(data.get("series")),
            authors=self.authors(data.get("authors")),
            date=self.date(data.get("date")),
            language=self.language(data.get("language", first_language(data))),
            abstract=self.text(data, "abstract"),
            keywords=self.text_list(data, "keywords"),
            license=self.text(data, "license"),
            publisher=self.text(data, "publisher"),
            doi=self.doi(self.text(data, "doi")),
            isbn=self.isbn(self.text(data, "isbn")),
            slug=self.slug(self.text(data, "slug")),
            **self.structure(data),
            lists=self.lists(self.text_list(data, "lists")),
            downloads=self.downloads(data),
            boxes=self.boxes(data.get("boxes")),
            ignore=self.ignore(self.text_list(data, "ignore")),
            section_numbers=self.flag(data, "section-numbers", True),
            page_references=self.choice(data, "page-references", PAGE_REFERENCES),
            citation_style=self.citation_style(self.text(data, "citation-style")),
            reference_list=self.choice(data, "reference-list", REFERENCE_LISTS),
            page_size=self.choice(data, "page-size", PAGE_SIZES),
            chapter_start=self.choice(data, "chapter-start", CHAPTER_STARTS),
            cover_image=self.project_file(self.text(data, "cover-image"), ("cover-image",)),
            logos=tuple(self.project_file(name, ("logos", i))
                        for i, name in enumerate(self.text_list(data, "logos"))),
            disclaimer=self.text(data, "disclaimer"),
            version=self.text(data, "version"),
            site_url=self.site_url(self.text(data, "site-url")),
            limits=self.limit,
            report_number=self.text(data, "report-number"),
            funding=self.funding(data.get("funding")),
            jel=self.jel(self.text_list(data, "jel")),
        )
        languages = self.languages(data, meta.language)
        return replace(meta, languages=languages,
                       editions=self.editions(data.get("editions"), languages, len(meta.parts)))

    def languages(self, data: dict, language: str) -> tuple[str, ...]:
        names = self.text_list(data, "languages")
        for i, name in enumerate(names):
            if not LANGUAGE.match(name):
                self.fail(("languages", i), "bad-language",
                          f"'{name}' is not a BCP 47 language tag: use e.g. en, es or pt-BR")
            elif name in names[:i]:
                self.fail(("languages", i), "bad-language", f"'{name}' is listed twice")
        if names and names[0] != language:
            self.fail(("languages", 0), "bad-language",
                      f"the first language is the one the chapters are written in: '{language}' "
                      f"(from 'language:'), not '{names[0]}'")
        return names

    def editions(self, value: Any, languages: tuple[str, ...], parts: int) -> tuple[Edition, ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.fail(("editions",), "bad-type", "'editions' maps each language, e.g. 'es:', to its "
                      "title, subtitle and abstract")
            return ()
        out = []
        for language, item in value.items():
            key: Key = ("editions", language)
            if language not in languages[1:]:
                self.fail(key, "unknown-edition", f"'{language}' is not one of the translated "
                          "languages listed under 'languages:'")
                continue
            if not isinstance(item, dict):
                self.fail(key, "bad-type", f"'{language}' needs 'title:' and the other keys on lines below it")
                continue
            self.unknown_keys(item, EDITION_KEYS, key)
            part_titles = tuple(str(v).strip() for v in item.get("parts") or [])
            if part_titles and len(part_titles) != parts:
                self.fail(key + ("parts",), "bad-value", f"give {parts} part titles, one for each part "
                          "under 'chapters:', in the same order")
            keywords = item.get("keywords") or []
            out.append(Edition(language, self.text(item, "title", key), self.text(item, "subtitle", key),
                               self.text(item, "abstract", key),
                               tuple(str(k).strip() for k in keywords) if isinstance(keywords, list) else (),
                               self.text(item, "disclaimer", key), self.text(item, "series", key),
                               part_titles, self.authors(item["authors"], key) if "authors" in item else (),
                               self.doi(self.text(item, "doi", key), key + ("doi",)),
                               self.authors(item["translators"], key, "translators") if "translators" in item
                               else ()))
        return tuple(out)

    def site_url(self, text: str) -> str:
        if text and not re.match(r"^https?://[^/\s]+(/\S*)?$", text):
            self.fail(("site-url",), "bad-url", f"'{text}' is not a web address: write it in full, "
                      "e.g. https://example.org/papers/citizen-security/")
        return text

    def limits(self, value: Any) -> Limits:
        if value is None:
            return Limits()
        if not isinstance(value, dict):
            self.fail(("limits",), "bad-type", "'limits' is a mapping such as 'chapters: 2000'")
            return Limits()
        self.unknown_keys(value, LIMIT_KEYS, ("limits",))
        given = {}
        for key, name in LIMIT_KEYS.items():
            number = value.get(key)
            if number is None:
                continue
            if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= 1_000_000:
                self.fail(("limits", key), "bad-type", f"'{key}' is a whole number above 0")
            else:
                given[name] = number
        return Limits(**given)

    def project_file(self, text: str, key: Key) -> str:
        """An image named in paper.yaml: a file inside the project, and a usable picture."""
        if text:
            found = Resolver(self.root).project_file(text)
            if found is None:
                self.fail(key, "missing-file", f"{text} is not a file inside the project: "
                          "give its path from the project folder, e.g. images/cover.jpg")
            elif (problem := check_image(self.root / found, self.limit)):
                self.fail(key, "bad-image", f"image {text} {problem}")
        return text

    def citation_style(self, text: str) -> str:
        if not text or (STYLES / f"{text}.csl").is_file():
            return text or "chicago-author-date"
        shipped = ", ".join(sorted(p.stem for p in STYLES.glob("*.csl")))
        found = Resolver(self.root).project_file(text) if text.endswith(".csl") else None
        if not text.endswith(".csl"):
            self.fail(("citation-style",), "unknown-style",
                      f"'{text}' is not a citation style here: use one of {shipped}, "
                      "or the path of a .csl file inside the project")
        elif found is None:
            self.fail(("citation-style",), "unknown-style", f"the style file {text} is not a file inside "
                      f"the project: give its path from the project folder, or use one of {shipped}")
        elif (problem := csl_problem(self.root / found)):
            self.fail(("citation-style",), "bad-style", f"{text} {problem}")
        return text

    def choice(self, data: dict, name: str, allowed: tuple[str, ...]) -> str:
        value = self.text(data, name) or allowed[0]
        if value not in allowed:
            self.fail((name,), "bad-value", f"'{value}' is not allowed for {name}: use "
                      + " or ".join(allowed))
        return value

    def structure(self, data: dict) -> dict[str, Any]:
        """front-matter, chapters (with parts) and appendices; every file named once and existing."""
        front = self.text_list(data, "front-matter")
        appendices = self.text_list(data, "appendices")
        chapters: list[str] = []
        keys: dict[str, Key] = {}
        parts: list[Part] = []
        value = data.get("chapters") or []
        if not isinstance(value, list):
            self.fail(("chapters",), "bad-type", "'chapters' must be a list of chapter files, one per line")
            value = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                self.unknown_keys(item, PART_KEYS, ("chapters", i))
                title = self.text(item, "part", ("chapters", i), required=True)
                members = item.get("chapters")
                if not isinstance(members, list) or not members or any(isinstance(m, (dict, list))
                                                                        for m in members):
                    self.fail(("chapters", i), "bad-type", "a part needs 'chapters:' with its chapter "
                              "files, one per line")
                    continue
                parts.append(Part(title, tuple(str(m).strip() for m in members)))
                for j, name in enumerate(parts[-1].chapters):
                    chapters.append(name)
                    keys.setdefault(name, ("chapters", i, "chapters", j))
            elif isinstance(item, list):
                self.fail(("chapters", i), "bad-type", "each item of 'chapters' is a file name or a part")
            else:
                chapters.append(str(item).strip())
                keys.setdefault(chapters[-1], ("chapters", i))
        seen: set[str] = set()
        for key, names in (("front-matter", front), ("chapters", tuple(chapters)), ("appendices", appendices)):
            for i, name in enumerate(names):
                where = (key, i) if key != "chapters" else keys[name]
                if Resolver(self.root).project_file(f"chapters/{name}") is None:
                    self.fail(where, "missing-chapter",
                              f"chapters/{name} does not exist: correct the name or remove the line")
                if name in seen:
                    self.fail(where, "duplicate-chapter", f"{name} is listed twice in paper.yaml")
                seen.add(name)
        return {"front_matter": front, "chapters": tuple(chapters), "parts": tuple(parts),
                "appendices": appendices}

    def boxes(self, value: Any) -> tuple[tuple[str, str], ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.fail(("boxes",), "bad-type", "'boxes' maps a class to a kind, one per line, e.g. 'rmdnote: note'")
            return ()
        out = []
        for name, kind in value.items():
            if str(kind) not in BOX_KINDS:
                self.fail(("boxes", name), "bad-value", f"'{kind}' is not a kind of box: use "
                          + ", ".join(BOX_KINDS))
            else:
                out.append((str(name), str(kind)))
        return tuple(out)

    def ignore(self, codes: tuple[str, ...]) -> tuple[str, ...]:
        for i, code in enumerate(codes):
            if (why := why_not_ignorable(code)):
                self.fail(("ignore", i), "bad-value", why)
        return codes

    def lists(self, names: tuple[str, ...]) -> tuple[str, ...]:
        for i, name in enumerate(names):
            if name not in LISTS:
                self.fail(("lists", i), "bad-value", f"'{name}' is not a list the paper can print: "
                          "use figures, tables or boxes")
        return tuple(name for name in LISTS if name in names)

    def downloads(self, data: dict) -> tuple[str, ...]:
        if "downloads" not in data:
            return DEFAULT_DOWNLOADS
        names = self.text_list(data, "downloads")
        for i, name in enumerate(names):
            if name not in DOWNLOADS:
                self.fail(("downloads", i), "bad-value", f"'{name}' is not something the website can offer: "
                          f"use {', '.join(DOWNLOADS)}")
        return tuple(name for name in DOWNLOADS if name in names)

    def flag(self, data: dict, name: str, default: bool) -> bool:
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.fail((name,), "bad-type", f"'{name}' is true or false")
            return default
        return value

    def series(self, value: Any) -> Series | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(("series",), "bad-type", "'series' needs 'name:' and 'number:' on lines below it")
            return None
        self.unknown_keys(value, SERIES_KEYS, ("series",))
        issn = self.text(value, "issn", ("series",)).upper()
        if issn and not issn_ok(issn):
            self.fail(("series", "issn"), "bad-issn", f"'{issn}' is not a valid ISSN (form 2049-3630, and its "
                      "check digit must be right)")
        return Series(self.text(value, "name", ("series",), required=True),
                      self.text(value, "number", ("series",)), issn)

    def authors(self, value: Any, where: Key = (), name: str = "authors") -> tuple[Author, ...]:
        if not value or not isinstance(value, list):
            self.fail(where + (name,), "missing-key",
                      f"'{name}' is required: a list with at least one '- name: ...'")
            return ()
        authors = []
        for i, item in enumerate(value):
            key: Key = where + (name, i)
            if isinstance(item, str):
                authors.append(Author(item.strip()))
                continue
            if not isinstance(item, dict):
                self.fail(key, "bad-type", "each author is a name or a mapping with 'name:'")
                continue
            self.unknown_keys(item, AUTHOR_KEYS, key)
            orcid = self.text(item, "orcid", key)
            orcid = orcid.removeprefix("https://orcid.org/")
            if orcid and not (ORCID.match(orcid) and _orcid_checksum_ok(orcid)):
                self.fail(key + ("orcid",), "bad-orcid",
                          f"'{orcid}' is not a valid ORCID iD (form 0000-0002-1825-0097)")
            name = self.text(item, "name", key, required=True)
            family = self.text(item, "family-name", key)
            if family and not name.endswith(family):
                self.fail(key + ("family-name",), "bad-family-name",
                          f"the family name '{family}' must be the end of the name '{name}'")
            organization = item.get("organization", False)
            if not isinstance(organization, bool):
                self.fail(key + ("organization",), "bad-type", "'organization' is true or false")
            ror = self.text(item, "ror", key).lower()
            if ror and not ror_ok(ror):
                self.fail(key + ("ror",), "bad-ror", f"'{ror}' is not a ROR id: look the institution up on ror.org "
                          "and copy its address, e.g. https://ror.org/05dxps055")
            authors.append(Author(name, self.text(item, "affiliation", key), orcid, family,
                                  organization is True, ror_id(ror)))
        return tuple(authors)

    def date(self, value: Any) -> str:
        if value is None:
            self.fail(("date",), "missing-key", "'date' is required, e.g. 'date: 2012-12-10'")
            return ""
        if isinstance(value, (dt.date, dt.datetime)):
            return value.strftime("%Y-%m-%d")
        text = str(value).strip()
        ok = DATE.match(text)
        if ok:
            try:
                dt.date.fromisoformat((text + "-01-01")[:10])
            except ValueError:
                ok = None
        if not ok:
            self.fail(("date",), "bad-date", f"'{text}' is not a date: write YYYY-MM-DD, e.g. 2012-12-10")
        return text

    def language(self, value: Any) -> str:
        text = str(value).strip()
        if not LANGUAGE.match(text):
            self.fail(("language",), "bad-language",
                      f"'{text}' is not a BCP 47 language tag: use e.g. en, es or pt-BR")
        return text

    def doi(self, text: str, key: Key = ("doi",)) -> str:
        text = text.removeprefix("https://doi.org/")
        if text and not DOI.match(text):
            self.fail(key, "bad-doi", f"'{text}' is not a DOI: it starts with 10. and has a /")
        return text

    def funding(self, value: Any) -> tuple[Funding, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(("funding",), "bad-type", "'funding' is a list, each item with 'funder:' and, if known, "
                      "'funder-id:' and 'award:'")
            return ()
        found = []
        for i, item in enumerate(value):
            key: Key = ("funding", i)
            if not isinstance(item, dict):
                self.fail(key, "bad-type", "each funder is a mapping with 'funder:'")
                continue
            self.unknown_keys(item, FUNDING_KEYS, key)
            ident = self.text(item, "funder-id", key).removeprefix("https://doi.org/")
            if ident and not (FUNDER_DOI.match(ident) or ror_ok(ident)):
                self.fail(key + ("funder-id",), "bad-funder-id", f"'{ident}' is neither a Crossref Funder Registry "
                          "DOI (10.13039/501100000780) nor a ROR id (https://ror.org/05dxps055): look the funder "
                          "up at search.crossref.org/funding or ror.org")
            found.append(Funding(self.text(item, "funder", key, required=True), ident, self.text(item, "award", key)))
        return tuple(found)

    def jel(self, codes: tuple[str, ...]) -> tuple[str, ...]:
        for i, code in enumerate(codes):
            if not JEL.match(code):
                self.fail(("jel", i), "bad-value", f"'{code}' is not a JEL code: a capital letter and up to two "
                          "digits, e.g. H56 or O54")
        return codes

    def isbn(self, text: str) -> str:
        digits = text.replace("-", "").replace(" ", "")
        if text and not _isbn_ok(digits):
            self.fail(("isbn",), "bad-isbn", f"'{text}' is not a valid ISBN (check digit is wrong)")
        return text

    def slug(self, text: str) -> str:
        if text and not SLUG.match(text):
            self.fail(("slug",), "bad-slug",
                      f"'{text}' cannot be a file name: use lower-case letters, digits and '-'")
        return text


def first_language(data: dict) -> str:
    """Without 'language:', the first of 'languages:', else English."""
    languages = data.get("languages")
    return str(languages[0]) if isinstance(languages, list) and languages else "en"


def csl_problem(path: Path) -> str:
    """Why a CSL file cannot be used, or "". A dependent style names its parent by a link that
    citeproc would fetch: refused, since builds read nothing but the project's files."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            return "is too large for a citation style"
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError, ValueError):
        return "is not a CSL style (an XML file whose root is <style>)"
    if not root.tag.endswith("style"):
        return "is not a CSL style (an XML file whose root is <style>)"
    for link in root.iter("{http://purl.org/net/xbiblio/csl}link"):
        if link.get("rel") == "independent-parent":
            return ("is a dependent style, which takes its rules from another style by a link; builds "
                    "read nothing outside the project: use the parent style's own .csl file instead")
    return ""


def ror_ok(text: str) -> bool:
    """A ROR id's form and checksum (ISO 7064 mod 97-10 of its base-32 digits)."""
    match = ROR.match(text)
    if not match:
        return False
    ident = match.group(1)
    number = 0
    for char in ident[1:7]:
        number = number * 32 + CROCKFORD.index(char)
    return 98 - (number * 100) % 97 == int(ident[7:])


def ror_id(text: str) -> str:
    """The bare id of a valid ROR address (05dxps055), else nothing."""
    match = ROR.match(text)
    return match.group(1) if match and ror_ok(text) else ""


def issn_ok(issn: str) -> bool:
    """An ISSN's form and check digit (weights 8 to 2, modulo 11, X for 10)."""
    if not ISSN.match(issn):
        return False
    digits = issn.replace("-", "")
    total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return digits[7] == ("X" if check == 10 else str(check))


def _orcid_checksum_ok(orcid: str) -> bool:
    digits = orcid.replace("-", "")
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def _isbn_ok(digits: str) -> bool:
    if len(digits) == 13 and digits.isdigit():
        return sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10 == 0
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] in "Xx"):
        values = [int(d) for d in digits[:9]] + [10 if digits[9] in "Xx" else int(digits[9])]
        return sum((10 - i) * v for i, v in enumerate(values)) % 11 == 0
    return False


def markdown(keys: dict[str, Setting] | None = None) -> str:
    """The editors' reference's table of paper.yaml's keys (or of other `keys`), made from KEYS."""
    rows = [f"| `{name}` | {'yes ' if s.required else ''}| {s.meaning} |" for name, s in (keys or KEYS).items()]
    return "\n".join(["| Key | Required | Meaning |", "|---|---|---|", *rows])


if __name__ == "__main__":  # python -m paper.config: the table to paste into the reference
    print(markdown())
