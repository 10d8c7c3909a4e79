"""An edit to one chapter makes pandoc number and link that chapter alone, and citeproc run
only when the citations change; the result is the paper a build from nothing assembles."""

from __future__ import annotations

import json

from conftest import copy_project

import paper.pandoc
from paper.assemble import assemble
from paper.cache import Cache
from paper.model import BuildContext
from paper.pipeline import load_and_check


def assembled(root, cache, monkeypatch):
    """The paper's chapters as assembled, and the passes pandoc really ran (not taken from the
    cache) while assembling: (their filters, the chapters in them)."""
    runs = []
    execute = paper.pandoc.execute

    def spy(args, text, *rest, **options):
        if "--to=json" in args and "--from=json" in args:
            blocks = json.loads(text)["blocks"]
            ids = [b["c"][1][0] if b["t"] == "Header" else json.loads(b["c"][1])["id"] for b in blocks
                   if b["t"] == "RawBlock" and b["c"][0] == "paper-chapter"
                   or b["t"] == "Header" and b["c"][0] == 1 and "chapter" in b["c"][1][1]]
            runs.append((" ".join(a.rsplit("/", 1)[-1] for a in args if "filter" in a or a == "--citeproc"), ids))
        return execute(args, text, *rest, **options)

    monkeypatch.setattr(paper.pandoc, "execute", spy)
    loaded, _warnings = load_and_check(root, cache=cache)
    work = root / "work"
    work.mkdir(exist_ok=True)
    manuscript = assemble(loaded, BuildContext(root, root / "output", ("html",), 0, cache=cache), work)
    return [json.dumps(c.blocks) for c in manuscript.chapters], runs


def test_an_edit_to_one_chapter_numbers_and_links_that_chapter_alone(tmp_path, monkeypatch):
    root = copy_project("structure", tmp_path)
    cache = Cache(tmp_path / "cache")
    first, runs = assembled(root, cache, monkeypatch)
    # one run numbers and links every chapter; citeproc runs meanwhile (in either order)
    assert sorted(filters for filters, _ids in runs) == ["--citeproc", "chapters.lua crossref.lua"]
    runs = [run for run in runs if run[0] != "--citeproc"]
    assert len(runs[0][1]) == len(first)  # every chapter, cold
    cache.commit({})

    chapter = root / "chapters" / "03-responses.md"
    chapter.write_text(chapter.read_text() + "\nOne more sentence, and no citation in it.\n")
    edited, runs = assembled(root, cache, monkeypatch)
    assert runs == [("chapters.lua crossref.lua", ["responses"])]  # no citeproc, no second pass
    assert [i for i, (a, b) in enumerate(zip(first, edited, strict=True)) if a != b] == [
        [i for i, blocks in enumerate(edited) if '"responses"' in blocks[:200]][0]]
    cache.commit({})

    evidence = root / "chapters" / "02-evidence.md"  # a new table: Table 2.1 becomes 2.2, and links say so
    evidence.write_text(evidence.read_text().replace("| Country | Rate |", "| Year |\n|------|\n| 2012 |\n\n"
                                                     ": An earlier table {#tbl:earlier}\n\n| Country | Rate |"))
    renumbered, runs = assembled(root, cache, monkeypatch)
    assert runs[0] == ("chapters.lua crossref.lua", ["evidence"])
    # every other chapter links again (the edited one was linked as it was numbered)
    assert runs[1][0] == "crossref.lua" and "evidence" not in runs[1][1] and len(runs[1][1]) == len(first) - 1
    cold, _runs = assembled(root, None, monkeypatch)
    assert renumbered == cold
    assert "2.2" in renumbered[[i for i, b in enumerate(cold) if "\"earlier\"" in b][0]]


def loaded_chapters(root, cache):
    from paper.loader import load_paper

    paper, problems = load_paper(root, cache)
    return [(c, json.dumps(c.blocks), json.dumps(c.fields), c.index) for c in paper.chapters], problems


def test_a_chapter_taken_from_the_cache_is_the_chapter_read_and_its_images_are_looked_up_again(tmp_path):
    """An unchanged chapter is not read and cleaned again: the cache gives back the same chapter,
    tree, index and problems. Its images are looked up again each time, so an image that went
    missing (or became a link out of the project) is refused as if the chapter were read."""
    import os

    from paper import loader

    caches, roots = {}, {}
    for name in ("structure", "bookdown", "quarto", "minimal"):
        root = roots[name] = copy_project(name, tmp_path / name)
        cache = caches[name] = Cache(tmp_path / name / "cache")
        cold = loaded_chapters(root, cache)
        cache.commit({})
        read = loader.read_chapter
        loader.read_chapter = None  # a chapter read again would fail here
        try:
            assert loaded_chapters(root, cache) == cold, name
        finally:
            loader.read_chapter = read
    root, cache = roots["minimal"], caches["minimal"]
    image = root / "images" / "square.svg"
    moved = tmp_path / image.name
    image.rename(moved)
    chapters, problems = loaded_chapters(root, cache)
    assert [p.code for p in problems if p.level == "error"] == ["missing-image"]
    os.symlink(moved, image)  # a link to a file outside the project is no image of the project's
    chapters, problems = loaded_chapters(root, cache)
    assert [p.code for p in problems if p.level == "error"] == ["missing-image"]


def test_citeproc_runs_once_while_the_chapters_are_numbered(tmp_path, monkeypatch):
    """citeproc is given the citations as they stand before numbering, which takes the
    cross-references out of a citation that mixes them with works: one run, and the paper a
    run after numbering makes."""
    root = copy_project("structure", tmp_path)
    evidence = root / "chapters" / "02-evidence.md"
    evidence.write_text(evidence.read_text() + "\nAs [@fig:square; @fruhling2003, 12] and [-@tbl:rates] show.\n")
    chapters, runs = assembled(root, None, monkeypatch)
    assert [filters for filters, _ids in runs].count("--citeproc") == 1
    import paper.citing

    monkeypatch.setattr(paper.citing, "early_document", lambda *args: None)  # citeproc after numbering
    assert assembled(root, None, monkeypatch)[0] == chapters
    assert any("#fig:square" in blocks and "#ref-fruhling2003" in blocks for blocks in chapters)


def test_an_unchanged_chapter_is_not_written_out_again_to_look_up_its_conversion(tmp_path, monkeypatch):
    """A chapter's conversion is kept by what its blocks are made from (ChapterText.key): after
    an edit, only the edited chapter (and the parts' title pages and the references, made
    afresh) is written out for pandoc."""
    from paper.model import Manuscript
    from paper.pipeline import BuildOptions, build

    root = copy_project("structure", tmp_path)
    options = BuildOptions(formats=("html",), preview=True)
    build(root, options=options)
    written = []
    document = Manuscript.document

    def spy(self, chapters=None):
        written.append(sorted(c.id for c in chapters or self.chapters))
        return document(self, chapters)

    monkeypatch.setattr(Manuscript, "document", spy)
    chapter = root / "chapters" / "03-responses.md"
    chapter.write_text(chapter.read_text() + "\nOne more sentence.\n")
    build(root, options=options)
    ids = [ident for group in written for ident in group]
    assert ids.count("responses") == 1 and "evidence" not in ids and "setting" not in ids
    assert all(ident in ("responses", "references") or ident.startswith("part-") for ident in ids), ids
    page = (root / "output" / "html" / "responses.html").read_text(encoding="utf-8")
    assert "One more sentence." in page
