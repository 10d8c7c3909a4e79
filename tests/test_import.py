"""`paper import`: a Word manuscript, written in the test as Word writes one, into chapters,
images and references; its tracked changes and comments never taken silently; an import again
never losing an edit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from conftest import REPO, epubcheck, outputs
from pypdf import PdfReader
from wordfile import MUGGAH, Manuscript, sample

from paper.cli import main
from paper.errors import UserError
from paper.pipeline import FORMATS, BuildOptions, build
from paper.wordimport import RECORD, import_manuscript


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """A new paper with no chapters yet, and the repository's bibliography (which has undp1994)."""
    assert main(["new", str(tmp_path / "paper")]) == 0
    root = tmp_path / "paper"
    for chapter in (root / "chapters").iterdir():
        chapter.unlink()
    shutil.copyfile(REPO / "references.bib", root / "references.bib")
    return root


def codes(exc: pytest.ExceptionInfo) -> list[tuple[str, int, str]]:
    return [(d.code, d.location.line, d.message) for d in exc.value.diagnostics]


def test_tracked_changes_and_comments_stop_the_import_with_their_place(empty, tmp_path):
    manuscript = sample(tmp_path / "draft.docx")
    before = sorted(p.name for p in empty.rglob("*"))
    with pytest.raises(UserError) as exc:
        import_manuscript(empty, manuscript)
    found = codes(exc)
    assert [(code, line) for code, line, _ in found] == [("tracked-change", 4), ("tracked-change", 4), ("comment", 8)]
    added, deleted, comment = (message for _code, _line, message in found)
    assert "text added by M. Costa" in added and '"It is a shared agenda."' in added
    assert 'under "Why it matters"' in added and "--accept-changes" in added
    assert "text deleted" in deleted and "Nobody disputes this." in deleted
    assert 'comment by J. Silva: "Source for this?"' in comment and 'under "Local governance"' in comment
    assert sorted(p.name for p in empty.rglob("*")) == before  # nothing written

    # the changes alone still stop it when only the comments are allowed, and the reverse
    with pytest.raises(UserError) as exc:
        import_manuscript(empty, manuscript, keep_comments=True)
    assert {code for code, _l, _m in codes(exc)} == {"tracked-change"}
    with pytest.raises(UserError) as exc:
        import_manuscript(empty, manuscript, accept_changes=True)
    assert {code for code, _l, _m in codes(exc)} == {"comment"}


def test_a_change_in_a_footnote_of_a_list_is_reported_once_at_its_paragraph(empty, tmp_path):
    m = Manuscript()
    m.heading("Chapter")
    m.paragraph("First paragraph.")
    item = m.paragraph("A point in a list.", style="List Bullet")
    m.footnote(item, "A note on it.", inserted="And more.")
    with pytest.raises(UserError) as exc:
        import_manuscript(empty, m.save(tmp_path / "note.docx"))
    [(code, line, message)] = codes(exc)
    assert (code, line) == ("tracked-change", 3) and '"And more."' in message


def test_a_manuscript_becomes_chapters_images_and_references(empty, tmp_path):
    manuscript = sample(tmp_path / "draft.docx")
    done = import_manuscript(empty, manuscript, accept_changes=True, keep_comments=True)
    assert [p.as_posix() for p in done.chapters] == ["chapters/01-citizen-security-in-the-region.md",
                                                    "chapters/02-local-governance.md"]
    first = (empty / done.chapters[0]).read_text()
    second = (empty / done.chapters[1]).read_text()
    assert first.startswith('---\ntitle: "Citizen security in the region"\n---\n')
    assert "## Why it matters" in first  # Heading 2 is a section of the chapter
    assert "[^1]: Homicide rates are per 100,000 inhabitants." in first
    # changes accepted: the added text kept, the deleted gone
    assert "It is a shared agenda." in first and "Nobody disputes" not in first
    # Word's numbered caption: its label and number gone, a name for cross-references made
    assert ("![Homicide rates by country](../images/citizen-security-in-the-region-1.png)"
            '{#fig:homicide-rates-by-country alt="A bar chart of homicide rates by country"}') in first
    assert ": Budgets of three programmes {#tbl:budgets-of-three-programmes}" in second
    assert "As @fig:homicide-rates-by-country shows, rates differ." in second
    # Word's cross-reference to the caption: the paper's own, which prints the paper's number
    assert "As @fig:homicide-rates-by-country shows, rates differ." in second
    assert "| Fica Vivo       | US\\$ 1 m |" in second  # a pipe table, as the authors' guide shows
    # the comment kept for the editors, unseen by readers, naming its author and the words it is on
    assert '<!-- comment by J. Silva on ' in second and 'on "Municipalities run prevention programmes.": ' \
        'Source for this? -->' in second
    # the picture without a description: warned, at its chapter
    missing = [d for d in done.warnings if d.code == "no-alt-text"]
    assert [d.location.path.as_posix() for d in missing] == ["chapters/02-local-governance.md"]
    assert "readers who cannot see it are told nothing" in missing[0].message
    # images saved under stable names, the same picture once
    assert [p.as_posix() for p in done.images] == ["images/citizen-security-in-the-region-1.png"]
    assert (empty / done.images[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Zotero's citations: a new work added to references.bib; the one already there merged
    assert "[@muggah2012]" in first and "[@undp1994]" in first
    assert done.added == ["muggah2012"] and done.merged == [("zotero-2", "undp1994")]
    bib = (empty / "references.bib").read_text()
    assert bib.count("@book{undp1994") == 1 and "@techreport{muggah2012" in bib
    assert bib.startswith((REPO / "references.bib").read_text().rstrip())
    record = json.loads((empty / RECORD).read_text())
    assert sorted(record["files"]) == sorted(p.as_posix() for p in done.chapters + done.images)


def test_importing_again_needs_force_and_never_loses_an_edit(empty, tmp_path, capsys):
    first = sample(tmp_path / "draft.docx", comments=False, changes=False)
    assert main(["import", str(first), "--project", str(empty)]) == 0
    chapter = empty / "chapters" / "01-citizen-security-in-the-region.md"
    bib = (empty / "references.bib").read_bytes()
    assert main(["import", str(first), "--project", str(empty)]) == 0  # the same manuscript: nothing changes
    assert (empty / "references.bib").read_bytes() == bib  # its works are found there now, not added again

    revised = Manuscript()
    revised.heading("Citizen security in the region")
    revised.paragraph("A revised first paragraph.")
    revised.heading("Local governance")
    revised.paragraph("Municipalities run prevention programmes.")
    revised.save(tmp_path / "revised.docx")
    capsys.readouterr()
    assert main(["import", str(tmp_path / "revised.docx"), "--project", str(empty)]) == 1
    out, err = capsys.readouterr()
    assert "+A revised first paragraph." in out and "-Violent crime rose" in out  # what would change
    assert "01-citizen-security-in-the-region.md:1: error: importing would change this file" in err
    assert "--force" in err and "Violent crime" in chapter.read_text()

    chapter.write_text(chapter.read_text() + "\nA sentence the author added after the import.\n")
    edited = chapter.read_text()
    assert main(["import", str(tmp_path / "revised.docx"), "--project", str(empty), "--force"]) == 1
    assert "was changed after it was imported" in capsys.readouterr().err
    assert chapter.read_text() == edited  # the edit is still there, and nothing else was written
    assert "Municipalities" in (empty / "chapters" / "02-local-governance.md").read_text()
    assert "\n\nThe end of the chapter." in (empty / "chapters" / "02-local-governance.md").read_text()

    chapter.unlink()
    assert main(["import", str(tmp_path / "revised.docx"), "--project", str(empty), "--force"]) == 0
    assert "A revised first paragraph." in chapter.read_text()
    assert "The end of the chapter." not in (empty / "chapters" / "02-local-governance.md").read_text()


def test_mendeley_and_endnote_citations_of_one_work_give_one_entry(empty, tmp_path):
    m = Manuscript()
    m.heading("Cities")
    m.mendeley(m.paragraph("Mendeley cites "), {**MUGGAH, "id": "a1b2c3"}, "(Muggah 2012)")
    m.endnote(m.paragraph("EndNote cites "), "(Muggah 2012)")
    done = import_manuscript(empty, m.save(tmp_path / "cites.docx"))
    text = (empty / done.chapters[0]).read_text()
    assert "Mendeley cites [@muggah2012]" in text and "EndNote cites [@muggah2012]" in text
    assert done.added == ["muggah2012"]
    assert (empty / "references.bib").read_text().count("muggah2012") == 1


def test_the_title_page_is_given_for_paper_yaml_not_lost(empty, tmp_path, capsys):
    """pandoc's reader takes Word's title page out of the text: it is printed for paper.yaml."""
    m = Manuscript()
    m.title_page("Governance for Citizen Security", "A regional view", "Ana Souza", "The paper looks at cities.")
    m.heading("Cities")
    m.paragraph("Text.")
    assert main(["import", str(m.save(tmp_path / "titled.docx")), "--project", str(empty)]) == 0
    out = capsys.readouterr().out
    snippet = out.split("for paper.yaml (the import leaves paper.yaml as it is):\n", 1)[1].split("\nimported")[0]
    assert yaml.safe_load(snippet) == {"title": "Governance for Citizen Security", "subtitle": "A regional view",
                                       "authors": [{"name": "Ana Souza"}], "abstract": "The paper looks at cities."}
    assert "Governance for" not in (empty / "chapters" / "01-cities.md").read_text()


def test_bad_manuscripts_are_refused_with_what_to_do(empty, tmp_path):
    (tmp_path / "notes.txt").write_text("not Word")
    (tmp_path / "broken.docx").write_text("not a zip")
    untitled = Manuscript()
    untitled.paragraph("A manuscript with no headings at all.")
    untitled.save(tmp_path / "untitled.docx")
    for name, code, words in (("notes.txt", "import-format", "only Word (.docx)"),
                              ("missing.docx", "import-format", "does not exist"),
                              ("broken.docx", "import-format", "not a Word"),
                              ("untitled.docx", "import-no-headings", "Heading 1")):
        with pytest.raises(UserError) as exc:
            import_manuscript(empty, tmp_path / name)
        [(found, _line, message)] = codes(exc)
        assert found == code and words in message, name
    # chapters starting at Heading 2: asked for with --level 2, the Heading 1 above left out with a warning
    parts = Manuscript()
    parts.heading("Part one")
    parts.heading("First chapter", 2)
    parts.paragraph("Text.")
    parts.heading("A section", 3)
    parts.paragraph("More.")
    done = import_manuscript(empty, parts.save(tmp_path / "parts.docx"), level=2)
    assert [p.name for p in done.chapters] == ["01-first-chapter.md"]
    assert "## A section" in (empty / done.chapters[0]).read_text()
    assert [d.code for d in done.warnings] == ["import-heading"] and "Part one" in done.warnings[0].message
    # a chapter the manuscript does not have stays, and is named
    other = Manuscript()
    other.heading("Another chapter")
    done = import_manuscript(empty, other.save(tmp_path / "other.docx"))
    assert [(d.code, d.location.path.name) for d in done.warnings] == [("import-kept", "01-first-chapter.md")]


def test_a_picture_bomb_is_refused(empty, tmp_path):
    """A picture that unpacks to more than the limit stops the import before anything is written."""
    m = Manuscript()
    m.heading("Chapter")
    m.image("Big", "A picture")
    path = m.save(tmp_path / "bomb.docx")
    with zipfile.ZipFile(path) as archive:
        items = {i.filename: archive.read(i) for i in archive.infolist()}
    picture = next(n for n in items if n.startswith("word/media/"))
    items[picture] = b"\x89PNG\r\n\x1a\n" + bytes(60_000_000)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in items.items():
            archive.writestr(name, data)
    with pytest.raises(UserError) as exc:
        import_manuscript(empty, path)
    assert codes(exc)[0][0] == "import-image" and "MB unpacked" in codes(exc)[0][2]
    assert not any((empty / "chapters").iterdir())


@pytest.mark.slow
def test_an_imported_manuscript_builds_in_every_format(empty, tmp_path):
    m = Manuscript()
    m.heading("Violence and cities")
    p = m.paragraph("Urban violence is a development problem. ")
    m.zotero(p, [MUGGAH], "(Muggah 2012)")
    m.image("Chart", "A bar chart of homicide rates by country", "Homicide rates by country")
    m.heading("Prevention")
    m.paragraph("Prevention programmes are local.")
    m.image("Photo", "A meeting of a municipal council")
    import_manuscript(empty, m.save(tmp_path / "m.docx"))
    result = build(empty, options=BuildOptions(formats=FORMATS))  # the Word copy too
    assert not [d for d in result.warnings if d.code in ("no-alt-text", "unresolved-citation")]
    made = outputs(empty / "output")
    text = "".join(page.extract_text() for page in PdfReader(empty / "output" / "paper.pdf").pages).replace("\xa0", " ")
    assert "Violence and cities" in text and "Figure 1.1" in text and "Muggah" in text
    html = made["html/prevention.html"].decode()
    assert 'alt="A meeting of a municipal council"' in html and "<figure" not in html.split("<main")[1]
    word = docx.Document(empty / "output" / "paper.docx")
    assert "Chapter 1 Violence and cities" in [p.text for p in word.paragraphs]
    epub = next(p for p in (empty / "output").glob("*.epub"))
    assert [m for m in epubcheck(epub, tmp_path / "report.json") if m["severity"] in ("ERROR", "FATAL")] == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None and not os.environ.get("CI"), reason="LibreOffice is not installed")
def test_an_opendocument_manuscript_is_imported_too(empty, tmp_path):
    """The manuscript saved by LibreOffice as .odt: its captions are plain paragraphs there, and
    still become the figure's and the table's."""
    sample(tmp_path / "draft.docx", comments=False, changes=False)
    subprocess.run([shutil.which("soffice"), f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                    "--convert-to", "odt", "--outdir", str(tmp_path), str(tmp_path / "draft.docx")],
                   capture_output=True, check=True, timeout=240)
    done = import_manuscript(empty, tmp_path / "draft.odt")
    first, second = ((empty / p).read_text() for p in done.chapters)
    assert "[^1]: " in first and "^[^1]^" not in first  # the note's call, not raised twice
    assert "![Homicide rates by country](../images/citizen-security-in-the-region-1.png)" \
           "{#fig:homicide-rates-by-country}" in first
    assert ": Budgets of three programmes {#tbl:budgets-of-three-programmes}" in second
    assert "As @fig:homicide-rates-by-country shows, rates differ." in second


def test_an_opendocument_manuscripts_changes_and_comments_stop_the_import(empty, tmp_path):
    """pandoc's .odt reader shows neither, so they are found in the file's content.xml; a comment
    there cannot be kept, so it stops the import even with --keep-comments."""
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<office:body><office:text><text:tracked-changes><text:changed-region text:id="c1"><text:insertion>'
        '<office:change-info><dc:creator>M. Costa</dc:creator></office:change-info></text:insertion>'
        '</text:changed-region></text:tracked-changes><text:h text:outline-level="1">Chapter</text:h>'
        '<text:p>Text<office:annotation><dc:creator>J. Silva</dc:creator><text:p>Source?</text:p>'
        '</office:annotation> and more.</text:p></office:text></office:body></office:document-content>')
    path = tmp_path / "draft.odt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                         'opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
                         'manifest:media-type="application/vnd.oasis.opendocument.text"/></manifest:manifest>')
    with pytest.raises(UserError) as exc:
        import_manuscript(empty, path, keep_comments=True)
    found = codes(exc)
    assert [code for code, _l, _m in found] == ["tracked-change", "comment"]
    assert "text added by M. Costa" in found[0][2] and 'comment by J. Silva: "Source?"' in found[1][2]
    with pytest.raises(UserError) as exc:
        import_manuscript(empty, path, accept_changes=True, keep_comments=True)
    assert [code for code, _l, _m in codes(exc)] == ["comment"]
