"""Citation styles, locales, reference lists, and the paper's own citation files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pypdf
import pytest
from conftest import Package, epubcheck, set_keys

from paper.bibliography import load_bibliography
from paper.cli import main
from paper.pipeline import BuildOptions, build

TWO_AUTHORS = ("@book{two,\n  author = {Souza, Ana and Lima, Beatriz},\n"
               "  title = {Safer {Latin American} Cities},\n  publisher = {Fictional Press},\n"
               "  address = {Springfield},\n  year = 2010\n}\n")


def cite_two(project: Path) -> None:
    bib = project / "references.bib"
    bib.write_text(bib.read_text() + "\n" + TWO_AUTHORS)
    intro = project / "chapters" / "01-intro.md"
    intro.write_text(intro.read_text().replace(
        "Citizen security is discussed by", "As @two show [@two, p. 22], it is discussed by"))


def citations_in_html(page: str) -> list[str]:
    spans = re.findall(r'<span class="citation"[^>]*>(.*?)</span>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", s).split()).replace("&amp;", "&") for s in spans]


@pytest.mark.parametrize("language, style, narrative, parenthetical", [
    ("en", "chicago-author-date", "Souza and Lima (2010)", "(Souza and Lima 2010, 22)"),
    ("es", "chicago-author-date", "Souza y Lima (2010)", "(Souza y Lima 2010, 22)"),
    ("pt-BR", "chicago-author-date", "Souza e Lima (2010)", "(Souza e Lima 2010, 22)"),
    ("en", "apa", "Souza & Lima (2010)", "(Souza & Lima, 2010, p. 22)"),
    ("en", "ieee", "[1]", "[1, p. 22]"),
])
def test_style_and_language_shape_the_citations(project, language, style, narrative, parenthetical):
    cite_two(project)
    set_keys(project, language=language, citation_style=style)
    build(project, options=BuildOptions(formats=("html",)))
    found = citations_in_html((project / "output" / "html" / "intro.html").read_text())
    assert found[:2] == [narrative, parenthetical]


def test_citations_are_the_same_text_in_every_format(project):
    set_keys(project, citation_style="ieee")
    cite_two(project)
    build(project, options=BuildOptions(formats=("pdf", "html", "epub")))
    out = project / "output"
    html = [c for name in ("intro", "findings")
            for c in citations_in_html((out / "html" / f"{name}.html").read_text())]
    with zipfile.ZipFile(out / "minimal.epub") as epub:
        chapters = sorted(n for n in epub.namelist() if re.search(r"ch\d+\.xhtml$", n))
        in_epub = [c for n in chapters for c in citations_in_html(epub.read(n).decode())]
    assert html == in_epub == ["[1]", "[1, p. 22]", "[2]", "[3, p. 22]", "[2], [3]"]
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(out / "minimal.pdf").pages)
                    .split())
    position = 0
    for citation in html:
        position = text.index(citation, position) + len(citation)


def test_a_reference_list_per_chapter(project, tmp_path):
    set_keys(project, reference_list="per-chapter")
    build(project, options=BuildOptions(formats=("html", "pdf", "epub")))
    assert epubcheck(project / "output" / "minimal.epub", tmp_path / "report.json") == []
    site = project / "output" / "html"
    assert not (site / "references.html").exists()
    intro, findings = (site / "intro.html").read_text(), (site / "findings.html").read_text()
    assert 'id="ref-intro-undp1994"' in intro and 'id="ref-findings-undp1994"' in findings
    assert 'href="#ref-findings-fruhling2003"' in findings
    outline = [i.title for i in pypdf.PdfReader(project / "output" / "minimal.pdf").outline
               if not isinstance(i, list)]
    assert "References" not in outline


def test_style_from_a_csl_file_in_the_project(project):
    (project / "styles").mkdir()
    shipped = Path(sys.modules["paper"].__file__).parent / "styles" / "apa.csl"
    (project / "styles" / "house.csl").write_text(shipped.read_text())
    cite_two(project)
    set_keys(project, citation_style="styles/house.csl")
    build(project, options=BuildOptions(formats=("html",)))
    assert "(Souza & Lima, 2010, p. 22)" in citations_in_html(
        (project / "output" / "html" / "intro.html").read_text())


def test_unknown_style_is_reported_with_its_line(project, capsys):
    set_keys(project, citation_style="harvard")
    assert main(["check", "--project", str(project)]) == 1
    err = capsys.readouterr().out
    assert "paper.yaml:18: error: 'harvard' is not a citation style here: use one of apa, " \
           "chicago-author-date, ieee" in err


def test_unused_entries_warn_and_strict_makes_them_errors(project, capsys):
    bib = project / "references.bib"
    bib.write_text(bib.read_text() + "\n" + TWO_AUTHORS)
    assert main(["check", "--project", str(project)]) == 0
    assert "references.bib:20: warning: 'two' is never cited" in capsys.readouterr().out
    assert main(["build", "--project", str(project), "--strict"]) == 1
    assert "references.bib:20: error: 'two' is never cited" in capsys.readouterr().err
    assert not (project / "output").exists()


def test_cite_this_paper_files(minimal_output, tmp_path):
    cite = minimal_output / "cite"
    assert sorted(p.name for p in cite.iterdir()) == [
        "CITATION.cff", "datacite.json", "minimal.bib", "minimal.json", "minimal.ris", "zenodo.json"]
    validate = Path(sys.executable).parent / "cffconvert"
    result = subprocess.run([str(validate), "--validate", "-i", str(cite / "CITATION.cff")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    references, problems = load_bibliography(cite, "minimal.bib")  # our own reader reads it back
    assert problems == []
    (item,) = [r.csl for r in references]
    assert item["title"] == '<span class="nocase">A Minimal Test Paper: Used by the test suite</span>'
    assert item["author"] == [{"family": "Souza", "given": "Ana"}, {"family": "Pérez", "given": "Jorge"}]
    assert item["type"] == "report" and item["number"] == "7" and item["publisher"] == "Test Press"
    ris = (cite / "minimal.ris").read_text().splitlines()
    assert ris[0] == "TY  - RPRT" and ris[-1] == "ER  - " and "AU  - Souza, Ana" in ris
    csl = json.loads((cite / "minimal.json").read_text())
    assert csl[0]["issued"] == {"date-parts": [[2020, 5, 4]]}
    zenodo = json.loads((cite / "zenodo.json").read_text())["metadata"]
    assert zenodo["creators"][0] == {"name": "Souza, Ana", "affiliation": "Test Institute",
                                     "orcid": "0000-0002-1825-0097"}
    assert (zenodo["upload_type"], zenodo["publication_type"], zenodo["license"],
            zenodo["language"]) == ("publication", "workingpaper", "cc-by-4.0", "eng")


def test_deposit_records_and_what_they_lack(project, capsys):
    assert main(["check", "--project", str(project), "--deposit"]) == 0
    assert ("paper.yaml: warning: the DataCite record lacks doi, which DataCite requires: add "
            "'doi:' once the DOI is reserved [deposit-metadata]") in capsys.readouterr().out
    set_keys(project, doi="10.5281/zenodo.1234567")
    assert main(["build", "--project", str(project), "--format", "cite,epub", "--strict"]) == 0
    assert "doi:10.5281/zenodo.1234567" in Package(project / "output" / "minimal.epub").dc("identifier")
    record = json.loads((project / "output" / "cite" / "datacite.json").read_text())["data"]
    attributes = record["attributes"]
    assert record["type"] == "dois" and attributes["doi"] == "10.5281/zenodo.1234567"
    assert attributes["creators"][0]["nameIdentifiers"][0]["nameIdentifier"] == \
        "https://orcid.org/0000-0002-1825-0097"
    assert attributes["types"] == {"resourceTypeGeneral": "Text", "resourceType": "Discussion paper"}
    assert attributes["publicationYear"] == "2020" and attributes["publisher"] == {"name": "Test Press"}
    from datacite import schema45

    schema45.validator.validate(attributes)  # DataCite's own schema (4.5), in DataCite's own package
    xml = ElementTree.parse(project / "output" / "cite" / "datacite.xml").getroot()
    kernel = "{http://datacite.org/schema/kernel-4}"
    assert xml.tag == f"{kernel}resource"
    assert xml.find(f"{kernel}identifier").attrib == {"identifierType": "DOI"}
    assert xml.findtext(f"{kernel}identifier") == "10.5281/zenodo.1234567"
    assert xml.findtext(f"{kernel}creators/{kernel}creator/{kernel}creatorName") == "Souza, Ana"
    assert xml.find(f"{kernel}rightsList/{kernel}rights").get("rightsURI") == \
        "https://creativecommons.org/licenses/by/4.0/"


def test_citation_files_survive_hostile_metadata(project):
    """Line breaks, braces and backslashes in the paper's details cannot add a record to the
    RIS file or a field to the BibTeX: real readers (rispy, bibtexparser, cffconvert) read
    back one record with the text as written."""
    import bibtexparser
    import rispy
    import yaml

    config = project / "paper.yaml"
    title = "Broken } title, note = {injected} \\ end"
    config.write_text(config.read_text().replace(
        "title: ", "title: |-\n  " + title + "\n  ER  - \n  TY  - JOUR\n  x ", 1))
    assert main(["build", "--project", str(project), "--format", "cite"]) == 0
    cite = project / "output" / "cite"
    records = rispy.loads((cite / "minimal.ris").read_text())
    assert len(records) == 1 and records[0]["type_of_reference"] == "RPRT"
    title = records[0]["title"]
    assert title.startswith("Broken } title, note = {injected}") and "ER - TY - JOUR" in title
    library = bibtexparser.parse_string((cite / "minimal.bib").read_text())
    assert len(library.entries) == 1 and not library.failed_blocks
    assert "note" not in library.entries[0].fields_dict
    cff = yaml.safe_load((cite / "CITATION.cff").read_text())
    assert cff["title"].startswith("Broken } title") and "TY  - JOUR" in cff["title"]
    validate = Path(sys.executable).parent / "cffconvert"
    result = subprocess.run([str(validate), "--validate", "-i", str(cite / "CITATION.cff")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
