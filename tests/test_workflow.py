"""The editor's and author's commands through their real entry points: check, serve, new, chapter."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import copy_project

from paper.cli import main

PAPER = str(Path(sys.executable).parent / "paper")


def with_known_problems(project: Path) -> None:
    intro = project / "chapters" / "01-intro.md"
    text = intro.read_text().replace("@fruhling2003 and", "@fruhlng2003 and")
    intro.write_text(text + "\nSee [the method](#no-such-section) and ![A map](../images/map.png).\n")
    config = project / "paper.yaml"
    config.write_text(config.read_text().replace("date: 2020-05-04", "date: May 2020"))


def test_check_lists_every_problem_in_order(project, capsys):
    with_known_problems(project)
    assert main(["check", "--project", str(project)]) == 1
    lines = [line.replace(str(project) + "/", "") for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        "chapters/01-intro.md:9:34: error: citation @fruhlng2003 is not in the bibliography: "
        "did you mean @fruhling2003? [unknown-citation]",
        "chapters/01-intro.md:25:5: error: the link to #no-such-section leads nowhere: no heading "
        "or {#id} has that name, and the website may have no broken links [broken-link]",
        "chapters/01-intro.md:25:40: error: image ../images/map.png not found next to the chapter or "
        "in the project folder: check the file name [missing-image]",
        "paper.yaml:11: error: 'May 2020' is not a date: write YYYY-MM-DD, e.g. 2012-12-10 [bad-date]",
        "checked paper.yaml and 2 chapters: 4 error(s), 0 warning(s)",
    ]


def test_check_as_json(project, capsys):
    with_known_problems(project)
    assert main(["check", "--project", str(project), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["errors"], report["warnings"]) == (4, 0)
    first = report["diagnostics"][0]
    assert first["path"].endswith("chapters/01-intro.md")
    assert (first["line"], first["column"], first["level"], first["code"]) == (9, 34, "error",
                                                                               "unknown-citation")


def test_new_paper_builds_at_once(tmp_path, capsys):
    folder = tmp_path / "citizen-security-2"
    assert main(["new", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [".gitignore", "README.md", "chapters", "images",
                                                        "paper.yaml", "references.bib"]
    assert "output/" in (folder / ".gitignore").read_text().splitlines()
    assert "title: Citizen security 2" in (folder / "paper.yaml").read_text()
    capsys.readouterr()
    assert main(["build", "--project", str(folder)]) == 0
    assert (folder / "output" / "citizen-security-2.pdf").is_file()
    # what the sample still says is pointed out, where it is, and nothing made up is printed
    placeholders = [line for line in capsys.readouterr().err.splitlines() if line.endswith("[placeholder]")]
    assert [line.split(": warning")[0].removeprefix(str(folder) + "/") for line in placeholders] == [
        "chapters/01-introduction.md:1", "chapters/02-findings.md:1", "paper.yaml:10", "paper.yaml:18",
        "paper.yaml:21", "paper.yaml:22"]
    introduction = (folder / "output" / "html" / "introduction.html").read_text()
    assert "Introduction" in introduction and "The session this chapter was drawn from" not in introduction
    assert main(["new", str(folder)]) == 1  # never over an existing paper
    assert "this folder already has files in it" in capsys.readouterr().err


def test_a_new_chapter_by_its_title_once(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert main(["chapter", "new", "Local Governance Experience"]) == 0
    chapter = project / "chapters" / "03-local-governance-experience.md"
    assert chapter.read_text().startswith("---\ntitle: Local Governance Experience\n---\n\n<!--")
    assert main(["chapter", "new", "Local governance experience"]) == 1  # the same chapter: none made
    assert f"{chapter.relative_to(project)}:1: error: this chapter is titled 'Local governance experience' already" \
        in capsys.readouterr().err
    assert sorted(p.name for p in (project / "chapters").iterdir())[-1] == chapter.name
    assert main(["chapter", "new"]) == 1 and main(["chapter", "new", "X", "--from-notes", "n.md"]) == 1
    assert main(["build", "--format", "html"]) == 0
    page = project / "output" / "html" / "local-governance-experience.html"
    assert "Local Governance Experience" in page.read_text()


def test_session_notes_become_a_chapter(project, monkeypatch):
    notes = project / "notes"
    notes.mkdir()
    (notes / "theme-2.md").write_text(
        "---\ntitle: Inclusive Information Systems\nsession: \"Theme 2: Information systems\"\n"
        "speakers:\n  - name: Ana Souza\n    institution: Test Institute\n  - Jorge Pérez\n---\n\n"
        "## Key points\n\n- Police records miss unreported crime.\n- Surveys fill the gap.\n\n"
        "## Open questions\n\n- Who pays for the surveys?\n")
    monkeypatch.chdir(project)
    assert main(["chapter", "new", "--from-notes", "notes/theme-2.md"]) == 0
    chapter = project / "chapters" / "03-inclusive-information-systems.md"
    text = chapter.read_text()
    assert text.startswith("---\ntitle: Inclusive Information Systems\nsession: 'Theme 2: Information systems'\n"
                           "contributors:\n- Ana Souza (Test Institute)\n- Jorge Pérez\nnotes: notes/theme-2.md\n---")
    assert "## Police records miss unreported crime\n" in text and "- Who pays for the surveys?" in text
    assert main(["build", "--format", "html"]) == 0
    page = (project / "output" / "html" / "inclusive-information-systems.html").read_text()
    assert "With contributions from: Ana Souza (Test Institute); Jorge Pérez" in page
    assert "</span> Surveys fill the gap</h2>" in page
    # the same notes again make no second chapter
    assert main(["chapter", "new", "--from-notes", "notes/theme-2.md"]) == 1
    assert sorted(p.name for p in (project / "chapters").iterdir())[-1] == chapter.name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def test_serve_rebuilds_on_save_and_shows_errors(project):
    port = free_port()
    server = subprocess.Popen([PAPER, "serve", "--project", str(project), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: "Findings of the second chapter" in fetch(f"{base}/html/findings.html"), 60)
        page = fetch(f"{base}/html/findings.html")
        assert "/__paper/reload.js" in page and "/__paper/state" in fetch(f"{base}/__paper/reload.js")
        version = json.loads(fetch(f"{base}/__paper/state"))["version"]
        chapter = project / "chapters" / "02-findings.md"
        chapter.write_text(chapter.read_text().replace("Plain bookdown-style", "Freshly edited"))
        assert wait_for(lambda: "Freshly edited" in fetch(f"{base}/html/findings.html"), 20)
        assert json.loads(fetch(f"{base}/__paper/state"))["version"] > version
        chapter.write_text(chapter.read_text().replace("[@undp1994;", "[@nobody;"))
        assert wait_for(lambda: "@nobody" in json.loads(fetch(f"{base}/__paper/state"))["problems"], 20)
        state = json.loads(fetch(f"{base}/__paper/state"))
        assert "02-findings.md:7:14: error: citation @nobody" in state["problems"]
        assert "Freshly edited" in fetch(f"{base}/html/findings.html")  # the last good page stays
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=15) == 0


def test_progress_names_each_edition_and_shows_in_a_log(tmp_path):
    """Redirected to a file (as in CI), the build still says what it does, per edition, and ends
    with its time; -q keeps only the problems."""
    root = copy_project("editions", tmp_path)
    run = [PAPER, "build", "--project", str(root), "--format", "pdf,html"]
    shown = subprocess.run(run + ["--no-cache"], capture_output=True, text=True, check=True).stderr.splitlines()
    languages = {line.split(":")[0] for line in shown if ": pdf: done in " in line}
    assert len(languages) >= 2 and "en" in languages, shown
    assert shown[-1].startswith("built in ") and float(shown[-1].split()[2]) > 0, shown
    quiet = subprocess.run(run + ["-q"], capture_output=True, text=True, check=True)
    assert all(": warning: " in line for line in quiet.stderr.splitlines()) and "pdf: " in quiet.stdout
