"""references.bib -> CSL JSON, read with bibtexparser so pandoc never parses raw BibTeX.

bibtexparser splits the file into entries (with line numbers); this module does the rest
itself, because real exports need it: @string macros joined with '#', crossref chains
(cycles are an error), LaTeX accents, {protected} words, author lists that look broken.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import bibtexparser
from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text

from . import fastjson
from .cache import Cache
from .diagnostics import Diagnostic, SourceLocation, error, warning
from .model import Reference

# bibtexparser logs each problem it meets; they are reported here as diagnostics instead.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

CSL_TYPES = {
    "article": "article-journal", "book": "book", "mvbook": "book", "booklet": "pamphlet",
    "inbook": "chapter", "incollection": "chapter", "bookinbook": "chapter", "suppbook": "chapter",
    "inproceedings": "paper-conference", "conference": "paper-conference",
    "proceedings": "book", "mvproceedings": "book", "collection": "book", "mvcollection": "book",
    "reference": "book", "inreference": "entry-encyclopedia",
    "manual": "report", "techreport": "report", "report": "report",
    "mastersthesis": "thesis", "phdthesis": "thesis", "thesis": "thesis",
    "unpublished": "manuscript", "online": "webpage", "electronic": "webpage", "www": "webpage",
    "periodical": "periodical", "patent": "patent", "dataset": "dataset", "software": "software",
    "standard": "standard", "legislation": "legislation", "jurisdiction": "legal_case",
    "video": "motion_picture", "movie": "motion_picture", "audio": "song", "music": "song",
    "artwork": "graphic", "image": "graphic", "misc": "document", "generic": "document",
}
PLAIN_FIELDS = {
    "title": "title", "edition": "edition", "volume": "volume", "pages": "page",
    "publisher": "publisher", "address": "publisher-place", "location": "publisher-place",
    "url": "URL", "doi": "DOI", "isbn": "ISBN", "issn": "ISSN", "note": "note",
    "series": "collection-title", "type": "genre", "abstract": "abstract", "language": "language",
    "booktitle": "container-title", "journal": "container-title", "journaltitle": "container-title",
    "chapter": "chapter-number", "eventtitle": "event-title", "version": "version",
    "titleaddon": "", "subtitle": "", "howpublished": "",
}
TITLE_FIELDS = {"title", "booktitle", "journal", "journaltitle", "series", "eventtitle"}
VERBATIM_FIELDS = {"url", "doi", "isbn", "issn", "file", "eprint", "urldate", "langid"}
NAME_FIELDS = ("author", "editor", "translator")
MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
# What a citation style needs of each kind of entry: alternatives within a tuple.
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "article": [("author",), ("journal", "journaltitle"), ("year", "date")],
    "book": [("author", "editor"), ("publisher",), ("year", "date")],
    "incollection": [("author",), ("booktitle",), ("publisher",), ("year", "date")],
    "inbook": [("author", "editor"), ("publisher",), ("year", "date")],
    "inproceedings": [("author",), ("booktitle",), ("year", "date")],
    "techreport": [("institution", "publisher"), ("year", "date")],
    "report": [("institution", "publisher"), ("year", "date")],
    "phdthesis": [("author",), ("school", "institution"), ("year", "date")],
    "mastersthesis": [("author",), ("school", "institution"), ("year", "date")],
    "thesis": [("author",), ("school", "institution"), ("year", "date")],
    "online": [("url",)],
    "unpublished": [("author",)],
}
LANGUAGES = {"english": "en-US", "american": "en-US", "british": "en-GB", "ukenglish": "en-GB",
             "usenglish": "en-US", "spanish": "es-ES", "portuguese": "pt-PT", "brazil": "pt-BR",
             "brazilian": "pt-BR", "french": "fr-FR", "german": "de-DE", "ngerman": "de-DE",
             "italian": "it-IT", "dutch": "nl-NL", "catalan": "ca-ES"}
"""biblatex's langid -> the CSL language, which keeps citeproc from title-casing other languages."""
THESIS_GENRES = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis"}
EPRINT_URLS = {"arxiv": "https://arxiv.org/abs/", "pubmed": "https://pubmed.ncbi.nlm.nih.gov/",
               "hdl": "https://hdl.handle.net/"}
NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "junior", "filho", "neto", "sobrinho"}
GLUED_AND = re.compile(r"\band(?=[A-Z])|(?<=[.,])and\b")
ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
           "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
           "c": "\u0327", "k": "\u0328", "r": "\u030a"}
ACCENT = re.compile(r"\\(?P<command>['`^\"~=.]|[uvHckr](?=[\s{]))\s*"
                    r"(?:\{(?P<braced>\\?[A-Za-z])\}|(?P<bare>\\?[A-Za-z]))")
COMPLEX_LATEX = re.compile(r"[\\$%]")
PROTECT_OPEN, PROTECT_CLOSE = "\ue000", "\ue001"
MARKUP = {PROTECT_OPEN: '<span class="nocase">', PROTECT_CLOSE: "</span>", "\ue002": "<sub>", "\ue003": "</sub>",
          "\ue004": "<sup>", "\ue005": "</sup>"}
SCRIPTS = re.compile(r"(?:\$(_|\^)(?:\{([^{}$]*)\}|([^{}$]))\$|(\\textsubscript|\\textsuperscript)\{([^{}]*)\})")
_LATEX = LatexNodes2Text()


@dataclass
class _Raw:
    """One entry as written: type, key, fields (lower-case names) with their lines."""

    kind: str
    key: str
    line: int
    fields: dict[str, str]
    field_lines: dict[str, int]


MAX_BIB_BYTES = 50_000_000
MAX_FIELD = 100_000
"""Characters of one field once its @string macros are expanded: macros that repeat each other
(a = x # x, b = a # a, …) would otherwise double at every line."""


def load_bibliography(root: Path, name: str = "references.bib", cited: set[str] | None = None,
                      cache: Cache | None = None) -> tuple[list[Reference], list[Diagnostic]]:
    """Read the project's BibTeX file; return its entries as CSL JSON and every problem found.
    Given the keys the chapters cite, problems that cannot touch the printed references are
    warnings (see lenient). What a file gives is kept in `cache` by its bytes: a library
    exported whole (thousands of entries) takes a second to read, on every rebuild."""
    path = Path(name)
    if (root / name).stat().st_size > MAX_BIB_BYTES:
        return [], [error(path, 0, "bibliography-too-large", f"{name} is over {MAX_BIB_BYTES // 1_000_000} MB, "
                          "more than any paper's bibliography: check that it is the right file")]
    data = (root / name).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return [], [error(path, line, "not-utf8", "this line is not UTF-8 text: save the file as "
                          "UTF-8 (in JabRef: File > Save with encoding UTF-8)")]
    key = Cache.key("bibliography", name, data) if cache else ""
    if cache and (stored := cache.get(key)) is not None:
        kept = fastjson.loads(stored)
        references = [Reference(*item) for item in kept["references"]]
        problems = [Diagnostic(SourceLocation(Path(where), line, column), level, code, message)
                    for where, line, column, level, code, message in kept["problems"]]
        duplicates = {int(line): block for line, block in kept["duplicates"].items()}
    else:
        references, problems, duplicates = parsed(text, path)
        if cache:
            cache.put(key, fastjson.dumpb({
                "references": [[r.key, r.csl, r.line] for r in references],
                "problems": [[str(d.location.path), d.location.line, d.location.column, d.level, d.code, d.message]
                             for d in problems],
                "duplicates": {str(line): block for line, block in duplicates.items()}}))
    if cited is not None:
        problems = lenient(problems, references, cited, path, duplicates)
    return references, problems


def parsed(text: str, path: Path) -> tuple[list[Reference], list[Diagnostic], dict[int, str]]:
    """The entries of a BibTeX file as CSL JSON, the problems found, and the keys defined twice
    (by the line of the second)."""
    library = bibtexparser.parse_string(text.replace("\r\n", "\n"), parse_stack=[])
    problems = _failed_blocks(library, path)
    macros = _string_macros(library, path, problems)
    raws: dict[str, _Raw] = {}
    seen_folded: dict[str, str] = {}
    for entry in library.entries:
        raw = _raw_entry(entry, macros, path, problems)
        folded = entry.key.lower()
        if folded in seen_folded and seen_folded[folded] != entry.key:
            problems.append(warning(path, raw.line, "key-case",
                                    f"the key '{entry.key}' differs from '{seen_folded[folded]}' only "
                                    "by upper/lower case: they are two entries, but easily cited one for the "
                                    "other; consider renaming one"))
        seen_folded.setdefault(folded, entry.key)
        raws[entry.key] = raw
    _resolve_crossrefs(raws, path, problems)
    references = []
    for raw in raws.values():
        csl = to_csl(raw, path, problems)
        references.append(Reference(raw.key, csl, raw.line))
    duplicates = {(block.start_line or 0) + 1: block.key for block in library.failed_blocks
                  if isinstance(block, DuplicateBlockKeyBlock)}
    return references, problems, duplicates


def lenient(problems: list[Diagnostic], references: list[Reference], cited: set[str],
            path: Path, duplicates: dict[int, str]) -> list[Diagnostic]:
    """Errors in entries that no chapter cites become warnings: a .bib exported from a
    reference manager holds far more than the paper uses, and what is not cited is not printed.
    An entry that cannot be read is left out (a citation of it is reported where it is cited);
    a second entry with a key the chapters cite stays an error, since nobody can tell which
    of the two the author meant."""
    starts = sorted((ref.line, ref.key) for ref in references)
    lines = [line for line, _key in starts]
    out = []
    for problem in problems:
        line = problem.location.line
        if problem.level != "error" or problem.location.path != path or not line:
            out.append(problem)
            continue
        if problem.code == "duplicate-citation-key":
            owner = duplicates.get(line, "")
        else:
            owner = starts[bisect.bisect_right(lines, line) - 1][1] if lines and line >= lines[0] else ""
        left_out = problem.code in ("bibtex-syntax", "duplicate-citation-key")
        if problem.code == "bibtex-syntax" or (owner not in cited and problem.code not in
                                                ("field-too-long", "crossref-cycle")):
            kept = ("it is left out of the bibliography" if left_out
                    else f"'{owner}' is not cited, so nothing is printed")
            out.append(replace(problem, level="warning", message=f"{problem.message} ({kept})"))
        else:
            out.append(problem)
    return out


def _failed_blocks(library, path: Path) -> list[Diagnostic]:
    problems = []
    for block in library.failed_blocks:
        line = block.start_line + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(error(path, line, "duplicate-citation-key",
                                  f"the key '{block.key}' is used by two entries: rename one of them"))
        elif isinstance(block, ParsingFailedBlock):
            reason = (str(block.error or "").strip().splitlines() or ["syntax error"])[-1].strip()
            problems.append(error(path, line, "bibtex-syntax",
                                  f"this entry cannot be read ({reason}); check its braces, "
                                  "quotes and the commas between fields"))
    return problems


def _string_macros(library, path: Path, problems: list[Diagnostic]) -> dict[str, str]:
    """@string definitions, each resolved against those before it."""
    macros = {name: name.capitalize() for name in
              ("january february march april may june july august september october "
               "november december").split()}
    macros.update({m: full for m, full in zip(MONTHS, list(macros.values()), strict=True)})
    for block in library.strings:
        macros[block.key.lower()] = _value(block.value, macros, path, block.start_line + 1, problems)
    return macros


def _value(raw: str, macros: dict[str, str], path: Path, line: int,
           problems: list[Diagnostic]) -> str:
    """A field as written ({...}, "...", 2012, macro, or parts joined with #) as one string."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(raw):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    out = []
    for part in (p.strip() for p in parts):
        if len(part) >= 2 and (part[0], part[-1]) in (("{", "}"), ('"', '"')):
            out.append(part[1:-1])
        elif part.isdigit() or not part:
            out.append(part)
        elif part.lower() in macros:
            out.append(macros[part.lower()])
        else:
            problems.append(warning(path, line, "undefined-string",
                                    f"'{part}' is neither in braces nor a defined @string: "
                                    f"write {{{part}}} if it is meant as text"))
            out.append(part)
        if sum(map(len, out)) > MAX_FIELD:
            if any(p.code == "field-too-long" for p in problems):  # once: each macro after it is too long too
                return "".join(out)[:MAX_FIELD]
            problems.append(error(path, line, "field-too-long",
                                  f"this value is longer than {MAX_FIELD:,} characters once its @string "
                                  "macros are put in: check that the macros do not repeat each other"))
            return "".join(out)[:MAX_FIELD]
    return "".join(out)


def _raw_entry(entry: Entry, macros: dict[str, str], path: Path,
               problems: list[Diagnostic]) -> _Raw:
    fields: dict[str, str] = {}
    lines: dict[str, int] = {}
    for field in entry.fields:
        name = field.key.lower()
        line = (field.start_line or entry.start_line or 0) + 1
        fields[name] = _value(str(field.value), macros, path, line, problems)
        lines[name] = line
    return _Raw(entry.entry_type.lower(), entry.key, (entry.start_line or 0) + 1, fields, lines)


def _resolve_crossrefs(raws: dict[str, _Raw], path: Path, problems: list[Diagnostic]) -> None:
    """Fill each entry's missing fields from the entry it cross-references (BibTeX rules).

    Chains are followed to the end; a cycle is reported once and never followed again.
    """
    by_folded_key = {key.lower(): raw for key, raw in raws.items()}
    done: set[str] = set()

    def resolve(raw: _Raw, chain: list[str]) -> None:
        if raw.key in done:
            return
        chain = [*chain, raw.key]
        target = raw.fields.get("crossref", "").strip()
        if target:
            parent = by_folded_key.get(target.lower())
            if parent is None:
                problems.append(warning(path, raw.field_lines["crossref"], "unknown-crossref",
                                        f"crossref '{target}' is not in the file: the entry is "
                                        "used without the fields it would inherit"))
            elif parent.key in chain:
                cycle = " → ".join([*chain[chain.index(parent.key):], parent.key])
                problems.append(error(path, raw.field_lines["crossref"], "crossref-cycle",
                                      f"crossref entries refer to each other in a circle ({cycle}): "
                                      "remove one of the crossref fields"))
            else:
                resolve(parent, chain)
                _inherit(raw, parent)
        done.add(raw.key)

    for raw in raws.values():
        resolve(raw, [])


def _inherit(child: _Raw, parent: _Raw) -> None:
    container = "booktitle" if "booktitle" in parent.fields else "title"
    if (child.kind in ("incollection", "inproceedings", "inbook")
            and "booktitle" not in child.fields and container in parent.fields):
        child.fields["booktitle"] = parent.fields[container]
        child.field_lines["booktitle"] = parent.field_lines[container]
    for name, value in parent.fields.items():
        if name not in child.fields and name not in ("crossref", "ids", "title"):
            child.fields[name] = value
            child.field_lines[name] = parent.field_lines[name]


def to_csl(raw: _Raw, path: Path, problems: list[Diagnostic]) -> dict[str, Any]:
    """One entry as a CSL JSON item."""
    csl: dict[str, Any] = {"id": raw.key, "type": CSL_TYPES.get(raw.kind, "document")}
    if raw.kind not in CSL_TYPES:
        problems.append(warning(path, raw.line, "unknown-entry-type",
                                f"@{raw.kind} is not a BibTeX or biblatex type; treated as @misc"))
    fields = raw.fields
    for bib, target in PLAIN_FIELDS.items():
        if target and fields.get(bib) and target not in csl:
            csl[target] = decode(fields[bib], bib)
    if "title" in csl and (fields.get("subtitle") or fields.get("titleaddon")):
        # biblatex keeps them apart; printed references join them, as pandoc does
        csl["title-short"] = csl["title"]
        if fields.get("subtitle"):
            csl["title"] += ": " + decode(fields["subtitle"], "title")
        if fields.get("titleaddon"):
            csl["title"] += ". " + decode(fields["titleaddon"], "title")
    if "URL" in csl:
        csl["URL"] = verbatim_url(csl["URL"])
    if fields.get("langid") and "language" not in csl:
        csl["language"] = LANGUAGES.get(fields["langid"].strip().lower(), fields["langid"].strip())
    if fields.get("eprint") and fields.get("eprinttype", "").lower() in EPRINT_URLS and "URL" not in csl:
        csl["URL"] = EPRINT_URLS[fields["eprinttype"].lower()] + fields["eprint"].strip()
    if raw.kind in THESIS_GENRES and "genre" not in csl:
        csl["genre"] = THESIS_GENRES[raw.kind]
    elif csl.get("genre") in THESIS_GENRES:
        csl["genre"] = THESIS_GENRES[csl["genre"]]
    for bib, target in (("urldate", "accessed"), ("origdate", "original-date"), ("eventdate", "event-date")):
        if fields.get(bib) and (found := _date({"date": fields[bib]})):
            csl[target] = found
    if "page" in csl:
        csl["page"] = re.sub(r"\s*[-–]+\s*", "–", csl["page"])
    owner = fields.get("institution") or fields.get("school") or fields.get("organization")
    if owner and "publisher" not in csl:  # on a @report, a @misc or an @online: who issued it
        csl["publisher"] = decode(owner, "institution")
    if fields.get("howpublished"):
        how = decode(fields["howpublished"], "howpublished")
        if how.startswith(("http://", "https://")):
            csl.setdefault("URL", verbatim_url(fields["howpublished"]))
        else:
            csl["publisher"] = f"{csl['publisher']}; {how}" if csl.get("publisher") else how
    if raw.kind in ("techreport", "report", "thesis", "phdthesis", "mastersthesis", "manual"):
        if fields.get("number"):
            csl["number"] = decode(fields["number"], "number")
    elif fields.get("number"):
        csl["issue"] = decode(fields["number"], "number")
    for role in NAME_FIELDS:
        if fields.get(role):
            csl[role] = names(fields[role], path, raw.field_lines[role], problems)
    issued = _date(fields)
    if issued:
        csl["issued"] = issued
    _check_required(raw, path, problems)
    return csl


@functools.lru_cache(maxsize=65536)
def decode(text: str, field: str = "") -> str:
    """LaTeX to Unicode text; in titles, {Protected Words} become CSL 'nocase' spans.

    Accents ({\\'e}, \\c{c}) and dashes are converted here; anything else that is LaTeX
    goes to pylatexenc, which is thorough but slow.
    """
    if field in VERBATIM_FIELDS:
        return text.strip()
    if field in TITLE_FIELDS:
        text = _mark_protected(SCRIPTS.sub(_script, text))
    text = ACCENT.sub(_accent, text)
    if COMPLEX_LATEX.search(text):
        text = _LATEX.latex_to_text(re.sub(r"(?<!\\)%", r"\\%", text))
    else:
        text = text.replace("{", "").replace("}", "").replace("~", "\u00a0")
        for latex, char in (("---", "—"), ("--", "–"), ("``", "“"), ("''", "”")):
            text = text.replace(latex, char)
    text = unicodedata.normalize("NFC", re.sub(r"\s+", " ", text).strip())
    if field not in TITLE_FIELDS:
        return text
    for marker, tag in MARKUP.items():
        text = text.replace(marker, tag)
    return text


def _script(match: re.Match) -> str:
    """Cu$_2$O, H\\textsubscript{2}O: the sub- or superscript marked, for CSL's <sub> and <sup>."""
    body = next((group for group in (match.group(2), match.group(3), match.group(5)) if group is not None), "")
    low = (match.group(1) or match.group(4)) in ("_", "\\textsubscript")
    return ("\ue002" if low else "\ue004") + body + ("\ue003" if low else "\ue005")


def _accent(match: re.Match) -> str:
    letter = (match.group("braced") or match.group("bare")).lstrip("\\")  # \\i is a dotless i
    return letter + ACCENTS[match.group("command")]


def _mark_protected(text: str) -> str:
    """Mark brace groups that protect capitals ({Latin America}), but not accent groups ({\\'e})."""
    out: list[str] = []
    protected: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            out.append(text[i:i + 2])
            i += 2
            continue
        if ch == "{":
            protected.append(not protected and text[i + 1:i + 2] != "\\")
            out.append(PROTECT_OPEN + "{" if protected[-1] else "{")
        elif ch == "}" and protected:
            out.append("}" + PROTECT_CLOSE if protected.pop() else "}")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def names(text: str, path: Path, line: int, problems: list[Diagnostic]) -> list[dict[str, str]]:
    """An author list ('A and B and {Org}') as CSL names, with warnings for lists that look broken."""
    out = []
    semicolons = ";" in text and " and " not in text
    if semicolons:
        problems.append(warning(path, line, "broken-names",
                                "these names are separated by ';': in BibTeX, separate people "
                                "with 'and'"))
    for name in split_multiple_persons_names(text):
        try:
            parts = parse_single_name_into_parts(name)
        except InvalidNameError:
            problems.append(error(path, line, "broken-names",
                                  f"'{name}' cannot be read as a name (too many commas): write "
                                  "'Family, Given' and put ' and ' between people"))
            continue
        problem = ""
        if GLUED_AND.search(name) or name.lower().startswith("and ") or not name.strip():
            problem = "looks like two names run together: put ' and ' (with spaces) between people"
        elif parts.jr and " ".join(parts.jr).lower() not in NAME_SUFFIXES:
            problem = "has three parts separated by commas: if it is two people, put ' and ' between them"
        elif not parts.first and not parts.von and "," in name and " and " in name:
            problem = "is one name in braces but looks like a list of people: remove the outer braces"
        if problem and not semicolons:
            problems.append(warning(path, line, "broken-names", f"'{name}' {problem}"))
        out.append(_csl_name(parts))
    return out


def verbatim_url(text: str) -> str:
    """A URL as written in BibTeX (\\url{…}, \\_ and \\% escaped) as the address itself."""
    text = text.strip()
    for command in ("\\url{", "\\href{"):
        if text.startswith(command) and "}" in text:
            text = text[len(command):text.index("}")]
    for char in "_%&#$~":
        text = text.replace("\\" + char, char)
    return text.strip("{} ")


def _csl_name(parts) -> dict[str, str]:
    """A split BibTeX name as CSL; a name in braces ({World Bank}) stays whole."""
    if not parts.first and not parts.von:
        return {"literal": decode(" ".join(parts.last))}
    von = " ".join(parts.von)
    if von and von[:1].isupper():  # "Hoces de la Guardia, Fernando": one family name, as BibTeX reads it
        parts.last, parts.von = [*parts.von, *parts.last], []
    name = {"family": decode(" ".join(parts.last)), "given": decode(" ".join(parts.first))}
    if parts.von:
        name["non-dropping-particle"] = decode(" ".join(parts.von))
    if parts.jr:
        name["suffix"] = decode(" ".join(parts.jr))
    return name


def _date(fields: dict[str, str]) -> dict[str, Any] | None:
    raw = fields.get("date") or fields.get("year")
    if not raw:
        return None
    ends = str(raw).split("/")
    match = re.match(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", ends[0])
    if not match:
        return {"literal": decode(str(raw))}
    parts = [int(p) for p in match.groups() if p]
    end = re.match(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*$", ends[1]) if len(ends) == 2 else None
    if end:  # a range, 2010/2012
        return {"date-parts": [parts, [int(p) for p in end.groups() if p]]}
    month = str(fields.get("month", "")).strip().lower()[:3]
    if len(parts) == 1 and month:
        number = MONTHS.get(month) or (int(month) if month.isdigit() else None)
        if number:
            parts.append(number)
    return {"date-parts": [parts]}


def _check_required(raw: _Raw, path: Path, problems: list[Diagnostic]) -> None:
    if not raw.fields.get("title"):
        problems.append(warning(path, raw.line, "missing-title",
                                f"entry '{raw.key}' has no title: it is printed with its authors, date and "
                                "publisher only; add title = {...}"))
    for alternatives in REQUIRED.get(raw.kind, [("year", "date")]):
        if any(raw.fields.get(f) for f in alternatives):
            continue
        wanted = " or ".join(alternatives)
        problems.append(warning(path, raw.line, "missing-field",
                                f"@{raw.kind} '{raw.key}' has no {wanted}: the reference will be "
                                "incomplete in the bibliography"))
