"""Measure the typesetting of tagged PDFs: python bench/typography.py PDF [PDF …]

Prints, per PDF, what a typesetter checks first. It reads the PDF's tag tree (the PDFs this
tool writes are tagged), so that running text, headings, notes, tables and page furniture are
told apart by their tags, not guessed from the page:

- hyphenated line ends: lines of running text (paragraphs, list items, notes, table cells)
  ending in a hyphen, as a share of all such lines, and the longest run of them in a row;
- hyphens at the end of a line in a heading, a bibliography entry or a link;
- footnotes printed on another page than their call;
- short pages: the text stops more than three lines above the foot of the page, and the
  next page does not open with a chapter, a heading, a figure or a table;
- one-word last lines of paragraphs;
- tables that run onto a page without their header row.

Needs pdfplumber (pip install pdfplumber), which is not one of the tool's dependencies, and pypdf
(for the page labels: a page numbered in roman figures is front matter, designed short).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import pdfplumber
import pypdf

HYPHENS = "-\u2010\u00ad"
RUNNING = {"P", "LBody", "LI", "Note", "TD", "BlockQuote"}
HEADINGS = {"H1", "H2", "H3", "H4", "H5", "H6"}


@dataclass
class Line:
    page: int
    top: float
    bottom: float
    text: str
    chain: list[str]  # struct types from the root down
    owner: int  # id of the paragraph-like element the line belongs to
    end: list[str]  # struct types above the line's last character

    def kind(self) -> str:
        for tag in reversed(self.chain):
            if tag in HEADINGS:
                return "heading"
        if "Note" in self.chain:
            return "note"
        if "Table" in self.chain:
            return "table"
        return "text" if RUNNING & set(self.chain) else "other"


@dataclass
class Report:
    lines: int = 0
    hyphenated: int = 0
    longest_run: int = 0
    bad_hyphens: list[str] = field(default_factory=list)
    notes_away: list[str] = field(default_factory=list)
    short_pages: list[int] = field(default_factory=list)
    before_notes: list[int] = field(default_factory=list)  # short before a note too long to follow its call here
    runts: list[str] = field(default_factory=list)
    headless_tables: list[int] = field(default_factory=list)


def content_map(pdf) -> dict[tuple[int, int], tuple[list[str], list[int]]]:
    """(page, MCID) → the struct types above it and the ids of those elements."""
    found: dict[tuple[int, int], tuple[list[str], list[int]]] = {}

    def walk(element, chain, ids):
        chain, ids = chain + [element.get("type")], ids + [id(element)]
        for mcid in element.get("mcids") or []:
            found[(element.get("page_number"), mcid)] = (chain, ids)
        for child in element.get("children", []):
            walk(child, chain, ids)

    for root in pdf.structure_tree:
        walk(root, [], [])
    return found


def read_lines(pdf, where: dict[tuple[int, int], tuple[list[str], list[int]]]) -> list[Line]:
    lines = []
    for number, page in enumerate(pdf.pages, start=1):
        for line in page.extract_text_lines(return_chars=True, strip=True):
            marks = [(number, c["mcid"]) for c in line["chars"] if c.get("mcid") is not None]
            found = [where[m] for m in marks if m in where]
            if not found:
                continue  # page furniture: running heads, folios
            chain, ids = max(found, key=lambda f: len(f[0]))
            owner = next((ids[i] for i in range(len(chain) - 1, -1, -1)
                          if chain[i] in RUNNING | HEADINGS | {"Caption"}), ids[-1])
            lines.append(Line(number, line["top"], line["bottom"], line["text"], chain, owner,
                              found[-1][0]))
    return lines


def measure(path: str) -> Report:
    report = Report()
    with pdfplumber.open(path) as pdf:
        where = content_map(pdf)
        lines = read_lines(pdf, where)
        height = pdf.pages[0].height
        foot = height - 24 * 72 / 25.4  # the text area's foot (pdf.css: 24 mm margins)
        hyphen_ends(lines, report)
        runts(lines, report)
        calls = note_calls(pdf, where)
        short_pages(pdf, lines, report, foot, pypdf.PdfReader(path).page_labels, calls)
        tables(pdf, report)
        notes_away(lines, calls, report)
    return report


def hyphen_ends(lines: list[Line], report: Report) -> None:
    run = 0
    for line in lines:
        ends = line.text[-1:] in HYPHENS and len(line.text) > 1 and line.text[-2].isalpha()
        if line.kind() == "heading" or "Link" in line.end or is_bibliography(line):
            if ends:
                report.bad_hyphens.append(f"p. {line.page}: {line.text[-40:]}")
        if line.kind() not in ("text", "note", "table"):
            run = 0
            continue
        report.lines += 1
        if ends:
            report.hyphenated += 1
            run += 1
            report.longest_run = max(report.longest_run, run)
        else:
            run = 0


def is_bibliography(line: Line) -> bool:
    return line.chain[-3:-1] == ["LBody", "P"] and "L" in line.chain and "Div" in line.chain


def runts(lines: list[Line], report: Report) -> None:
    by_owner: dict[int, list[Line]] = {}
    for line in lines:
        if line.kind() == "text":
            by_owner.setdefault(line.owner, []).append(line)
    for group in by_owner.values():
        if len(group) > 1 and len(group[-1].text.split()) == 1:
            report.runts.append(f"p. {group[-1].page}: …{group[-2].text[-30:]} / {group[-1].text}")


LINE = 10.5 * 1.5
"""The body's line height in points (pdf.css: 10.5pt, line-height 1.5)."""


def short_pages(pdf, lines: list[Line], report: Report, foot: float, labels: list[str],
                calls: list[tuple[int, float, float]]) -> None:
    """The free space is measured from the foot of the last line's line box (or of the box
    drawn around it, such as a shaded Box) to the foot of the text area, or to the rule above
    the footnotes (pdf.css: 5 mm above it)."""
    pages = sorted({line.page for line in lines})
    for page, following in zip(pages, pages[1:], strict=False):
        body = [line for line in lines if line.page == page and line.kind() != "note"]
        if not body or "Figure" in body[-1].chain or body[-1].kind() == "other":
            continue
        last, drawn = body[-1], pdf.pages[page - 1]
        end = max([last.bottom + (LINE - 10.5) / 2]
                  + [r["bottom"] for r in drawn.rects if r["height"] > 2 and r["top"] <= last.top
                     and r["bottom"] >= last.bottom])
        top = notes_top(lines, page)
        rules = [r["top"] for r in drawn.rects + drawn.lines if end < r["top"] < top]  # the border above the notes
        bottom = min(rules or [top - 2.5 * 72 / 25.4]) - 5 * 72 / 25.4 if top < 10_000 else foot
        if bottom - end <= 3 * LINE:
            continue
        nexts = [line for line in lines if line.page == following]
        if not labels[page - 1].isdigit() or any(n.chain[-3:-2] == ["H1"] or "H1" in n.chain for n in nexts):
            continue  # a page of the front matter, or the end of a chapter
        if nexts and (nexts[0].kind() == "heading" or "Figure" in nexts[0].chain
                      or "Table" in nexts[0].chain or "Caption" in nexts[0].chain):
            continue  # before a chapter, a heading or a float: expected
        call = min((top for number, top, _x in calls if number == following), default=None)
        upto = [n for n in nexts if call is not None and n.kind() != "note" and n.top <= call + 2]
        if call is not None and len(upto) * LINE <= bottom - end + LINE:
            report.before_notes.append(page)  # the lines that would fill it call a note that would not fit
            continue
        report.short_pages.append(page)


def tables(pdf, report: Report) -> None:
    def walk(element, kind):
        if element.get("type") == kind:
            yield element
        for child in element.get("children", []):
            yield from walk(child, kind)

    def pages(element):
        found = {element["page_number"]} if element.get("mcids") else set()
        for child in element.get("children", []):
            found |= pages(child)
        return found

    for root in pdf.structure_tree:
        for table in walk(root, "Table"):
            heads = set().union(*[pages(th) for th in walk(table, "TH")])
            for page in sorted(pages(table))[1:]:
                if page not in heads:
                    report.headless_tables.append(page)


def notes_away(lines: list[Line], calls: list[tuple[int, float, float]], report: Report) -> None:
    """A note's first line starts with its number ("3. "); its call is a Reference: both
    counted in order."""
    notes = []
    for line in lines:
        if line.kind() == "note" and line.text[:1].isdigit() and ". " in line.text[:5]:
            notes.append(line.page)
    merged = group_digits(calls)
    for index, (call, note) in enumerate(zip(merged, notes, strict=False), start=1):
        if call != note:
            report.notes_away.append(f"note {index}: called on p. {call}, printed on p. {note}")
    if len(merged) != len(notes):
        report.notes_away.append(f"{len(merged)} calls but {len(notes)} notes found")


def note_calls(pdf, where: dict[tuple[int, int], tuple[list[str], list[int]]]) -> list[tuple[int, float, float]]:
    """Page, top and left of each digit of a footnote's call: tagged Reference (tagging.py), so
    that a superscript in a formula or a note's own number is not taken for one."""
    calls = []
    for number, page in enumerate(pdf.pages, start=1):
        for char in page.chars:
            chain = where.get((number, char.get("mcid")), ([], []))[0]
            if char["text"].isdigit() and "Reference" in chain and "Note" not in chain:
                calls.append((number, char["top"], char["x0"]))
    return calls


def notes_top(lines: list[Line], page: int) -> float:
    return min((line.top for line in lines if line.page == page and line.kind() == "note"),
               default=10_000)


def group_digits(calls: list[tuple[int, float, float]]) -> list[int]:
    """Pages of calls, digits of one number ("12") counted once."""
    pages, last = [], None
    for page, top, x in calls:
        if last and last[0] == page and abs(last[1] - top) < 1 and 0 < x - last[2] < 6:
            last = (page, top, x)
            continue
        pages.append(page)
        last = (page, top, x)
    return pages


def main(paths: list[str]) -> None:
    if not paths:
        sys.exit(__doc__)
    for path in paths:
        r = measure(path)
        share = 100 * r.hyphenated / max(r.lines, 1)
        print(f"{path}")
        print(f"  hyphenated line ends: {r.hyphenated} of {r.lines} lines ({share:.1f} %),"
              f" longest run {r.longest_run}")
        print(f"  hyphens in headings, bibliography, links: {len(r.bad_hyphens)}"
              + "".join(f"\n    {b}" for b in r.bad_hyphens[:5]))
        print(f"  footnotes away from their call: {len(r.notes_away)}"
              + "".join(f"\n    {n}" for n in r.notes_away[:5]))
        print(f"  short pages: {len(r.short_pages)} {r.short_pages}")
        print(f"  short before a note that would not fit under its call: {len(r.before_notes)} {r.before_notes}")
        print(f"  one-word last lines: {len(r.runts)}" + "".join(f"\n    {x}" for x in r.runts[:5]))
        print(f"  tables split without their header: {len(r.headless_tables)} {r.headless_tables}")


if __name__ == "__main__":
    main(sys.argv[1:])
