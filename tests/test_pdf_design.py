"""The PDF as a publisher and an accessibility checker see it: fonts, tags, standards, layout."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pikepdf
import pypdf
import pytest
from conftest import Package, epubcheck, set_keys

from paper.cli import main
from paper.pipeline import BuildOptions, build
from paper.renderers.pdf import layout


def embedded_fonts(pdf: pikepdf.Pdf) -> set[str]:
    """BaseFont names of every font used, in pages and in the images (SVG) they draw."""
    names: set[str] = set()

    def walk(resources) -> None:
        for font in (resources.get("/Font") or {}).values():
            names.add(str(font.BaseFont))
        for xobject in (resources.get("/XObject") or {}).values():
            if "/Resources" in xobject:
                walk(xobject.Resources)

    for page in pdf.pages:
        walk(page.Resources)
    return names


def structure_elements(pdf: pikepdf.Pdf, kind: str) -> list[pikepdf.Dictionary]:
    found = []

    def walk(node) -> None:
        if isinstance(node, pikepdf.Array):
            for item in node:
                walk(item)
        elif isinstance(node, pikepdf.Dictionary):
            if node.get("/S") == pikepdf.Name("/" + kind):
                found.append(node)
            if "/K" in node:
                walk(node.K)

    walk(pdf.Root.StructTreeRoot)
    return found


@pytest.fixture(scope="module")
def pdf(minimal_output):
    with pikepdf.open(minimal_output / "minimal.pdf") as document:
        yield document


def test_only_the_shipped_fonts_are_embedded(pdf, paper_output):
    assert embedded_fonts(pdf)
    assert all(name.split("+")[-1].startswith("Paper-") for name in embedded_fonts(pdf))
    with pikepdf.open(paper_output / "governance-citizen-security.pdf") as paper:
        fonts = {name.split("+")[-1] for name in embedded_fonts(paper)}
    assert fonts == {"Paper-Serif", "Paper-Serif-Bold", "Paper-Serif-Italic", "Paper-Sans",
                     "Paper-Sans-Bold", "Paper-Sans-Italic"}


def test_tagged_pdf_ua(pdf):
    root = pdf.Root
    assert root.MarkInfo.Marked is True
    assert "/StructTreeRoot" in root
    assert str(root.Lang) == "en"
    assert root.ViewerPreferences.DisplayDocTitle is True
    assert str(pdf.docinfo.Title) == "A Minimal Test Paper: Used by the test suite"
    with pdf.open_metadata() as xmp:
        assert xmp.get("pdfuaid:part") == "1"
    figures = structure_elements(pdf, "Figure")
    assert figures and all(str(f.get("/Alt", "")).strip() for f in figures)


def test_outline_goes_three_levels_deep(minimal_output):
    reader = pypdf.PdfReader(minimal_output / "minimal.pdf")

    def depth(items) -> int:
        return max((depth(i) + 1 if isinstance(i, list) else 1 for i in items), default=0)

    assert depth(reader.outline) == 3  # chapter > Background > Detail


def test_archival_pdf_a(project):
    assert main(["build", "--project", str(project), "--format", "pdf", "--pdf-standard", "pdf/a-3b"]) == 0
    with pikepdf.open(project / "output" / "minimal.pdf") as pdf:
        with pdf.open_metadata() as xmp:
            assert (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) == ("3", "B")
        assert "/OutputIntents" in pdf.Root and "/StructTreeRoot" in pdf.Root


def test_draft_stamp_on_every_page(project):
    set_keys(project, version="0.3")
    build(project, options=BuildOptions(formats=("pdf",), draft=True))
    reader = pypdf.PdfReader(project / "output" / "minimal.pdf")
    for page in reader.pages[1:]:
        text = page.extract_text()
        assert "DRAFT 0.3 · 4 May 2020" in text and text.count("DRAFT") >= 2
    build(project, options=BuildOptions(formats=("pdf",)))
    assert "DRAFT" not in pypdf.PdfReader(project / "output" / "minimal.pdf").pages[5].extract_text()


def test_letter_paper_and_chapters_on_right_hand_pages(project):
    set_keys(project, page_size="Letter", chapter_start="right-hand-page")
    build(project, options=BuildOptions(formats=("pdf",)))
    reader = pypdf.PdfReader(project / "output" / "minimal.pdf")
    assert [float(v) for v in reader.pages[0].mediabox[2:]] == [612, 792]
    starts = [i for i, page in enumerate(reader.pages)
              if page.extract_text().lstrip().startswith(("CHAPTER 1", "CHAPTER 2", "References"))]
    assert len(starts) == 3 and all(i % 2 == 0 for i in starts)  # index 0, 2, 4… are right-hand pages
    assert reader.page_labels[starts[0]] == "1"


def test_cover_image_and_logos(project, tmp_path):
    from PIL import Image

    Image.new("RGB", (300, 200), "#0b4f6c").save(project / "images" / "cover.png")
    Image.new("RGB", (120, 60), "#b3261e").save(project / "images" / "academy-logo.png")
    set_keys(project, cover_image="images/cover.png", logos="[images/academy-logo.png]")
    build(project, options=BuildOptions(formats=("pdf", "epub", "html")))
    with pikepdf.open(project / "output" / "minimal.pdf") as pdf:
        assert len(pdf.pages[0].Resources.XObject) == 2  # the cover image and the logo
    (item,) = Package(project / "output" / "minimal.epub").items("cover-image")
    cover = item.get("href")
    with zipfile.ZipFile(project / "output" / "minimal.epub") as epub:
        image = next(name for name in epub.namelist() if name.endswith(cover))
        assert epub.read(image)[:8] == b"\x89PNG\r\n\x1a\n"
    assert (project / "output" / "html" / "assets" / "cover.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert epubcheck(project / "output" / "minimal.epub", tmp_path / "report.json") == []


def test_a_figure_without_description_warns_and_strict_fails(project, capsys):
    chapter = project / "chapters" / "01-intro.md"
    chapter.write_text(chapter.read_text().replace("![A square used as a test figure]", "![]"))
    assert main(["check", "--project", str(project)]) == 0
    assert "01-intro.md:16:1: warning: image ../images/square.svg has no description" in capsys.readouterr().out
    assert main(["build", "--project", str(project), "--strict"]) == 1
    assert "01-intro.md:16:1: error: image ../images/square.svg has no description" in capsys.readouterr().err


def test_pdf_ua_conditions_that_concern_tags(paper_output):
    """veraPDF cannot be installed here: these are the machine-checkable PDF/UA-1 conditions on
    the tag tree, checked over each edition's real PDF with pikepdf."""
    for path in sorted(paper_output.glob("*.pdf")):
        with pikepdf.open(path) as document:
            # table header cells say what they head: their column in the table's head
            for head in structure_elements(document, "THead"):
                for cell in (c for row in head.K for c in row.K if c.get("/S") == "/TH"):
                    assert cell.A.Scope == pikepdf.Name.Column, path.name
            assert structure_elements(document, "TH"), path.name
            assert all("/Scope" in th.A for th in structure_elements(document, "TH")), path.name
            # every figure has its description, every list item its body
            assert all(str(f.get("/Alt", "")).strip() for f in structure_elements(document, "Figure"))
            assert all(any(k.get("/S") == "/LBody" for k in li.K if isinstance(k, pikepdf.Dictionary))
                       for li in structure_elements(document, "LI")), path.name
            # links have a description (/Contents), as PDF/UA asks of every annotation
            for page in document.pages:
                for annotation in page.obj.get("/Annots", []):
                    if annotation.get("/Subtype") == "/Link":
                        assert str(annotation.get("/Contents", "")).strip(), (path.name, annotation.get("/A"))
            # headings go down one level at a time
            levels = [int(str(e.S)[2:]) for e in structure_elements_in_order(document)
                      if str(e.S) in ("/H1", "/H2", "/H3", "/H4", "/H5", "/H6")]
            assert levels and levels[0] == 1
            assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), path.name
            # footnotes are Notes with an ID of their own, never text in an untyped NonStruct
            notes = structure_elements(document, "Note")
            assert len(notes) == 9, path.name  # the paper's nine footnotes
            assert len({str(n.ID) for n in notes}) == len(notes), path.name
            # each stands just after the Reference that calls it, and begins with its number
            for note in notes:
                siblings = [k for k in note.P.K if isinstance(k, pikepdf.Dictionary)]
                before = siblings[[k.objgen for k in siblings].index(note.objgen) - 1]
                assert before.get("/S") == "/Reference", path.name
                assert note.K[0].get("/S") == "/Lbl", path.name
            # a passage in another language says so (the Portuguese programme names)
            if not path.stem.endswith("pt-br"):
                assert any(str(e.get("/Lang", "")) == "pt-BR"
                           for e in structure_elements_in_order(document)), path.name


def structure_elements_in_order(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element, in reading order (depth first)."""
    out: list[pikepdf.Dictionary] = []

    def walk(node) -> None:
        if isinstance(node, pikepdf.Array):
            for child in node:
                walk(child)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            out.append(node)
            if "/K" in node:
                walk(node.K)

    walk(pdf.Root.StructTreeRoot.K)
    return out


PAGE_CSS = """@page { size: 120mm 100mm; margin: 10mm; }
html { font: 10pt/20pt serif; orphans: 2; widows: 2; }
p, ul, li { margin: 0; } ul { padding-left: 5mm; }
.footnote { float: footnote; footnote-policy: line; font-size: 8pt; line-height: 10pt; }"""
"""Pages of eleven lines of 20pt, lines set one by one (<br>), and the paper's footnote rules."""


def laid_pages(body: str, tmp_path) -> list[str]:
    html = f"<html><head><style>{PAGE_CSS}</style></head><body>{body}</body></html>"
    written = layout(html, tmp_path, {}).write_pdf()
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(written)).pages]


def set_lines(count: int, word: str) -> str:
    return "<br>".join(f"{word} {i}" for i in range(count))


@pytest.mark.parametrize("before", range(1, 11))
def test_every_footnote_is_printed_on_the_page_of_its_call(before, tmp_path):
    """Without the second layout (renderers/pdf/refine.py), WeasyPrint moves the note to the
    next page in 10 of these 30 cases, to give the paragraph after it its two first lines."""
    for size in (1, 2, 3):
        note = " ".join(["NOTE"] + ["more words in the note"] * (size * 3))
        pages = laid_pages(f"<p>{set_lines(before, 'filler')}</p><p>{set_lines(2, 'lead')}<br>CALL"
                           f"<span class='footnote'>{note}</span></p><p>{set_lines(4, 'after')}</p>"
                           f"<p>{set_lines(12, 'tail')}</p>", tmp_path)
        called = next(text for text in pages if "CALL" in text)
        assert "NOTE" in called, (before, size)


@pytest.mark.parametrize("before", range(3, 11))
def test_a_list_kept_with_its_lead_in_leaves_no_page_short(before, tmp_path):
    """WeasyPrint keeps a list with the paragraph before it; where that would take the
    paragraph's end to the next page and leave this one more than three lines short
    (here after 5 and 6 lines), the list begins the next page instead."""
    items = "".join(f"<li>{set_lines(3, 'item')}</li>" for _ in range(4))
    pages = laid_pages(f"<p>{set_lines(before, 'filler')}</p><p>{set_lines(4, 'lead')}</p><ul>{items}</ul>", tmp_path)
    assert len(pages[0].splitlines()) >= 11 - 3, pages[0]


def test_the_papers_typesetting_meets_its_targets(paper_output):
    """bench/typography.py over the three editions, with the targets of bench/README.md: few
    hyphens and never two in a row more than twice, none in headings, names or links, every
    footnote on the page of its call, no short page but those it explains, no table split
    without its header."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import typography

    pdfs = sorted(paper_output.glob("*.pdf"))
    assert len(pdfs) == 3
    for path in pdfs:
        report = typography.measure(str(path))
        assert report.lines > 700 and report.hyphenated / report.lines <= 0.08, path.name
        assert report.longest_run <= 2, path.name
        assert (report.bad_hyphens, report.notes_away, report.short_pages, report.headless_tables) \
            == ([], [], [], []), path.name
        assert len(report.before_notes) <= 2, path.name
