"""Word manuscripts written the way Word writes them, with python-docx and the WordprocessingML
that python-docx has no call for (footnotes, tracked changes, fields), for the import and review
tests. Nothing here is made by pandoc, so the tests read a file the tool did not write."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PNG = base64.b64decode(  # an 8 x 8 grey square
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAAEUlEQVR4nGNsYIABJgYKmAwAEtYAUQz5eHMAAAAASUVORK5CYII=")

MUGGAH = {"id": "zotero-1", "type": "report",
          "title": "Researching the urban dilemma: urbanization, poverty and violence",
          "publisher": "International Development Research Centre", "publisher-place": "Ottawa",
          "author": [{"family": "Muggah", "given": "Robert"}], "issued": {"date-parts": [[2012]]}}
"""A real report (IDRC, 2012), as Zotero puts it in a citation field."""
UNDP = {"id": "zotero-2", "type": "book", "title": "Human Development Report 1994",
        "publisher": "Oxford University Press", "publisher-place": "New York",
        "author": [{"literal": "United Nations Development Programme"}], "issued": {"date-parts": [[1994]]}}
"""The same book as references.bib's undp1994 (the import merges it, and says so)."""

FOOTNOTES_XML = f'<w:footnotes {nsdecls("w")}>' + "".join(
    f'<w:footnote w:type="{kind}" w:id="{n}"><w:p><w:r><w:{tag}/></w:r></w:p></w:footnote>'
    for n, kind, tag in ((-1, "separator", "separator"), (0, "continuationSeparator", "continuationSeparator"))
) + "</w:footnotes>"


class Manuscript:
    """A Word document being written: headings, paragraphs and the extras Word puts in."""

    def __init__(self):
        self.doc = docx.Document()
        self.footnotes = None
        self.changes = 0
        self.bookmarks: dict[tuple[str, int], str] = {}

    def title_page(self, title: str, subtitle: str, author: str, abstract: str) -> None:
        """Word's Title and Subtitle styles, and the Author and Abstract styles pandoc reads."""
        self.doc.add_paragraph(title, style="Title")
        self.doc.add_paragraph(subtitle, style="Subtitle")
        for name, text in (("Author", author), ("Abstract", abstract)):
            if name not in [s.name for s in self.doc.styles]:
                self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            self.doc.add_paragraph(text, style=name)

    def heading(self, text: str, level: int = 1) -> None:
        self.doc.add_heading(text, level)

    def paragraph(self, text: str = "", style: str | None = None):
        return self.doc.add_paragraph(text, style)

    def footnote(self, paragraph, text: str, inserted: str = "") -> None:
        """A footnote at the end of `paragraph`, as Word writes one (with words added in it with
        Track Changes, if `inserted`)."""
        if self.footnotes is None:
            part = Part(PackURI("/word/footnotes.xml"),
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                        FOOTNOTES_XML.encode(), self.doc.part.package)
            self.doc.part.relate_to(part, RT.FOOTNOTES)
            self.footnotes = (part, parse_xml(FOOTNOTES_XML))
        part, root = self.footnotes
        number = len(root) - 1
        root.append(parse_xml(
            f'<w:footnote {nsdecls("w")} w:id="{number}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
            f'<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
            f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r>'
            + (f'<w:ins w:id="{800 + number}" w:author="M. Costa" w:date="2026-11-02T10:00:00Z"><w:r>'
               f'<w:t xml:space="preserve"> {inserted}</w:t></w:r></w:ins>' if inserted else "")
            + "</w:p></w:footnote>"))
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        paragraph._p.append(parse_xml(
            f'<w:r {nsdecls("w")}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
            f'<w:footnoteReference w:id="{number}"/></w:r>'))

    def image(self, name: str, description: str | None, caption: str | None = None) -> None:
        """A picture in a paragraph of its own, with Word's alt text (description) if given, and a
        numbered caption below it as Word's Insert Caption writes one."""
        self.doc.add_picture(io.BytesIO(PNG))
        drawing = self.doc.paragraphs[-1]._p.findall(".//" + qn("wp:docPr"))[-1]
        drawing.set("name", name)
        if description is not None:
            drawing.set("descr", description)
        if caption is not None:
            self.caption("Figure", caption)

    def caption(self, label: str, text: str):
        """'Figure 1: text' in the Caption style, the number a SEQ field, the label and number in a
        hidden bookmark (_Ref…) that Word's cross-references lead to."""
        number = 1 + sum(1 for p in self.doc.paragraphs if p.style.name == "Caption" and p.text.startswith(label))
        p = self.doc.add_paragraph(style="Caption")
        bookmark = f"_Ref{4711000 + len(self.bookmarks)}"
        p._p.append(parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="{number + 100}" w:name="{bookmark}"/>'))
        p.add_run(f"{label} ")
        p._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr=" SEQ {label} \\* ARABIC ">'
                              f"<w:r><w:t>{number}</w:t></w:r></w:fldSimple>"))
        p._p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{number + 100}"/>'))
        p.add_run(f": {text}")
        self.bookmarks[(label, number)] = bookmark
        return p

    def cross_reference(self, paragraph, label: str, number: int) -> None:
        """Word's Insert > Cross-reference to a caption: a REF field to its bookmark."""
        self.field(paragraph, f" REF {self.bookmarks[(label, number)]} \\h ", f"{label} {number}")

    def table(self, caption: str, rows: list[list[str]]) -> None:
        self.caption("Table", caption)
        table = self.doc.add_table(rows=len(rows), cols=len(rows[0]))
        for row, cells in zip(table.rows, rows, strict=True):
            for cell, text in zip(row.cells, cells, strict=True):
                cell.text = text

    def comment(self, paragraph, text: str, author: str = "J. Silva", initials: str = "JS") -> None:
        """A reviewer's comment on the whole of `paragraph` (python-docx's own call)."""
        self.doc.add_comment(paragraph.runs, text=text, author=author, initials=initials)

    def inserted(self, paragraph, text: str, author: str = "M. Costa") -> None:
        """Text added with Track Changes on."""
        self.changes += 1
        paragraph._p.append(parse_xml(
            f'<w:ins {nsdecls("w")} w:id="{900 + self.changes}" w:author="{author}" w:date="2026-11-02T10:00:00Z">'
            f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:ins>'))

    def deleted(self, paragraph, text: str, author: str = "M. Costa") -> None:
        """Text removed with Track Changes on."""
        self.changes += 1
        paragraph._p.append(parse_xml(
            f'<w:del {nsdecls("w")} w:id="{900 + self.changes}" w:author="{author}" w:date="2026-11-02T10:05:00Z">'
            f'<w:r><w:delText xml:space="preserve">{text}</w:delText></w:r></w:del>'))

    def zotero(self, paragraph, items: list[dict], shown: str) -> None:
        """A Zotero citation field (as the Zotero Word plug-in writes it) showing `shown`."""
        data = {"citationID": f"c{len(shown)}", "properties": {"formattedCitation": shown, "plainCitation": shown},
                "citationItems": [{"id": item["id"], "uris": [f"http://zotero.org/users/1/items/{item['id']}"],
                                   "itemData": item} for item in items],
                "schema": "https://github.com/citation-style-language/schema/raw/master/csl-citation.json"}
        self.field(paragraph, " ADDIN ZOTERO_ITEM CSL_CITATION " + json.dumps(data), shown)

    def mendeley(self, paragraph, item: dict, shown: str) -> None:
        """A Mendeley Cite field: CSL JSON too, under another name."""
        data = {"citationID": "MENDELEY_CITATION_1", "properties": {"noteIndex": 0},
                "citationItems": [{"id": item["id"], "itemData": item, "isTemporary": False}],
                "schema": "https://github.com/citation-style-language/schema/raw/master/csl-citation.json"}
        self.field(paragraph, " ADDIN CSL_CITATION " + json.dumps(data), shown)

    def endnote(self, paragraph, shown: str) -> None:
        """An EndNote field citing the IDRC report of MUGGAH, in EndNote's own XML."""
        record = ("<EndNote><Cite><Author>Muggah</Author><Year>2012</Year><RecNum>7</RecNum>"
                  f"<DisplayText>{shown}</DisplayText><record><rec-number>7</rec-number>"
                  '<ref-type name="Report">27</ref-type><contributors><authors><author>Muggah, Robert</author>'
                  f"</authors></contributors><titles><title>{MUGGAH['title']}</title></titles><dates>"
                  "<year>2012</year></dates><publisher>International Development Research Centre</publisher>"
                  "<pub-location>Ottawa</pub-location></record></Cite></EndNote>")
        self.field(paragraph, " ADDIN EN.CITE " + record, shown)

    def field(self, paragraph, instruction: str, shown: str) -> None:
        """A field as Word writes one: begin, the instruction, separate, what it shows, end."""
        runs = [f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="begin"/></w:r>',
                f'<w:r {nsdecls("w")}><w:instrText xml:space="preserve">{escape(instruction)}</w:instrText></w:r>',
                f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="separate"/></w:r>',
                f'<w:r {nsdecls("w")}><w:t xml:space="preserve">{escape(shown)}</w:t></w:r>',
                f'<w:r {nsdecls("w")}><w:fldChar w:fldCharType="end"/></w:r>']
        for run in runs:
            paragraph._p.append(parse_xml(run))

    def save(self, path: Path) -> Path:
        self.doc.save(path)
        return path


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sample(path: Path, comments: bool = True, changes: bool = True) -> Path:
    """The test manuscript: two chapters, a footnote, a table with a caption, a picture with and
    one without a description (the first with a caption), a Zotero citation and, as asked, a
    comment and two tracked changes."""
    m = Manuscript()
    m.heading("Citizen security in the region")
    first = m.paragraph("Violent crime rose across Latin America in the 2000s. ")
    m.zotero(first, [MUGGAH], "(Muggah 2012)")
    m.footnote(first, "Homicide rates are per 100,000 inhabitants.")
    m.heading("Why it matters", 2)
    second = m.paragraph("Human security puts people at the centre. ")
    m.zotero(second, [UNDP], "(UNDP 1994)")
    if changes:
        m.inserted(second, "It is a shared agenda.")
        m.deleted(second, " Nobody disputes this.")
    m.image("Chart", "A bar chart of homicide rates by country", "Homicide rates by country")
    m.heading("Local governance")
    third = m.paragraph("Municipalities run prevention programmes.")
    ahead = m.paragraph("As ")
    m.cross_reference(ahead, "Figure", 1)
    ahead.add_run(" shows, rates differ.")
    if comments:
        m.comment(third, "Source for this?")
    m.table("Budgets of three programmes", [["Programme", "Budget"], ["Fica Vivo", "US$ 1 m"],
                                            ["Pacto pela Vida", "US$ 2 m"]])
    m.image("Photo", None)
    m.paragraph("The end of the chapter.")
    return m.save(path)

