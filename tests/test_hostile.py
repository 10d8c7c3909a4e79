"""Chapters from anyone: nothing outside the project is read or fetched, bad input is a clean
error, an interrupted or concurrent build loses nothing, and builds are reproducible."""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pypdf
import pytest
from conftest import REPO, copy_project, outputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paper.bibliography import load_bibliography
from paper.cli import main
from paper.errors import UserError
from paper.pipeline import BuildOptions, build, diagnose

BUILD = [sys.executable, str(REPO / "build.py")]


def add_to_chapter(project: Path, markdown: str) -> None:
    chapter = project / "chapters" / "02-findings.md"
    chapter.write_text(chapter.read_text() + "\n" + markdown + "\n")


@pytest.mark.parametrize("markdown, expected", [
    ("![Secret](/etc/passwd)", "15:1: error: image /etc/passwd is outside the project"),
    ("![Elsewhere](../../outside.png)", "15:1: error: image ../../outside.png is outside the project"),
    ("<script>alert(1)</script>", "15:1: warning: the HTML element <script> is removed from the outputs"),
    ('<img src="../images/square.svg" alt="x" onerror="alert(1)">',
     "15:1: warning: the attribute 'onerror' of <img> is removed"),
    ('<a href="javascript:alert(1)">x</a>', "15:1: warning: the link javascript:alert(1) is removed"),
    ('<iframe src="https://example.org"></iframe>', "15:1: warning: the HTML element <iframe> is removed"),
    ("```{=HTML}\n<script>alert(1)</script>\n```", "16:1: warning: the HTML element <script> is removed"),
    ("Text [link](\x01javascript:alert(1)).", "15:6: warning: the link javascript:alert(1) is removed"),
    ("::: box\nA box that is never closed.", "15: error: this '::: ' block is never closed"),
])
def test_hostile_markdown_is_reported(project, capsys, markdown, expected):
    add_to_chapter(project, markdown)
    main(["check", "--project", str(project)])
    out = capsys.readouterr().out
    assert f"02-findings.md:{expected}" in out, out


def test_dangerous_html_never_reaches_an_output(project):
    add_to_chapter(project, '<script>alert("x")</script>\n\n'
                            'Text <img src="../images/square.svg" alt="square" onerror="alert(2)"> '
                            '<a href="javascript:alert(3)">link</a> <span style="color:red">red</span>')
    build(project, options=BuildOptions(formats=("html", "epub")))
    out = project / "output"
    texts = [(out / "html" / "findings.html").read_text()]
    with zipfile.ZipFile(out / "minimal.epub") as epub:
        texts += [epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml")]
    for text in texts:
        assert "<script>alert" not in text and "onerror" not in text and "javascript:" not in text
        assert 'style="color:red"' not in text
    assert 'alt="square"' in texts[0]


def test_a_remote_image_is_never_fetched(project):
    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        add_to_chapter(project, f"![Remote]({url}/a.png)\n\n<img src=\"{url}/b.png\" alt=\"b\">")
        with pytest.raises(UserError) as failure:
            build(project)
        messages = [str(d) for d in failure.value.diagnostics]
        assert any(f"image {url}/a.png is on the internet" in m for m in messages)
        assert any(f"image {url}/b.png is on the internet" in m for m in messages)
        (project / "templates").mkdir()
        (project / "templates" / "pdf.css").write_text(f'body {{ background: url("{url}/c.png"); }}')
        project.joinpath("chapters", "02-findings.md").write_text("# Findings\n\nText.\n")
        with pytest.raises(UserError):
            build(project, options=BuildOptions(formats=("pdf",)))
        time.sleep(0.2)
        assert requests == []
    finally:
        server.shutdown()


def test_bad_files_are_clean_errors(project):
    (project / "images" / "fake.png").write_text("this is not a picture")
    (project / "chapters" / "03-big.md").write_bytes(b"# Big\n\n" + b"word " * 1_100_000)
    add_to_chapter(project, "![A fake picture](../images/fake.png)")
    _paper, problems = diagnose(project)
    messages = [str(d) for d in problems]
    assert any("03-big.md: error: this chapter is 5 MB" in m for m in messages)
    assert any("image ../images/fake.png is not a picture" in m for m in messages)


def test_killed_build_leaves_the_previous_output(project):
    assert subprocess.run([*BUILD, "--project", str(project)], capture_output=True).returncode == 0
    out = project / "output"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".build.lock"}
    add_to_chapter(project, "A change that the killed build never publishes.")
    process = subprocess.Popen([*BUILD, "--project", str(project)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not list(out.glob(".staging-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p.name != ".build.lock"
             and ".staging-" not in str(p)}
    assert after == before
    assert subprocess.run([*BUILD, "--project", str(project)], capture_output=True).returncode == 0
    assert not list(out.glob(".staging-*"))  # the next build cleans up what the killed one left


def test_two_builds_at_once_both_end_well(project):
    processes = [subprocess.Popen([*BUILD, "--project", str(project)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(2)]
    assert [p.wait(timeout=180) for p in processes] == [0, 0]
    out = project / "output"
    assert len(pypdf.PdfReader(out / "minimal.pdf").pages) == 12
    with zipfile.ZipFile(out / "minimal.epub") as epub:
        assert epub.testzip() is None
    assert not list(out.glob(".staging-*"))


def test_source_date_epoch_gives_identical_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    project = copy_project("minimal", tmp_path)
    build(project, tmp_path / "one")
    moved = shutil.copytree(project, tmp_path / "elsewhere")  # another folder, another process
    assert subprocess.run([*BUILD, "--project", str(moved), "--out", str(tmp_path / "two")],
                          capture_output=True).returncode == 0
    def files(folder: Path) -> dict[Path, bytes]:
        return outputs(folder)

    one, two = files(tmp_path / "one"), files(tmp_path / "two")
    assert one.keys() == two.keys() and [k for k in one if one[k] != two[k]] == []
    assert pypdf.PdfReader(tmp_path / "one" / "minimal.pdf").metadata["/CreationDate"] == "D:20231114221320Z"


front_matter = st.dictionaries(st.sampled_from(["title", "authors", "session", "abstract", "other"]),
                               st.one_of(st.text(max_size=30), st.integers(), st.lists(st.text(max_size=10))),
                               max_size=4)
markdown = st.text(alphabet=st.sampled_from(list("#*_[]()!@:{}<>`|-\n \\\"'aé1")), max_size=300)
bibtex = st.text(alphabet=st.sampled_from(list("@{}=,\"#%\\ \naAbé1")), max_size=300)


@settings(max_examples=40, deadline=10_000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(front=front_matter, body=markdown, bib=bibtex)
def test_random_input_gives_a_result_or_a_clean_error(project, front, body, bib):
    import yaml

    chapter = project / "chapters" / "01-intro.md"
    chapter.write_text("---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body)
    (project / "references.bib").write_text(bib)
    start = time.monotonic()
    try:
        _paper, problems = diagnose(project)
    except UserError:
        pass
    assert time.monotonic() - start < 10
    references, problems = load_bibliography(project)
    assert all(str(p) for p in problems)


def test_outputs_are_published_together(project, monkeypatch):
    """All formats appear at once, by one switch of output/current; a build stopped just
    before the switch publishes nothing, and the next one publishes everything."""
    import paper.publish

    build(project)
    out = project / "output"
    first = (out / "current").resolve()
    assert all((out / name).resolve().parent == first for name in ("minimal.pdf", "minimal.epub", "html", "cite"))
    before = outputs(out / "current")
    add_to_chapter(project, "A change that is never published.")

    def stopped(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(paper.publish, "switch", stopped)
    with pytest.raises(KeyboardInterrupt):
        build(project)
    assert (out / "current").resolve() == first and outputs(out / "current") == before
    monkeypatch.undo()
    build(project, options=BuildOptions(formats=("pdf",)))
    second = (out / "current").resolve()
    assert second != first and sorted(p.name for p in second.iterdir()) == sorted(p.name for p in first.iterdir())
    assert b"never published" not in (out / "html" / "findings.html").read_bytes()  # the last html build's
    assert (out / "minimal.epub").read_bytes() == before["minimal.epub"]  # carried over from the last build


def test_the_cache_never_trusts_an_edited_output(project):
    build(project, options=BuildOptions(formats=("epub",)))
    out = project / "output"
    good = (out / "minimal.epub").read_bytes()
    (out / "minimal.epub").unlink()
    (out / "current" / "minimal.epub").write_bytes(b"edited by hand")
    build(project, options=BuildOptions(formats=("epub",)))
    assert (out / "minimal.epub").read_bytes() == good


def test_the_preview_survives_any_failed_rebuild(project, monkeypatch, tmp_path):
    """paper serve: a rebuild that fails with a bug, not a user error, is shown in the page and
    the preview goes on; a symbolic link out of the project is never watched."""
    import watchfiles

    import paper.serve

    preview = paper.serve.Preview(project, with_pdf=False)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(paper.serve, "build", broken)
    preview.rebuild()
    assert "failed unexpectedly (RuntimeError: a bug)" in preview.problems
    monkeypatch.undo()
    preview.rebuild()
    assert preview.problems == "" and preview.version == 1
    (tmp_path / "elsewhere").mkdir()
    (project / "chapters" / "linked").symlink_to(tmp_path / "elsewhere")
    root = project.resolve()
    assert not paper.serve.watched(watchfiles.Change.added, str(root / "chapters" / "linked"), root)
    assert not paper.serve.watched(watchfiles.Change.added, str(tmp_path / "elsewhere" / "x.md"), root)
    assert paper.serve.watched(watchfiles.Change.modified, str(root / "chapters" / "01-intro.md"), root)


def test_a_build_that_takes_too_long_is_stopped(project):
    """The whole build is bounded in time (pandoc runs are, and WeasyPrint's layout too): it
    stops with one error, and the published outputs stay as they were."""
    assert subprocess.run([*BUILD, "--project", str(project)], capture_output=True).returncode == 0
    before = outputs(project / "output")
    add_to_chapter(project, "A change that is never published.")
    start = time.monotonic()
    result = subprocess.run([*BUILD, "--project", str(project), "--no-cache"], capture_output=True, text=True,
                            env={**os.environ, "PAPER_BUILD_TIME_LIMIT": "1"})
    assert result.returncode == 1 and time.monotonic() - start < 30
    assert "error: the build took longer than 1 s and was stopped" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert outputs(project / "output") == before
