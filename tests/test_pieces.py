"""The PDF laid out piece by piece (a chapter at a time, in parallel) and joined, against the same
paper laid out as one document; and what an edit makes the build lay out again."""

from __future__ import annotations

import logging
import re
from concurrent.futures import Executor
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from conftest import REPO, copy_project, outputs
from pdfcompare import differences, summary

from paper.pipeline import BuildOptions, build
from paper.renderers.pdf.pieces import Job, Laid, NotSettled, Piece, groups, lay_out


def pdf_of(out: Path) -> Path:
    return next(out.glob("*.pdf"))


def pixels(path: Path) -> list[bytes]:
    document = pypdfium2.PdfDocument(path)
    return [page.render(scale=0.6).to_pil().tobytes() for page in document]


def laid_out(caplog) -> list[str]:
    """The pieces the last build laid out (not measured, not taken from the cache)."""
    return [r.getMessage().split()[3] for r in caplog.records if r.getMessage().startswith("pdf: laid out ")]


@pytest.mark.parametrize("variant", ["new-page", "right-hand-page", "pdf/a-3b"])
def test_pieces_give_the_whole_document(tmp_path, monkeypatch, variant):
    """Front matter, parts, appendices, cross-references with page numbers, lists: joined from
    pieces laid out in parallel processes, the PDF has the text, pixels, outline, links,
    destinations, page labels, tag tree and metadata of the PDF laid out in one go."""
    monkeypatch.setattr("paper.renderers.pdf.pieces.PARALLEL_FROM", 2)  # a short paper, in the pool too
    monkeypatch.setattr("paper.pipeline.free_processors", lambda: 2)  # even on a busy machine
    root = copy_project("structure", tmp_path)
    standard = "pdf/a-3b" if variant == "pdf/a-3b" else "pdf/ua-1"
    if variant == "right-hand-page":
        with (root / "paper.yaml").open("a") as config:
            config.write("chapter-start: right-hand-page\n")
    build(root, tmp_path / "whole",
          BuildOptions(formats=("pdf",), pdf_standard=standard, cache=False, pdf_layout="whole"))
    build(root, tmp_path / "pieces", BuildOptions(formats=("pdf",), pdf_standard=standard, cache=False))
    whole, pieces = pdf_of(tmp_path / "whole"), pdf_of(tmp_path / "pieces")
    assert differences(whole, pieces) == []
    assert pixels(whole) == pixels(pieces)
    joined = summary(pieces)
    assert len(joined["outline"]) > 10 and sum(map(len, joined["links"])) > 20
    starts = [entry[2][0] for entry in joined["outline"] if entry[1].startswith(("Chapter", "Appendix"))]
    assert len(starts) == 4
    if variant == "right-hand-page":  # 0-based even: a right-hand page, after a blank one if need be
        assert all(page % 2 == 0 for page in starts)
    else:
        assert any(page % 2 == 1 for page in starts)
    # one embedded font per typeface, as in the whole document, and about its size
    with pikepdf.open(pieces) as pdf:
        fonts = {(str(f.BaseFont), f.objgen) for page in pdf.pages for f in page.Resources.Font.values()}
        assert len(fonts) == len({name for name, _ in fonts})
    assert pieces.stat().st_size < 1.1 * whole.stat().st_size


def test_a_left_hand_start_is_laid_out_after_a_dropped_page(tmp_path):
    """The minimal paper's front matter has seven pages (cover, its back, title page, imprint, abstract,
    a blank page, contents), so chapter 1 begins on a left-hand page."""
    root = copy_project("minimal", tmp_path)
    build(root, tmp_path / "whole", BuildOptions(formats=("pdf",), cache=False, pdf_layout="whole"))
    build(root, tmp_path / "pieces", BuildOptions(formats=("pdf",), cache=False))
    assert summary(pdf_of(tmp_path / "pieces"))["labels"][7] == "1"
    assert differences(pdf_of(tmp_path / "whole"), pdf_of(tmp_path / "pieces")) == []


def test_an_edit_lays_out_its_chapter_only(tmp_path, caplog):
    root = copy_project("structure", tmp_path)
    build(root, options=BuildOptions(formats=("pdf",)))
    chapter = root / "chapters" / "02-evidence.md"
    chapter.write_text(chapter.read_text() + "\n\nA sentence added in an edit.\n")
    caplog.set_level(logging.DEBUG, logger="paper")
    caplog.clear()
    build(root, options=BuildOptions(formats=("pdf",)))
    assert laid_out(caplog) == ["evidence"]
    assert "A sentence added in an edit." in "".join(summary(pdf_of(root / "output"))["text"])
    build(root, tmp_path / "cold", BuildOptions(formats=("pdf",), cache=False))
    assert outputs(root / "output") == outputs(tmp_path / "cold")


def test_a_longer_chapter_moves_the_pages_after_it(tmp_path, caplog):
    """A chapter that grows by pages: every later piece starts elsewhere and shows other page
    numbers, so it is laid out again; the contents follow; the result is the cold build's."""
    root = copy_project("structure", tmp_path)
    build(root, options=BuildOptions(formats=("pdf",)))
    before = summary(pdf_of(root / "output"))
    chapter = root / "chapters" / "01-setting.md"
    chapter.write_text(chapter.read_text() + "\n\n" + "A paragraph added to make the chapter longer. " * 300 + "\n")
    caplog.set_level(logging.DEBUG, logger="paper")
    caplog.clear()
    build(root, options=BuildOptions(formats=("pdf",)))
    after = summary(pdf_of(root / "output"))
    assert after["pages"] > before["pages"] + 1
    # the edited piece and all after it are laid out again, the contents too; the edited one a
    # second time, since its own "p. N" references to later chapters moved with its length
    again = laid_out(caplog)
    assert set(again) == {"front", "part-i", "evidence", "part-ii", "data", "references"}
    assert all(again.count(name) <= 2 for name in again)
    build(root, tmp_path / "whole", BuildOptions(formats=("pdf",), cache=False, pdf_layout="whole"))
    assert differences(pdf_of(tmp_path / "whole"), pdf_of(root / "output")) == []
    build(root, tmp_path / "cold", BuildOptions(formats=("pdf",), cache=False))
    assert outputs(root / "output") == outputs(tmp_path / "cold")


# The scheduler, with a stand-in for WeasyPrint: a piece of n paragraphs takes n pages.

class Counted(Executor):
    def __init__(self):
        self.jobs: list[Job] = []

    def submit(self, fn, /, *args, **kwargs):
        from concurrent.futures import Future

        self.jobs.append(args[0])
        future = Future()
        future.set_result(fn(*args))
        return future


def fake_pieces() -> list[Piece]:
    return [Piece("front", "")] + [Piece(f"c{i}", f'<section id="c{i}">' + "<p>x</p>" * (i + 1)
                                           + f'<a class="crossref-page" href="#c{(i + 2) % 5 + 1}">next</a>')
                                     for i in range(1, 6)]


def render(body: str, front: bool, back: bool, counter, pad, pad_chapter) -> str:
    toc = "".join(f'<a href="#c{i}">{i}</a>' for i in range(1, 6)) if front else ""
    return f"<p>front</p>{toc}" if front else f"<!--{counter} {pad}-->{body}"


def run(job: Job) -> Laid:
    if "<p>front</p>" in job.html:
        return Laid((("front",),), b"front")
    ids = tuple(re.findall(r' id="([^"]+)"', job.html))
    pages = max(job.html.count("<p>x</p>"), 1)
    return Laid((ids,) + ((),) * (pages - 1), None if job.measure else job.html.encode())


def counting(jobs: list[Job]):
    def counted(job: Job) -> Laid:
        jobs.append(job)
        return run(job)
    return counted


@pytest.mark.parametrize("threshold", [6, 12])  # six pieces: in the pool, or in this process
def test_scheduler_lays_out_each_piece_once_its_start_is_known(monkeypatch, threshold):
    monkeypatch.setattr("paper.renderers.pdf.pieces.PARALLEL_FROM", threshold)
    pool, jobs = Counted(), []
    done, plan = lay_out(fake_pieces(), render, counting(jobs), lambda job: None, lambda: pool, 2, {})
    assert len(pool.jobs) == (len(jobs) if threshold <= 6 else 0)
    assert len(done) == 6 and all(laid.pdf for _job, laid in done)
    # the front has one page, c1 two, c2 three…: c5 begins on page index 1 + 2 + 3 + 4 + 5
    assert plan.start(5) == 15
    assert plan.labels() == {"front": 1, "c1": 1, "c2": 3, "c3": 6, "c4": 10, "c5": 15}
    assert 'data-page="6"' in done[5][0].html  # c5 refers to c3
    assert '<!--14 True-->' in done[5][0].html  # c5 begins on a left-hand page, after page 14
    # a piece is laid out again only when a "p. N" it shows was not known the first time
    exact = [job.html.split('id="')[1].split('"')[0] for job in jobs if not job.measure and "id=" in job.html]
    assert max(exact.count(name) for name in set(exact)) <= 2


def test_scheduler_with_the_last_builds_pages_measures_nothing():
    done, plan = lay_out(fake_pieces(), render, run, lambda job: None, Counted, 2, {})
    cache, again = {job.html: laid for job, laid in done}, []
    lay_out(fake_pieces(), render, counting(again), lambda job: cache.get(job.html), Counted, 2, plan.known)
    assert again == []


def test_page_numbers_that_never_settle_give_up():
    def unstable(job: Job) -> Laid:  # the length depends on the page numbers shown
        laid = run(job)
        if 'id="c1"' in job.html and not job.measure:
            return Laid(laid.anchors + ((),) * ((int(job.html.split('data-page="')[1].split('"')[0]) + 1) % 2),
                        laid.pdf)
        return laid

    pieces = [Piece("front", ""), Piece("c1", '<section id="c1"><p>x</p><a class="crossref-page" href="#c1b">a</a>'),
              Piece("c2", '<section id="c2"><p>x</p><span id="c1b"></span>')]
    with pytest.raises(NotSettled):
        lay_out(pieces, render, unstable, lambda job: None, lambda: Counted(), 1, {})


def test_a_part_page_goes_with_the_chapter_after_it():
    class Chapter:
        def __init__(self, ident, role):
            self.id, self.role = ident, role

    chapters = [Chapter("summary", "front-matter"), Chapter("part-1", "part"), Chapter("one", "chapter"),
                Chapter("two", "chapter"), Chapter("annex", "appendix")]
    found = [(name, [c.id for c in members]) for name, members in groups(chapters)]
    assert found == [("front", ["summary"]), ("part-1", ["part-1", "one"]), ("two", ["two"]),
                     ("annex", ["annex"])]
    assert groups(chapters[2:])[0] == ("front", ())


def test_a_projects_own_css_without_page_rules_is_laid_out_in_one_go(tmp_path, caplog):
    root = copy_project("minimal", tmp_path)
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "pdf.css").write_text("@page { size: A4; margin: 20mm; }\n")
    caplog.set_level(logging.DEBUG, logger="paper")
    build(root, options=BuildOptions(formats=("pdf",)))
    assert laid_out(caplog) == []
    assert any("templates/pdf.css has no rules for data-page" in r.getMessage() for r in caplog.records)
    assert "Introduction to testing" in "".join(summary(pdf_of(root / "output"))["text"])


def test_layout_processes_that_break_leave_the_work_to_this_one(tmp_path, monkeypatch, caplog):
    """A pool that cannot start (a script read from standard input) or loses a process."""
    from concurrent.futures.process import BrokenProcessPool

    class Broken(Executor):
        def submit(self, fn, /, *args, **kwargs):
            raise BrokenProcessPool("a process in the pool was terminated")

    monkeypatch.setattr("paper.renderers.pdf.pieces.PARALLEL_FROM", 2)
    monkeypatch.setattr("paper.pipeline.free_processors", lambda: 2)
    monkeypatch.setattr("paper.renderers.pdf.Processes.__call__", lambda self: Broken())
    root = copy_project("structure", tmp_path)
    build(root, tmp_path / "fallback", BuildOptions(formats=("pdf",), cache=False))
    assert any("laying out in this process" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    build(root, tmp_path / "normal", BuildOptions(formats=("pdf",), cache=False))
    assert pdf_of(tmp_path / "fallback").read_bytes() == pdf_of(tmp_path / "normal").read_bytes()


def test_the_papers_editions_joined_look_as_laid_out_in_one_go(tmp_path):
    """Spanish and Portuguese set accents that fonts build from parts (õ is o and a tilde),
    which the pieces' font subsets number differently: the joined fonts must draw them."""
    build(REPO, tmp_path / "whole", BuildOptions(formats=("pdf",), cache=False, pdf_layout="whole"))
    build(REPO, tmp_path / "pieces", BuildOptions(formats=("pdf",), cache=False))
    for whole in sorted((tmp_path / "whole").glob("*.pdf")):
        pieces = tmp_path / "pieces" / whole.name
        assert differences(whole, pieces) == []
        assert pixels(whole) == pixels(pieces), whole.name
