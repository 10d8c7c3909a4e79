"""references.bib -> CSL JSON, read with bibtexparser so pandoc never parses raw BibTeX."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import bibtexparser
from bibtexparser import middlewares as mw
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text

from .diagnostics import Diagnostic, error, warning
from .model import Reference

CSL_TYPES = {
    "article": "article-journal", "book": "book", "booklet": "pamphlet",
    "inbook": "chapter", "incollection": "chapter", "inproceedings": "paper-conference",
    "conference": "paper-conference", "proceedings": "book", "collection": "book",
    "manual": "report", "techreport": "report", "report": "report",
    "mastersthesis": "thesis", "phdthesis": "thesis", "thesis": "thesis",
    "unpublished": "manuscript", "online": "webpage", "electronic": "webpage", "www": "webpage",
    "misc": "document",
}
PLAIN_FIELDS = {
    "title": "title", "edition": "edition", "volume": "volume", "pages": "page",
    "publisher": "publisher", "address": "publisher-place", "location": "publisher-place",
    "url": "URL", "doi": "DOI", "isbn": "ISBN", "issn": "ISSN", "note": "note",
    "series": "collection-title", "type": "genre", "abstract": "abstract", "language": "language",
    "booktitle": "container-title", "journal": "container-title", "journaltitle": "container-title",
    "howpublished": "medium", "chapter": "chapter-number",
}
_LATEX = LatexNodes2Text()
# bibtexparser logs each problem it meets; they are reported here as diagnostics instead.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}


def load_bibliography(root: Path, name: str = "references.bib") -> tuple[list[Reference], list[Diagnostic]]:
    """Read the project's BibTeX file; return its entries as CSL JSON and every problem found."""
    path = Path(name)
    text = (root / name).read_text(encoding="utf-8-sig")
    library = bibtexparser.parse_string(text, append_middleware=[
        mw.SeparateCoAuthors(), mw.SplitNameParts(), mw.LatexDecodingMiddleware()])
    problems: list[Diagnostic] = []
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
    references = []
    for entry in library.entries:
        csl, entry_problems = to_csl(entry, path)
        problems.extend(entry_problems)
        references.append(Reference(entry.key, csl, entry.start_line + 1))
    return references, problems


def to_csl(entry: Entry, path: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
    """One BibTeX entry as a CSL JSON item."""
    line = entry.start_line + 1
    problems = []
    kind = entry.entry_type.lower()
    csl: dict[str, Any] = {"id": entry.key, "type": CSL_TYPES.get(kind, "document")}
    if kind not in CSL_TYPES:
        problems.append(warning(path, line, "unknown-entry-type",
                                f"@{entry.entry_type} is not a standard BibTeX type; treated as @misc"))
    fields = {f.key.lower(): f.value for f in entry.fields}
    for bib, target in PLAIN_FIELDS.items():
        value = fields.get(bib)
        if value and isinstance(value, str) and target not in csl:
            csl[target] = _clean(value)
    if "page" in csl:
        csl["page"] = re.sub(r"\s*-+\s*", "–", csl["page"])
    if kind in ("techreport", "report", "thesis", "phdthesis", "mastersthesis", "manual"):
        owner = fields.get("institution") or fields.get("school") or fields.get("organization")
        if owner and "publisher" not in csl:
            csl["publisher"] = _clean(owner)
        if fields.get("number"):
            csl["number"] = _clean(fields["number"])
    elif fields.get("number"):
        csl["issue"] = _clean(fields["number"])
    for role in ("author", "editor", "translator"):
        if isinstance(fields.get(role), list):
            csl[role] = [_name(n) for n in fields[role]]
    issued = _date(fields)
    if issued:
        csl["issued"] = issued
    if not csl.get("title"):
        problems.append(error(path, line, "missing-title",
                              f"entry '{entry.key}' has no title: add title = {{...}}"))
    if "issued" not in csl:
        problems.append(warning(path, line, "missing-year",
                                f"entry '{entry.key}' has no year: the reference will show 'n.d.'"))
    return csl, problems


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("{", "").replace("}", "")).strip()


def _name(parts) -> dict[str, str]:
    """A split BibTeX name as CSL; a name in braces ({World Bank}) stays whole."""
    def text(words: list[str]) -> str:
        return _clean(_LATEX.latex_to_text(" ".join(words)))

    if not parts.first and not parts.von:
        return {"literal": text(parts.last)}
    name = {"family": text(parts.last), "given": text(parts.first)}
    if parts.von:
        name["non-dropping-particle"] = text(parts.von)
    if parts.jr:
        name["suffix"] = text(parts.jr)
    return name


def _date(fields: dict[str, Any]) -> dict[str, Any] | None:
    raw = fields.get("date") or fields.get("year")
    if not raw:
        return None
    match = re.match(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", str(raw))
    if not match:
        return {"literal": _clean(str(raw))}
    parts = [int(p) for p in match.groups() if p]
    month = str(fields.get("month", "")).strip().lower()[:3]
    if len(parts) == 1 and month:
        number = MONTHS.get(month) or (int(month) if month.isdigit() else None)
        if number:
            parts.append(number)
    return {"date-parts": [parts]}
