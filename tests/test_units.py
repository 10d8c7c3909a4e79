"""Unit tests of the parts a change most often touches, on tiny inputs made here: paper.yaml's
rules, the checker's rules, and joining PDF pieces. Part of the fast loop
(`pytest -m "not slow"`)."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdf
import pytest
import weasyprint

from paper.check import check_paper
from paper.config import load_config
from paper.loader import load_paper
from paper.renderers import whole_compounds
from paper.renderers.pdf.join import BACK_COVER, LINK_PREFIX, TITLE_PAGE, join
from paper.renderers.pdf.share import share_fonts

BASE = "title: T\nauthors: [A. Author]\ndate: 2020-01-02\n"


def config(tmp_path: Path, text: str) -> tuple[object, list[str]]:
    (tmp_path / "paper.yaml").write_text(text, encoding="utf-8")
    meta, problems = load_config(tmp_path)
    return meta, [str(p) for p in problems]


@pytest.mark.parametrize("extra, expected", [
    ("date: 2020-13-01\n", "paper.yaml:3: error: '2020-13-01' is not a date"),
    ("language: english\n", "is not a BCP 47 language tag"),
    ("doi: 10.12/x\n", "[bad-doi]"),
    ("page-size: A5\n", "'A5' is not allowed for page-size: use A4 or Letter [bad-value]"),
    ("lists: [figures, maps]\n", "'maps' is not a list the paper can print"),
    ("titel: X\n", "did you mean 'title'?"),
    ("ignore: [unused-referenc]\n", "did you mean 'unused-reference'?"),
    ("ignore: [unknown-citation]\n", "'unknown-citation' is an error, which cannot be ignored"),
    ("boxes:\n  rmdnote: banner\n", "'banner' is not a kind of box"),
    ("limits:\n  chapters: -1\n", "'chapters' is a whole number above 0"),
])
def test_paper_yaml_rules(tmp_path, extra, expected):
    text = BASE.replace("date: 2020-01-02\n", "") if extra.startswith("date") else BASE
    _meta, problems = config(tmp_path, text + extra)
    assert any(expected in p for p in problems), problems


def test_a_valid_paper_yaml_has_no_problem_and_keeps_its_values(tmp_path):
    meta, problems = config(tmp_path, BASE + "ignore: [code-not-run]\nboxes:\n  rmdnote: note\n")
    assert problems == []
    assert meta.ignore == ("code-not-run",) and meta.boxes == (("rmdnote", "note"),)
    assert meta.title == "T" and meta.date == "2020-01-02"


def tiny_paper(tmp_path: Path, *chapters: str) -> Path:
    (tmp_path / "chapters").mkdir()
    (tmp_path / "paper.yaml").write_text(BASE, encoding="utf-8")
    for i, text in enumerate(chapters, start=1):
        (tmp_path / "chapters" / f"0{i}-chapter-{i}.md").write_text(text, encoding="utf-8")
    return tmp_path


def checked(root: Path) -> list[str]:
    paper, problems = load_paper(root)
    return [str(p) for p in problems + check_paper(paper)]


def test_check_rules_find_duplicate_ids_and_broken_links(tmp_path):
    root = tiny_paper(tmp_path, "# One\n\n## A {#sec:same}\n\nSee [there](#nowhere).\n", "# Two\n\n## B {#sec:same}\n")
    found = checked(root)
    assert any("02-chapter-2.md:3" in p and "[duplicate-id]" in p for p in found), found
    assert any("01-chapter-1.md:5" in p and "[broken-link]" in p for p in found), found


def test_check_rules_find_a_missing_title_and_a_citation_without_bibliography(tmp_path):
    root = tiny_paper(tmp_path, "Text with no heading [@who].\n")
    found = checked(root)
    assert any("01-chapter-1.md:1: error: the chapter has no title" in p for p in found), found
    assert any("citation @who is not in the bibliography: there is no references.bib" in p for p in found), found


def test_check_rules_pass_a_clean_paper(tmp_path):
    root = tiny_paper(tmp_path, "# One\n\nSee [the second](#two).\n", "# Two {#two}\n\nText.\n")
    assert checked(root) == []


def tiny_pdf(html: str) -> bytes:
    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)


def test_join_keeps_pages_outline_links_and_labels():
    first = tiny_pdf('<html lang="en"><title>T</title><p style="break-after: page">Cover</p>'
                     '<h1 id="a">First</h1><p>'
                     f'<a href="{LINK_PREFIX}b">to the second</a></p>')
    second = tiny_pdf('<html lang="en"><title>T</title><h1 id="b">Second</h1><p>Text.</p>'
                      '<h1 id="c" style="break-before: page">Third</h1>'
                      '<p style="break-before: page">Inside back cover</p><p style="break-before: page">Back</p>')
    anchors = [(), (TITLE_PAGE, "a"), ("b",), ("c",), (BACK_COVER,), ()]
    joined = pypdf.PdfReader(io.BytesIO(join([first, second], anchors, body_start=2)))
    assert len(joined.pages) == 6
    assert [item.title for item in joined.outline] == ["First", "Second", "Third"]
    # the cover is not counted: C1 before the title page (i), C2 and C3 after the last page
    assert joined.page_labels == ["C1", "i", "1", "2", "C2", "C3"]
    assert set(joined.named_destinations) >= {"a", "b", "c"}
    link = joined.pages[1]["/Annots"][0].get_object()
    assert "/A" not in link and link["/Dest"] == "b"  # into the other piece, by its name
    with pikepdf.open(io.BytesIO(join([first, second], anchors, body_start=2))) as pdf:
        assert len(pdf.Root.StructTreeRoot.K) == 1  # one /Document element
        assert len(pdf.Root.StructTreeRoot.ParentTree.Nums) // 2 == 6 + 1  # six pages, one link


def test_share_fonts_leaves_one_copy_of_a_font_that_every_piece_embedded():
    pieces = [tiny_pdf(f'<html lang="en"><title>T</title><p style="font-family: DejaVu Sans">{word}</p>')
              for word in ("alpha", "omega")]
    joined = join(pieces, [(), ()], body_start=0)
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        fonts = {str(font.get("/BaseFont")) for page in pdf.pages for font in page.Resources.Font.values()}
        programs = {font.objgen for page in pdf.pages for font in page.Resources.Font.values()}
        share_fonts(pdf)  # joining shared them already: a second pass changes nothing
        assert {font.objgen for page in pdf.pages for font in page.Resources.Font.values()} == programs
    assert len(fonts) == 1 and len(programs) == 1
    text = pypdf.PdfReader(io.BytesIO(joined))
    assert "alpha" in text.pages[0].extract_text() and "omega" in text.pages[1].extract_text()


def test_a_joined_font_kept_in_the_cache_gives_the_same_pdf(tmp_path, monkeypatch):
    """After an edit most pieces embed the same subsets: the font joined from them comes from
    the cache, and the PDF is the one joined without it."""
    from paper.cache import Cache
    from paper.renderers.pdf import share

    pieces = [tiny_pdf(f'<html lang="en"><title>T</title><p style="font-family: DejaVu Sans">{word}</p>')
              for word in ("alpha", "omega", "ação")]
    cache = Cache(tmp_path / "cache")
    made = []
    joined_font = share.joined_font
    monkeypatch.setattr(share, "joined_font", lambda fonts: made.append(1) or joined_font(fonts))
    first = join(pieces, [(), (), ()], body_start=0, cache=cache)
    assert made == [1]
    assert join(pieces, [(), (), ()], body_start=0, cache=cache) == first == join(pieces, [(), (), ()], body_start=0)
    assert made == [1, 1]  # the join without the cache made it again; the one with it did not
    assert "ação" in pypdf.PdfReader(io.BytesIO(first)).pages[2].extract_text()


def test_compounds_in_the_title_are_kept_whole_and_the_rest_escaped():
    assert str(whole_compounds("Sul-Sul <i>e</i> - já")) == \
        '<span class="nobreak">Sul-Sul</span> &lt;i&gt;e&lt;/i&gt; - já'


def test_free_processors_leave_out_what_is_not_allowed_or_is_busy():
    """Allowed one processor (as `taskset` or a container allows), a build lays out in one
    process; with a processor kept busy by something else, it counts one fewer."""
    import os
    import subprocess
    import sys
    import time

    from paper.workers import free_processors

    probe = "from paper.workers import free_processors; print(free_processors())"
    one = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert one.stdout.strip() == "1"
    allowed = len(os.sched_getaffinity(0))
    if allowed < 2:
        pytest.skip("one processor: nothing to leave out")
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # started and busy
        assert 1 <= free_processors() <= allowed - 1
    finally:
        hog.kill()
        hog.wait()


def test_free_processors_do_not_count_the_builds_own_threads():
    """The build imports its renderers in a thread while it reads the paper: that thread is the
    build itself, not something else keeping a processor busy."""
    import os
    import threading

    from paper.workers import free_processors

    allowed = len(os.sched_getaffinity(0))
    if free_processors() < allowed:
        pytest.skip("something else keeps this machine busy")
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            pass

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        assert free_processors() == allowed
    finally:
        stop.set()
        thread.join()


def test_single_page_notes_take_the_chapters_id_and_nothing_else_changes():
    """Only pandoc's note markup is renamed, at the right place even after characters Python
    counts as line breaks and the HTML parser does not (a form feed, U+2028)."""
    from paper.renderers.html import single_page_notes

    class NoCache:
        cache = None

    html = ('<section id="intro" class="level1"><p>Line\x0c and\u2028 more '
            '<a href="#fn1">an author\'s own link</a>.<a href="#fn1" class="footnote-ref" id="fnref1" '
            'role="doc-noteref"><sup>1</sup></a> <a href="#other">elsewhere</a></p>\n</section>\n'
            '<section id="footnotes" class="footnotes footnotes-end-of-document" role="doc-endnotes">\n<hr />\n'
            '<ol>\n<li id="fn1"><p>The note.<a href="#fnref1" class="footnote-back" role="doc-backlink">'
            '↩︎</a></p></li>\n<li id="item">not a note</li>\n</ol>\n</section>\n')
    out = single_page_notes(html, "intro", NoCache())  # type: ignore[arg-type]
    assert out == (html.replace('href="#fn1" class', 'href="#intro-fn1" class')
                   .replace('id="fnref1"', 'id="intro-fnref1"').replace('id="footnotes"', 'id="intro-footnotes"')
                   .replace('li id="fn1"', 'li id="intro-fn1"').replace('"#fnref1"', '"#intro-fnref1"'))
    assert '<a href="#fn1">an author' in out and 'id="item"' in out and 'href="#other"' in out


def test_tree_json_is_exact_and_goes_as_deep_as_the_limits_allow() -> None:
    """Trees go to pandoc and the cache through orjson, and through the standard library past
    orjson's depth: the same value always gives the same text, which reads back as the value."""
    from paper import fastjson
    from paper.model import Limits

    tree = {"t": "Para", "c": [{"t": "Str", "c": "Café “quoted” 日本"}, {"t": "Space"}, {"t": "Math", "c": [1.5, 2]}]}
    assert fastjson.loads(fastjson.dumps(tree)) == tree == fastjson.loads(fastjson.dumpb(tree))
    assert fastjson.dumps(tree) == fastjson.dumps(fastjson.loads(fastjson.dumps(tree)))
    deep: list = []
    for _ in range(Limits().nesting * 3):  # beyond orjson's 254 levels
        deep = [{"t": "BlockQuote", "c": deep}]
    text = fastjson.dumps(deep)
    assert fastjson.loads(text) == deep and fastjson.dumpb(deep) == text.encode()


@pytest.mark.parametrize(("text", "spdx", "url", "sentence"), [
    ("CC BY 4.0", "CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/",
     "Creative Commons Attribution 4.0 International licence (CC BY 4.0)."),
    ("CC BY 3.0 IGO", "CC-BY-3.0-IGO", "https://creativecommons.org/licenses/by/3.0/igo/",
     "Creative Commons Attribution 3.0 IGO licence (CC BY 3.0 IGO)."),
    ("cc by-nc-sa 3.0 igo", "CC-BY-NC-SA-3.0-IGO", "https://creativecommons.org/licenses/by-nc-sa/3.0/igo/",
     "Attribution-NonCommercial-ShareAlike 3.0 IGO licence (CC BY-NC-SA 3.0 IGO)."),
    ("CC BY-NC 3.0 IGO", "", "https://creativecommons.org/licenses/by-nc/3.0/igo/",  # SPDX has no id for it
     "Attribution-NonCommercial 3.0 IGO licence (CC BY-NC 3.0 IGO)."),
    ("CC BY 4.0 IGO", "", "", ""),  # there is no such licence: the IGO ones are 3.0
])
def test_creative_commons_licences_including_the_igo_ones(text, spdx, url, sentence):
    from paper.licenses import license_statement, spdx_license
    from paper.model import Author, PaperMeta
    from paper.records import datacite

    assert spdx_license(text) == spdx
    statement, link = license_statement(text, "en")
    assert link == url and statement.endswith(sentence)
    meta = PaperMeta(title="T", language="en", date="2020", authors=(Author("A B"),), license=text)
    rights = datacite(meta, "")["data"]["attributes"].get("rightsList")
    if url:  # the rights are never dropped: by SPDX id where there is one, else by the licence's address
        assert rights[0]["rights"] == text and rights[0]["rightsUri"] == url
        assert rights[0].get("rightsIdentifier", "") == spdx.lower()
    else:
        assert rights is None


def test_this_repository_is_a_series_whose_number_1_is_its_own_paper():
    from paper.series import inherited, load_series, series_of

    repo = Path(__file__).resolve().parent.parent
    series, problems = load_series(repo)
    assert problems == [] and series.papers == (".",) and series.languages == ("en", "es", "pt-BR")
    assert series_of(repo)[0] == series
    meta, problems = load_config(repo, inherit=inherited)
    assert problems == [] and (meta.series.name, meta.series.number) == ("South-South Discussion Papers", "1")
    assert dict(series.names)["es"] == next(e.series for e in meta.editions if e.language == "es")


@pytest.mark.parametrize(("ident", "valid"), [("https://ror.org/05dxps055", True), ("05dxps055", True),
                                              ("https://ror.org/05dxps056", False), ("05dxpl055", False)])
def test_ror_ids_are_checked_by_their_checksum(ident, valid):
    from paper.config import ror_ok

    assert ror_ok(ident) is valid
