"""The Word copy for reviewers (`--format docx`) as Word and LibreOffice open it, and `paper
review` reading back what reviewers did to it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import docx
import pytest
from conftest import REPO, replace_in, set_keys
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from paper.cli import main
from paper.pipeline import BuildOptions, build, diagnose
from paper.renderers.docx import custom_properties, design
from paper.review import review


def paper_of(root: Path):
    paper, _problems = diagnose(root)
    return paper

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SOFFICE = shutil.which("soffice")


def word_copy(project: Path, **options) -> Path:
    result = build(project, options=BuildOptions(formats=("docx",), **options))
    [made] = [a.path for a in result.artifacts if a.format == "docx"]
    return made


def part(path: Path, name: str) -> ElementTree.Element:
    with zipfile.ZipFile(path) as archive:
        return ElementTree.fromstring(archive.read(name))


@pytest.fixture
def crossref(project: Path) -> Path:
    """The minimal project with a named figure that the second chapter refers to."""
    replace_in(project / "chapters" / "01-intro.md", "(../images/square.svg)", "(../images/square.svg){#fig:square}")
    replace_in(project / "chapters" / "02-findings.md", "Text citing", "As @fig:square shows, text citing")
    with (project / "chapters" / "02-findings.md").open("a") as chapter:
        chapter.write("\n\nThe relation $a^2 + b^2 = c^2$ holds, and @eq:energy too:\n\n$$ E = mc^2 $$ {#eq:energy}\n")
    return project


@pytest.mark.slow
def test_the_word_copy_has_the_papers_structure_and_design(crossref, tmp_path):
    path = word_copy(crossref)
    assert path.name == "minimal.docx"
    document = docx.Document(path)
    paragraphs = [(p.style.name, p.text.replace("\xa0", " ")) for p in document.paragraphs]
    # the title page and the contents field
    assert ("Title", "A Minimal Test Paper") in paragraphs and ("Subtitle", "Used by the test suite") in paragraphs
    assert ("Author", "Ana Souza") in paragraphs and ("Date", "4 May 2020") in paragraphs
    assert ("Abstract", "A short abstract for the tests.") in paragraphs
    body = part(path, "word/document.xml")
    fields = [t.text for t in body.iter(f"{W}instrText")]
    assert any(f.strip().startswith("TOC \\o") for f in fields)  # Word fills it in when the file opens
    # chapters with their numbers, as in the PDF; each starts a page (the Heading 1 style)
    headings = [text for style, text in paragraphs if style == "Heading 1"]
    assert headings[:2] == ["Chapter 1 Introduction to testing", "Chapter 2 Findings of the second chapter"]
    assert "References" in headings
    # captions numbered by chapter, the figure a bookmark, the cross-reference a link to it
    assert ("Image Caption", "Figure 1.1 A square used as a test figure") in paragraphs
    assert ("Table Caption", "Table 1.1 Countries in the test table") in paragraphs
    bookmarks = {b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")}
    assert "fig:square" in bookmarks
    links = {h.get(f"{W}anchor"): "".join(t.text or "" for t in h.iter(f"{W}t")) for h in body.iter(f"{W}hyperlink")}
    assert links["fig:square"].replace("\xa0", " ") == "Figure 1.1"
    assert any(anchor.startswith("ref-") for anchor in links)  # citations lead to their references
    # formulas as Word equations, numbered, and referred to
    math = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
    assert len(list(body.iter(f"{math}oMath"))) == 2 and "eq:energy" in bookmarks
    assert links["eq:energy"].replace("\xa0", " ") == "Equation 2.1" and ("Body Text", "(2.1)") in paragraphs
    # footnotes as Word's own, the drawing as a picture Word can show
    notes = "".join(t.text or "" for t in part(path, "word/footnotes.xml").iter(f"{W}t"))
    assert "A footnote in the first chapter." in notes and "A footnote in the second chapter." in notes
    with zipfile.ZipFile(path) as archive:
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
        assert media and all(n.endswith(".png") for n in media)
        assert archive.read(media[0])[:8] == b"\x89PNG\r\n\x1a\n"
    pictures = [d.get("descr") for d in body.iter("{http://schemas.openxmlformats.org/drawingml/2006/"
                                                  "wordprocessingDrawing}docPr")]
    assert pictures == ["A square used as a test figure"]
    # document properties
    properties = document.core_properties
    assert properties.title == "A Minimal Test Paper" and properties.author == "Ana Souza; Jorge Pérez"
    assert properties.language == "en" and properties.keywords == "testing, pipelines"
    # the paper's design in the styles: body font, heading font and accent colour
    styles = part(path, "word/styles.xml")
    default_fonts = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert default_fonts.get(f"{W}ascii") == "Noto Serif"
    heading = document.styles["Heading 1"]
    assert heading.font.name == "Noto Sans" and str(heading.font.color.rgb) == "0B4F6C"
    assert heading.paragraph_format.page_break_before
    # the same sources, the same bytes
    again = tmp_path / "again"
    result = build(crossref, again, BuildOptions(formats=("docx",), cache=False))
    assert next(a.path for a in result.artifacts).read_bytes() == path.read_bytes()


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None and not os.environ.get("CI"),  # CI installs it (.ci/run): there, never skipped
                    reason="LibreOffice is not installed: apt-get install libreoffice-writer-nogui")
def test_libreoffice_opens_the_word_copy_with_every_chapter(project, tmp_path):
    path = word_copy(project)
    assert SOFFICE is not None, "LibreOffice is not installed: apt-get install libreoffice-writer-nogui"
    result = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                             "--convert-to", "txt:Text", "--outdir", str(tmp_path), str(path)],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "minimal.txt").read_text(encoding="utf-8-sig")
    for title in ("Introduction to testing", "Findings of the second chapter", "References",
                  "Countries in the test table", "Frühling"):
        assert title in text


@pytest.mark.slow
def test_a_draft_copy_says_so_on_every_page_and_a_design_of_the_project_is_used(project):
    set_keys(project, version="0.9")
    path = word_copy(project, draft=True)
    with zipfile.ZipFile(path) as archive:
        headers = [n for n in archive.namelist() if n.startswith("word/") and "header" in archive.read(
            "[Content_Types].xml").decode() and n.endswith(".xml") and b"<w:hdr" in archive.read(n)]
        text = "".join(t.text or "" for n in headers for t in ElementTree.fromstring(archive.read(n)).iter(f"{W}t"))
    assert text == "DRAFT · version 0.9 · 4 May 2020"
    section = part(path, "word/document.xml").find(f".//{W}sectPr")
    assert section.find(f"{W}headerReference") is not None
    # the project's own design: its colour and fonts from its stylesheets, or a reference.docx of its own
    templates = project / "templates"
    templates.mkdir()
    (templates / "pdf.css").write_text((REPO / "paper" / "templates" / "pdf.css").read_text()
                                       .replace("--accent: #0b4f6c", "--accent: #8a1538"))
    assert design(templates)["accent"] == "8A1538"
    assert custom_properties(':root { --serif: "Source Serif", serif; --accent: #123456 }') == {
        "serif": "Source Serif", "accent": "#123456"}
    copy = docx.Document(word_copy(project))
    assert str(copy.styles["Heading 1"].font.color.rgb) == "8A1538"
    own = docx.Document()
    own.styles["Heading 1"].font.name = "Georgia"
    own.save(templates / "reference.docx")
    assert docx.Document(word_copy(project)).styles["Heading 1"].font.name == "Georgia"
    (templates / "reference.docx").write_text("not a Word file")
    with pytest.raises(Exception, match="not a Word file"):
        word_copy(project)


@pytest.mark.slow
def test_the_site_offers_the_word_copy_only_when_the_editor_asks(project):
    build(project, options=BuildOptions(formats=("docx", "html")))
    assert "minimal.docx" not in (project / "output" / "html" / "index.html").read_text()
    set_keys(project, downloads="[pdf, docx]")
    result = build(project, options=BuildOptions(formats=("html",)))
    assert {a.format for a in result.artifacts} == {"html", "pdf", "docx"}
    index = (project / "output" / "html" / "index.html").read_text()
    assert "downloads/minimal.docx" in index and "minimal.epub" not in index
    assert (project / "output" / "html" / "downloads" / "minimal.docx").is_file()
    set_keys(project, downloads="[pdf, word]")
    assert main(["check", "--project", str(project)]) == 1


@pytest.mark.slow
def test_every_edition_of_the_paper_gets_its_word_copy(tmp_path):
    root = tmp_path / "paper"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns("output", ".git", ".ci", "tests", "bench", "*.egg-info"))
    result = build(root, options=BuildOptions(formats=("docx",)))
    made = {a.path.name: a.path for a in result.artifacts}
    assert sorted(made) == ["governance-citizen-security-es.docx", "governance-citizen-security-pt-br.docx",
                            "governance-citizen-security.docx"]
    languages = {name: docx.Document(path).core_properties.language for name, path in made.items()}
    assert languages == {"governance-citizen-security.docx": "en", "governance-citizen-security-es.docx": "es",
                         "governance-citizen-security-pt-br.docx": "pt-BR"}
    english = docx.Document(made["governance-citizen-security.docx"])
    titles = [p.text.replace("\xa0", " ") for p in english.paragraphs if p.style.name == "Box Title"]
    assert titles[0] == "Box 2.1 The five objectives of the Brasília meeting"  # a box in a style of its own
    assert english.styles["Box Title"].font.bold and english.styles["Box"].base_style.name == "Body Text"
    spanish = docx.Document(made["governance-citizen-security-es.docx"])
    assert any(p.style.name == "Heading 1" and p.text.startswith("Capítulo 1") for p in spanish.paragraphs)
    # a reviewer of the Spanish copy: the remark is placed in the Spanish chapter
    opening = next(p for p in spanish.paragraphs if p.text.startswith("América Latina entra"))
    spanish.add_comment(opening.runs[:1], text="¿Fuente?", author="J. Silva", initials="JS")
    spanish.save(tmp_path / "revisado.docx")
    [remark] = review(paper_of(root), tmp_path / "revisado.docx")
    source = (root / "chapters" / "es" / "00-executive-summary.md").read_text().splitlines()
    assert (remark.path, remark.kind, remark.text) == ("chapters/es/00-executive-summary.md", "comment", "¿Fuente?")
    assert source[remark.line - 1].startswith("América Latina entra")


def commented(path: Path, target: Path) -> Path:
    """The Word copy as a reviewer returns it: a comment, an addition and a deletion."""
    document = docx.Document(path)
    for paragraph in document.paragraphs:
        if paragraph.text.startswith("Plain bookdown-style chapter"):
            document.add_comment(paragraph.runs[:3], text="Which style?", author="J. Silva", initials="JS")
        if paragraph.text.replace("\xa0", " ").startswith("As Figure 1.1 shows"):
            paragraph._p.append(parse_xml(
                f'<w:ins {nsdecls("w")} w:id="901" w:author="M. Costa" w:date="2026-11-02T10:00:00Z">'
                '<w:r><w:t xml:space="preserve"> A sentence more.</w:t></w:r></w:ins>'))
        if paragraph.style.name == "Heading 3" and paragraph.text.endswith("Detail"):
            runs = paragraph._p.findall(f"{W}r")
            deleted = parse_xml(f'<w:del {nsdecls("w")} w:id="902" w:author="M. Costa" '
                                'w:date="2026-11-02T10:05:00Z"/>')
            last = runs[-1]
            last.addprevious(deleted)
            deleted.append(last)
            for text in last.iter(f"{W}t"):
                text.tag = f"{W}delText"
    document.save(target)
    return target


@pytest.mark.slow
def test_review_puts_every_comment_and_change_at_its_chapter_and_line(crossref, tmp_path, capsys):
    reviewed = commented(word_copy(crossref), tmp_path / "reviewed.docx")
    capsys.readouterr()
    assert main(["review", str(reviewed), "--project", str(crossref)]) == 0
    out = capsys.readouterr().out.splitlines()
    second = str(crossref / "chapters" / "02-findings.md")
    first = str(crossref / "chapters" / "01-intro.md")
    lines = {line.split(": ", 1)[1]: line.split(": ", 1)[0] for line in out[:-1]}
    assert lines == {
        'comment by J. Silva: "Which style?" (on "Plain bookdown-style chapter with its title as the first he…")':
            f"{_shown(second)}:3",
        'added by M. Costa: "A sentence more." (on "As Figure 1.1 shows, text citing (United Nations Developmen…")':
            f"{_shown(second)}:7",
        'deleted by M. Costa: "Detail" (on "1.1.1 Detail")': f"{_shown(first)}:14",
    }
    assert out[-1].endswith("1 comment(s) and 2 change(s)")
    assert main(["review", str(reviewed), "--project", str(crossref), "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)["remarks"]
    assert [(r["path"], r["line"], r["kind"], r["author"]) for r in found] == [
        ("chapters/01-intro.md", 14, "deleted", "M. Costa"), ("chapters/02-findings.md", 3, "comment", "J. Silva"),
        ("chapters/02-findings.md", 7, "added", "M. Costa")]


def _shown(path: str) -> str:
    import os

    relative = os.path.relpath(path)
    return os.path.abspath(path) if relative.startswith("..") else relative


def test_review_refuses_a_word_file_that_is_not_the_papers(project, tmp_path, capsys):
    from wordfile import sample

    other = sample(tmp_path / "other.docx")
    assert main(["review", str(other), "--project", str(project)]) == 1
    assert "none of this Word file's headings is a chapter of this paper" in capsys.readouterr().err
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.7")
    assert main(["review", str(tmp_path / "notes.pdf"), "--project", str(project)]) == 1
    assert "give the Word copy" in capsys.readouterr().err
