"""The hostile suite: chapters, front matter, images, bibliographies, templates and paper.yaml
files written by an attacker, each either refused with a located error or published clean.

For every case: nothing from outside the project reaches any output (the canary), no request
reaches a listener on 127.0.0.1, no output holds markup that could run a script (checked with
an HTML parser), nothing is written outside output/, there is no traceback, time and memory
stay bounded, and a refused build leaves the previous outputs as they were."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import resource
import shutil
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest
from conftest import PROJECTS

from paper.cli import main
from paper.resolve import normalise_url, scheme

CANARY = "CANARY-7F3A-OUTSIDE"
CHAPTER = "chapters/02-findings.md"


class Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        Recorder.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def listener():
    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The minimal sample paper, built once; each case starts from a copy of it."""
    base = tmp_path_factory.mktemp("built")
    project = base / "paper"
    shutil.copytree(PROJECTS / "minimal", project)
    assert main(["build", "--project", str(project), "--format", "pdf,html,epub"]) == 0
    return project


def outside_files(folder: Path) -> None:
    """What an attacker would like to read: every one holds the canary."""
    folder.mkdir()
    (folder / "canary.txt").write_text(CANARY)
    (folder / "canary.md").write_text(f"# {CANARY}\n\n{CANARY}\n")
    (folder / "canary.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50">'
                                       f'<text x="5" y="30">{CANARY}</text></svg>')
    (folder / "canary.bib").write_text(f"@book{{canary, title = {{{CANARY}}}, author = {{A, B}}, year = 2000}}\n")
    (folder / "paper.yaml").write_text(f"title: {CANARY}\nauthors: [{{name: A B}}]\ndate: 2020\n")
    (folder / "chapters").mkdir()
    (folder / "chapters" / "01-canary.md").write_text(f"# {CANARY}\n")
    (folder / "parent.csl").write_text(f"<style>{CANARY}</style>")


def append(text: str) -> Callable[[Path, Path, str], None]:
    def change(project: Path, outside: Path, url: str) -> None:
        chapter = project / CHAPTER
        chapter.write_text(chapter.read_text() + "\n" + text.format(outside=outside, url=url) + "\n")
    return change


def write(name: str, content: str | bytes) -> Callable[[Path, Path, str], None]:
    def change(project: Path, outside: Path, url: str) -> None:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.format(outside=outside, url=url))
    return change


def link(name: str, target: str) -> Callable[[Path, Path, str], None]:
    def change(project: Path, outside: Path, url: str) -> None:
        path = project / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        path.symlink_to(outside / target)
    return change


def yaml_config(extra: str) -> Callable[[Path, Path, str], None]:
    def change(project: Path, outside: Path, url: str) -> None:
        config = project / "paper.yaml"
        config.write_text(config.read_text() + extra.format(outside=outside, url=url))
    return change


def retitle(prefix: str) -> Callable[[Path, Path, str], None]:
    def change(project: Path, outside: Path, url: str) -> None:
        config = project / "paper.yaml"
        config.write_text(config.read_text().replace("title: ", "title: " + prefix, 1))
    return change


def many(*changes: Callable[[Path, Path, str], None]) -> Callable[[Path, Path, str], None]:
    def change(project: Path, outside: Path, url: str) -> None:
        for one in changes:
            one(project, outside, url)
    return change


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` pixels (a decompression bomb's first bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def svg(body: str) -> str:
    return ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="10" height="10">{body}</svg>')


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [*{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}]\n"
    for a, b in zip("abcdefgh", "bcdefghi", strict=True))
STRINGS = '@string{s0 = "xxxxxxxxxxxxxxxx"}\n' + "".join(
    f"@string{{s{i + 1} = s{i} # s{i}}}\n" for i in range(40)) + \
    "@book{big, title = s40, author = {A, B}, year = 2000}\n"
USE_BOMB = svg('<defs><g id="a"><rect width="1" height="1"/><rect width="1" height="1"/></g>' + "".join(
    f'<g id="{chr(98 + i)}">' + f'<use xlink:href="#{chr(97 + i)}"/>' * 10 + "</g>" for i in range(9)) +
    '</defs><use xlink:href="#j"/>')


@dataclass(frozen=True)
class Case:
    name: str
    change: Callable[[Path, Path, str], None]
    refused: str = ""
    """The start of the located error ('chapters/02-findings.md:15:1: error: '), its code in
    brackets, or "" when the build must succeed with the danger removed."""
    formats: str = "html,epub"
    out: str = ""
    kept: str = ""
    """Text the published page must still show."""


CASES = [
    # scripts
    Case("raw html4", append("```{{=html4}}\n<script>alert(1)</script>\n```")),
    Case("raw HTML upper case", append("```{{=HTML}}\n<script>alert(1)</script>\n```")),
    Case("raw html5 inline", append("Text `<script>alert(1)</script>`{{=html5}} more.")),
    Case("entity in a javascript href", append('<a href="javascript&#58;alert(1)">x</a>')),
    Case("control character before the scheme", append("[kept link text](\x01javascript:alert(1))"),
         kept="kept link text"),
    Case("tab inside the scheme", append("[tabbed link](<java\tscript:alert(1)>)"), kept="tabbed link"),
    Case("slash-separated handler", append('<img src="../images/square.svg"/onerror="alert(1)" alt="s">')),
    Case("meta refresh", append('<meta http-equiv="refresh" content="0;url={url}/refresh">')),
    Case("inline svg with a script", append("<svg><script>alert(1)</script></svg>")),
    Case("script in a comment trick", append("<!--<script>-->alert(1)<!--</script>-->")),
    Case("attributes in Markdown", append("[red words stay]{{style=\"color:red\" onclick=\"alert(1)\" "
                                          "href=\"javascript:x\"}}"), kept="red words stay"),
    Case("iframe object embed", append('<iframe src="{url}/frame"></iframe><object data="{url}/o"></object>'
                                       '<embed src="{url}/e">')),
    Case("form", append('<form action="javascript:alert(1)"><button formaction="javascript:x">go</button></form>')),
    Case("style import", append("<style>@import url({url}/style.css);</style>")),
    Case("file link", append("[passwords](file:///etc/passwd)")),
    Case("tool's own chapter marker", append('```{{=paper-chapter}}\n{{"id": "../../../../escaped", "title": "x", '
                                             '"source": "", "role": "chapter", "classes": []}}\n```')),
    Case("tool's own settings", append('```{{=paper-settings}}\n{{"labels": {{}}}}\n```')),
    Case("a heading posing as a chapter", append("# Fake {{.chapter paper-role=part source=/etc/passwd}}")),
    Case("latex raw block", append("```{{=latex}}\n\\input{{/etc/passwd}}\n```")),
    Case("svg image with a script", many(write("images/evil.svg", svg("<script>alert(1)</script>")),
                                         append("![Evil](../images/evil.svg)")),
         refused=f"{CHAPTER}:15:1: error: image ../images/evil.svg contains a <script>"),
    Case("svg image with a handler", many(write("images/evil.svg", svg('<rect onload="alert(1)"/>')),
                                          append("![Evil](../images/evil.svg)")), refused="[bad-image]"),
    Case("svg animate to javascript", many(
        write("images/evil.svg", svg('<a><animate attributeName="href" values="javascript:alert(1)"/>'
                                     '<text>x</text></a>')),
        append("![Evil](../images/evil.svg)")), refused="[bad-image]"),
    Case("svg foreignObject", many(write("images/evil.svg", svg("<foreignObject><p>x</p></foreignObject>")),
                                   append("![Evil](../images/evil.svg)")), refused="[bad-image]"),
    # files outside the project
    Case("chapter symlink", link("chapters/02-findings.md", "canary.md"),
         refused=f"{CHAPTER}: error: this chapter is a link to a file elsewhere"),
    Case("chapters folder symlink", link("chapters", "chapters"), refused="chapters: error: chapters/ is a link"),
    Case("bibliography symlink", link("references.bib", "canary.bib"), refused="references.bib: error:"),
    Case("paper.yaml symlink", link("paper.yaml", "paper.yaml"), refused="paper.yaml: error: paper.yaml is a link"),
    Case("chapter path outside", yaml_config("chapters: [../../outside/chapters/01-canary.md]\n"),
         refused="[missing-chapter]"),
    Case("appendix path absolute", yaml_config("appendices: ['{outside}/canary.md']\n"), refused="[missing-chapter]"),
    Case("video audio poster", append('<video src="{outside}/canary.svg" poster="{outside}/canary.svg"></video>'
                                      '<audio src="{outside}/canary.svg"></audio><source src="{outside}/canary.svg">')),
    Case("reference-style image, FILE: URL", append("![x][c]\n\n[c]: FILE://{outside}/canary.svg"),
         refused="[remote-image]"),
    Case("image outside by ../", append("![Elsewhere](../../../outside/canary.svg)"), refused="[missing-image]"),
    Case("image by absolute path", append("![Secret]({outside}/canary.svg)"),
         refused=f"{CHAPTER}:15:1: error: image"),
    Case("html image outside", append('<img src="{outside}/canary.svg" alt="x">'), refused="[missing-image]"),
    Case("srcset", append('<img src="../images/square.svg" srcset="{url}/big.png 2x, {outside}/canary.svg 3x" '
                          'alt="x">')),
    Case("image symlink", many(link("images/square.svg", "canary.svg")), refused="[missing-image]"),
    Case("svg image referring outside", many(
        write("images/evil.svg", svg('<image href="FILE://{outside}/canary.svg" width="5" height="5"/>')),
        append("![Evil](../images/evil.svg)")), refused="[bad-image]", formats="pdf,html,epub"),
    Case("svg image with an entity", many(
        write("images/evil.svg", '<!DOCTYPE svg [<!ENTITY x SYSTEM "file://{outside}/canary.txt">]>'
              + svg("<text>&x;</text>")),
        append("![Evil](../images/evil.svg)")), refused="[bad-image]"),
    Case("title closing the style", retitle("</style><img src=x onerror=alert(1)> "), formats="pdf,html,epub"),
    Case("csl with a parent", many(write("style.csl", '<?xml version="1.0"?><style xmlns="http://purl.org/net/'
                                                      'xbiblio/csl" version="1.0"><info><link rel="independent-parent" '
                                                      'href="file://{outside}/parent.csl"/></info></style>'),
                                   yaml_config("citation-style: style.csl\n")), refused="[bad-style]"),
    Case("csl outside", yaml_config("citation-style: '{outside}/parent.csl'\n"), refused="[unknown-style]"),
    Case("cover image outside", yaml_config("cover-image: '{outside}/canary.svg'\n"), refused="[missing-file]"),
    Case("cover image pixel bomb", many(write("images/bomb.png", png_header(100_000, 100_000)),
                                        yaml_config("cover-image: images/bomb.png\n")),
         refused="paper.yaml:18: error: image images/bomb.png has far too many pixels"),
    Case("link to a file outside", append("[the secret]({outside}/canary.txt) and [up](../../../outside/canary.txt)"),
         refused=f"{CHAPTER}:15:1: error: the link to"),
    Case("chapter posing as the search page", write("chapters/03-search.md", "# Search\n"),
         kept="Search"),
    # the network
    Case("remote reference-style image", append("![x][c]\n\n[c]: {url}/x.png"), refused="[remote-image]"),
    Case("remote audio", append('<audio src="{url}/a.mp3"></audio>')),
    Case("remote css in a template", write("templates/pdf.css", 'body {{ background: url("{url}/c.png"); }}'),
         refused="[refused-url]", formats="pdf"),
    # writes outside output/
    Case("image up two folders, html only", append("![x](../../x.png)"), refused="[missing-image]", formats="html"),
    Case("output is a file", lambda project, outside, url: (project / "taken").write_text("x"),
         refused="taken: error: cannot", out="taken"),
    # tracebacks and hangs
    Case("billion laughs in paper.yaml", yaml_config("extra:\n" + "".join("  " + line + "\n" for line in
                                                                          LAUGHS.splitlines())),
         refused="paper.yaml:"),
    Case("billion laughs in front matter", write("chapters/02-findings.md", "---\n" + LAUGHS + "---\n# T\n"),
         refused=f"{CHAPTER}:3: error: invalid YAML: an alias"),
    Case("deep nesting", append("> " * 600 + "deep"), refused=f"{CHAPTER}:1: error: this chapter nests"),
    Case("deep lists", append("".join("  " * i + "- x\n" for i in range(300))), refused="[too-deep]"),
    Case("nesting a book may have", append("".join("  " * i + "- x\n" for i in range(8)) + "\n> > > quoted")),
    Case("deep yaml", yaml_config("extra: " + "[" * 2000 + "]" * 2000 + "\n"), refused="paper.yaml:"),
    Case("doubling @string", write("references.bib", STRINGS.encode()),
         refused="references.bib:14: error: this value"),
    Case("svg use fan-out", many(write("images/bomb.svg", USE_BOMB), append("![Bomb](../images/bomb.svg)")),
         refused="[bad-image]"),
    Case("pixel bomb", many(write("images/bomb.png", png_header(100_000, 100_000)),
                            append("![Bomb](../images/bomb.png)")), refused="[bad-image]"),
    Case("not a picture", many(write("images/fake.png", "not a picture"), append("![Fake](../images/fake.png)")),
         refused="is not a picture"),
    Case("10,000 chapters", lambda project, outside, url: [
        (project / "chapters" / f"{i:05}-c.md").write_text("# C\n") for i in range(10_000)],
         refused="[too-many-chapters]"),
    Case("paper.yaml not UTF-8", write("paper.yaml", b"title: caf\xe9\nauthors: [{name: A B}]\ndate: 2020\n"),
         refused="paper.yaml:1: error: paper.yaml is not UTF-8"),
    Case("chapter not UTF-8", write(CHAPTER, b"# Findings\n\nOne line.\nCaf\xe9 au lait.\n"),
         refused=f"{CHAPTER}:4:4: error: this file is not UTF-8"),
    Case("template reaching Python", write("templates/site-index.html", "{{{{ cycler.__init__.__globals__ }}}}"),
         refused="[template]"),
    Case("broken template", write("templates/site-index.html", "{{% if %}}"), refused="site-index.html:1: error:"),
    Case("huge chapter", write("chapters/03-big.md", "# Big\n\n" + "word " * 1_100_000),
         refused="chapters/03-big.md: error: this chapter is 5 MB"),
]


def snapshot(folder: Path, skip: str = "") -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if skip and path.relative_to(folder).parts[:1] == (skip,):
            continue
        out[str(path.relative_to(folder))] = (
            "link:" + str(path.readlink()) if path.is_symlink() else
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir")
    return out


def published(out: Path) -> dict[str, bytes]:
    """Every published file (through output/current), by name."""
    current = out / "current"
    if not current.is_dir():
        return {}
    return {str(p.relative_to(current)): p.read_bytes() for p in sorted(current.rglob("*")) if p.is_file()}


class ActiveMarkup(HTMLParser):
    """Finds markup that could run a script or fetch something in an HTML or XHTML file."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_script = ""

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script":
            kind = values.get("type") or ""
            source = values.get("src") or ""
            if kind != "application/ld+json" and (not source or scheme(source)):
                self.found.append(f"<script {values}>")
            self.in_script = kind
        if tag in ("iframe", "object", "embed", "frame", "base", "form", "video", "audio", "source"):
            self.found.append(f"<{tag}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.found.append("meta refresh")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}")
            if name in ("href", "src", "action", "formaction", "xlink:href", "poster", "srcset", "data") and value:
                if scheme(value) in ("javascript", "vbscript", "file") or normalise_url(value).lower().startswith(
                        "data:text/html"):
                    self.found.append(f"{tag} {name}={value}")

    def handle_data(self, data):
        if self.in_script == "application/ld+json":
            json.loads(data)

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = ""


def active_markup(files: dict[str, bytes]) -> list[str]:
    found = []
    for name, data in files.items():
        texts = []
        if name.endswith((".html", ".xhtml", ".svg")):
            texts.append((name, data.decode("utf-8", "replace")))
        if name.endswith(".epub"):
            with zipfile.ZipFile(io.BytesIO(data)) as epub:
                texts += [(f"{name}/{member}", epub.read(member).decode("utf-8", "replace"))
                          for member in epub.namelist() if member.endswith((".xhtml", ".html", ".svg"))]
        for where, text in texts:
            parser = ActiveMarkup()
            parser.feed(text)
            found += [f"{where}: {item}" for item in parser.found]
    return found


def canaries(files: dict[str, bytes]) -> list[str]:
    found = [name for name, data in files.items() if CANARY.encode() in data]
    for name, data in files.items():
        if name.endswith(".pdf"):
            text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
            if CANARY in text:
                found.append(name)
        if name.endswith(".epub"):
            with zipfile.ZipFile(io.BytesIO(data)) as epub:
                found += [f"{name}/{m}" for m in epub.namelist() if CANARY.encode() in epub.read(m)]
    return found


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_attack(case, built, listener, tmp_path, capsys):
    project = tmp_path / "paper"
    shutil.copytree(built, project, symlinks=True)
    outside = tmp_path / "outside"
    outside_files(outside)
    case.change(project, outside, listener)
    out = project / (case.out or "output")
    before = published(project / "output")
    around = snapshot(tmp_path, skip="paper") | {"paper/" + k: v for k, v in snapshot(project, "output").items()}
    requests = len(Recorder.requests)
    start = time.monotonic()
    code = main(["build", "--project", str(project), "--format", case.formats,
                 *(["--out", str(out)] if case.out else [])])
    took = time.monotonic() - start
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert took < 120, f"{case.name} took {took:.0f} s"
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    assert peak < 3_000_000, f"{peak // 1000} MB"
    time.sleep(0.1)
    assert Recorder.requests[requests:] == []
    if case.refused:
        assert code == 1, err
        assert case.refused in err, err
        assert published(project / "output") == before
        assert CANARY not in err  # an outside file's content is never echoed
    else:
        assert code == 0, err
    files = published(project / "output")
    assert "html/findings.html" in files and "minimal.epub" in files
    assert canaries(files) == []
    assert active_markup(files) == []
    if case.kept:  # the danger is gone, the author's words stay
        assert case.kept in files["html/findings.html"].decode()
    after = snapshot(tmp_path, skip="paper") | {"paper/" + k: v for k, v in snapshot(project, "output").items()}
    assert after == around, "something was written outside output/"


def test_the_checks_find_what_they_look_for():
    """The suite's own checks, shown to fail on what they must find."""
    page = ('<p><script>alert(1)</script><img src=x onerror="y"><a href="java&#x09;script:x">a</a>'
            '<meta http-equiv="Refresh" content="0"><iframe></iframe><a href="data:text/html,x">d</a></p>')
    found = active_markup({"html/x.html": page.encode()})
    assert len(found) == 6, found
    assert active_markup({"html/x.html": b'<script src="assets/site.js"></script><p>fine</p>'}) == []
    assert canaries({"a.svg": CANARY.encode()}) == ["a.svg"]
