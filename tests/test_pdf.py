"""The PDF as a reader gets it: pages, text, outline, metadata, table of contents."""

from __future__ import annotations

import pypdf
import pytest
from conftest import contents_pages, starts_page


def outline_titles(reader: pypdf.PdfReader) -> list[str]:
    return [item.title for item in reader.outline if not isinstance(item, list)]


@pytest.fixture(scope="module")
def reader(minimal_output):
    return pypdf.PdfReader(minimal_output / "minimal.pdf")


def test_metadata(reader):
    meta = reader.metadata
    assert meta.title == "A Minimal Test Paper: Used by the test suite"
    assert meta.author == "Ana Souza, Jorge Pérez"
    assert "testing" in meta["/Keywords"]
    assert meta["/CreationDate"].startswith("D:20200504")
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_outline_has_each_chapter_and_its_sections(reader):
    titles = outline_titles(reader)
    assert titles[-3:] == ["Chapter 1 Introduction to testing", "Chapter 2 Findings of the second chapter",
                           "References"]
    nested = [item for item in reader.outline if isinstance(item, list)]
    assert any("1.1 Background" in [i.title for i in group if not isinstance(i, list)] for group in nested)


def test_each_chapter_starts_a_page_and_the_contents_give_that_page(reader):
    listed = contents_pages(reader)
    assert list(listed) == ["Chapter 1 Introduction to testing", "Chapter 2 Findings of the second chapter",
                            "References"]
    for title, page in listed.items():
        assert starts_page(reader, page, title), title


def test_text_holds_citations_footnotes_table_and_figure(reader):
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Frühling et al. (2003)" in text
    assert "United Nations Development Programme. 1994. Human Development Report 1994" in text
    assert "A footnote in the first chapter." in text
    assert "Countries in the test table" in text
    assert "A square used as a test figure" in text
    assert "@notacitation in code" in text
    assert "someone@example.org" in text


def test_footnotes_sit_at_the_foot_of_their_page(reader):
    for page in reader.pages:
        text = page.extract_text()
        if "A footnote in the second chapter." in text:
            body, _, foot = text.partition("A section")
            assert "A footnote in the second chapter." in foot
            break
    else:
        pytest.fail("second chapter's footnote not found")


def test_title_page_and_running_heads(reader):
    cover = reader.pages[0].extract_text()
    assert "A Minimal Test Paper" in cover and "Ana Souza" in cover and "4 May 2020" in cover
    # the cover and its back (not counted), the title page on a right-hand page with the imprint on
    # its back, the abstract, a blank page so that the contents begin on a right-hand page, three
    # one-page chapters, then a blank page and the back cover: an even count, for print
    assert reader.page_labels == ["C1", "C2", "i", "ii", "iii", "iv", "v", "1", "2", "3", "C3", "C4"]
    assert [reader.pages[i].extract_text().strip() for i in (1, 5, 10)] == ["", "", ""]
    assert reader.pages[2].extract_text().strip().startswith("TEST SERIES")
    back = " ".join(reader.pages[11].extract_text().split())
    assert "A Minimal Test Paper" in back and "A short abstract for the tests." in back and "Test Press" in back
    assert "Creative Commons Attribution 4.0" in back


def test_publication_details_page(reader):
    text = " ".join(reader.pages[3].extract_text().split())
    assert "This work is licensed under a Creative Commons Attribution 4.0 International licence (CC BY 4.0)." in text
    assert " ".join(reader.pages[4].extract_text().split()).startswith("Abstract A short abstract for the tests.")
    assert ("How to cite this paper Ana Souza, Jorge Pérez. 2020. A Minimal Test Paper: Used by the "
            "test suite. Test Series 7. Test Press.") in text
    assert "ORCID 0000-0002-1825-0097" in text
    # the imprint stands at the foot of the title page's back: its first line in the lower half
    heights = []
    reader.pages[3].extract_text(visitor_text=lambda text, cm, tm, *_: text.strip() and heights.append(
        tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))  # the text's origin on the page, from the foot up
    assert max(heights) < float(reader.pages[3].mediabox.height) / 2


def test_xmp_metadata_gives_the_rights_the_doi_the_language_and_the_publisher(minimal_output, project):
    import pikepdf
    from conftest import set_keys

    from paper.pipeline import BuildOptions, build

    with pikepdf.open(minimal_output / "minimal.pdf") as pdf:
        meta = pdf.open_metadata()
        assert meta["dc:rights"] == ("This work is licensed under a Creative Commons Attribution 4.0 International "
                                     "licence (CC BY 4.0).")
        assert meta["xmpRights:WebStatement"] == "https://creativecommons.org/licenses/by/4.0/"
        assert meta["xmpRights:Marked"] == "True"
        assert meta["dc:language"] == {"en"} and meta["dc:publisher"] == {"Test Press"}
        assert meta["pdfuaid:part"] == "1" and "dc:identifier" not in meta  # WeasyPrint's own are kept
    set_keys(project, doi="10.5555/test.1", license="CC BY 3.0 IGO")
    build(project, options=BuildOptions(formats=("pdf",)))
    with pikepdf.open(project / "output" / "minimal.pdf") as pdf:
        meta = pdf.open_metadata()
        assert meta["dc:identifier"] == "doi:10.5555/test.1"
        assert meta["xmpRights:WebStatement"] == "https://creativecommons.org/licenses/by/3.0/igo/"
        assert "(CC BY 3.0 IGO)" in meta["dc:rights"]
