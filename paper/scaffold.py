"""`paper new` (a paper that builds at once), `paper series new` (a series with its first
paper), `paper chapter new TITLE` (an empty chapter) and `paper chapter new --from-notes` (a
chapter drafted from a workshop session's notes)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic, error, warning
from .errors import UserError
from .loader import FRONT_MATTER, chapter_id
from .yamlfile import parse_yaml

SCAFFOLD = Path(__file__).parent / "scaffold"
NOTES_KEYS = ("title", "session", "date", "speakers", "presentations", "key-points", "open-questions")
GITIGNORE = "# What paper build makes: it is made again from the sources, never kept in git\noutput/\n"
SECTION = re.compile(r"^##\s+(.+?)\s*$")
ITEM = re.compile(r"^\s*[-*+]\s+(.+?)\s*$")


def new_paper(folder: Path) -> Path:
    """Copy the sample paper into a new folder, with its title and today's date filled in."""
    if folder.exists() and any(folder.iterdir()):
        raise UserError([error(folder, 0, "folder-not-empty",
                               "this folder already has files in it: choose a new folder name")])
    shutil.copytree(SCAFFOLD, folder, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    title = folder.resolve().name.replace("-", " ").replace("_", " ").strip().capitalize() or "New paper"
    config = folder / "paper.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("TITLE", title)
                      .replace("DATE", dt.date.today().isoformat()), encoding="utf-8")
    (folder / "images").mkdir(exist_ok=True)
    (folder / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return folder


SERIES_YAML = """# The series: what every paper in it shares. Every key is explained in the editors'
# reference ("Publishing a series"). Each paper is a folder in papers/ with its own paper.yaml.

name: NAME
# names:                                # the series' name in its other languages
#   es: Documentos de discusión
# issn: 2049-3630                       # printed in every paper, sent with the deposits
# publisher: The publishing institution
# ror: https://ror.org/05dxps055        # the publisher's ROR id
languages: [en]                         # the catalogue's languages: [en, es, pt-BR]
# site-url: https://example.org/papers/ # where the series' website will be published
design:                                 # what every paper takes unless its paper.yaml says otherwise
  license: CC BY 4.0
  # citation-style: chicago-author-date
  # page-size: A4
"""


def new_series(folder: Path) -> Path:
    """A new series folder: series.yaml and a first paper, number 1, in papers/."""
    if folder.exists() and any(folder.iterdir()):
        raise UserError([error(folder, 0, "folder-not-empty",
                               "this folder already has files in it: choose a new folder name")])
    folder.mkdir(parents=True, exist_ok=True)
    name = folder.resolve().name.replace("-", " ").replace("_", " ").strip().capitalize() or "New series"
    (folder / "series.yaml").write_text(SERIES_YAML.replace("NAME", name), encoding="utf-8")
    (folder / ".gitignore").write_text(GITIGNORE + "papers/*/output/\n", encoding="utf-8")
    paper = new_paper(folder / "papers" / "first-paper")
    config = paper / "paper.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("# series:\n#   name: Discussion Papers\n#   number: 1\n",
                        "series:\n  number: 1   # the series' name and ISSN come from series.yaml\n")
    text = text.replace("license: CC BY 4.0\n", "# license: CC BY 4.0     # the series' design gives it\n")
    config.write_text(text, encoding="utf-8")
    (paper / ".gitignore").unlink()
    return folder


def check_placeholders(paper: Any) -> list[Diagnostic]:
    """Warnings for the sample text of `paper new` still in the paper, where it would be printed:
    paper.yaml's values that are still those of the sample, and chapters still as shipped."""
    path = paper.root / "paper.yaml"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []  # reported by the loader
    data, lines, _problems = parse_yaml(text, Path("paper.yaml"))
    sample, _lines, _ = parse_yaml((SCAFFOLD / "paper.yaml").read_text(encoding="utf-8"), Path("paper.yaml"))
    found = []
    for key in ("authors", "abstract", "keywords"):
        ours, theirs = (data or {}).get(key), sample.get(key)
        items = zip(ours, theirs, strict=False) if isinstance(ours, list) and isinstance(theirs, list) \
            else [(ours, theirs)]
        for index, (value, placeholder) in enumerate(items):
            if value == placeholder and value is not None:
                where = lines.get((key, index) if isinstance(ours, list) else (key,)) or lines.get((key,), 1)
                found.append(warning(Path("paper.yaml"), where, "placeholder",
                                     f"'{key}' still has the sample text of 'paper new': give the paper's own"))
    for chapter in paper.chapters:
        shipped = SCAFFOLD / "chapters" / chapter.path.name
        if shipped.is_file() and (paper.root / chapter.path).read_bytes() == shipped.read_bytes():
            found.append(warning(chapter.path, 1, "placeholder", "this is still the sample chapter of "
                                 "'paper new', which would be printed: write the chapter, or delete the file"))
    return found


def read_notes(path: Path, shown: Path) -> dict[str, Any]:
    """A session's notes: YAML, or Markdown with front matter and '## Key points',
    '## Open questions' and '## Presentations' lists."""
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    match = FRONT_MATTER.match(text) if path.suffix.lower() in (".md", ".markdown") else None
    source = (match.group(1) or "") if match else text if path.suffix.lower() in (".yaml", ".yml") else ""
    data, lines, problems = parse_yaml(source, shown, first_line=2 if match else 1)
    if problems:
        raise UserError(problems)
    data = data if isinstance(data, dict) else {}
    for key in data:
        if key not in NOTES_KEYS:
            problems.append(error(shown, lines.get((key,), 1), "unknown-key",
                                  f"unknown key '{key}' in the notes: allowed are " + ", ".join(NOTES_KEYS)))
    if match:
        section = None
        for line in text[match.end():].splitlines():
            heading = SECTION.match(line)
            if heading:
                section = heading.group(1).strip().lower().replace(" ", "-")
            elif section in ("key-points", "open-questions", "presentations") and (item := ITEM.match(line)):
                data.setdefault(section, []).append(item.group(1))
    if not data.get("title") and not data.get("session"):
        problems.append(error(shown, 1, "no-title", "the notes need a 'title:' (or 'session:') line "
                              "at the top, between two '---' lines"))
    if problems:
        raise UserError(problems)
    return data


def new_chapter(root: Path, title: str) -> Path:
    """A new chapter after the last one, with its title and nothing else to be printed."""
    front = {"title": title.strip()}
    body = ["<!-- Write the chapter here: paragraphs separated by an empty line, sections with '##'. "
            "The authors' guide shows the rest. -->"]
    return write_chapter(root, front, body)


def chapter_from_notes(root: Path, notes: Path) -> Path:
    """Draft a chapter from a session's notes: front matter filled in, key points as sections."""
    path = notes if notes.is_file() else root / notes
    if not path.is_file():
        raise UserError([error(notes, 0, "no-notes", "this notes file does not exist: check the path")])
    data = read_notes(path, notes)
    title = str(data.get("title") or data.get("session")).strip()
    front: dict[str, Any] = {"title": title, "session": str(data.get("session") or title)}
    speakers = [speaker_name(s) for s in data.get("speakers") or []]
    if speakers:
        front["contributors"] = speakers
    front["notes"] = Path(path.resolve()).relative_to(root.resolve()).as_posix() \
        if path.resolve().is_relative_to(root.resolve()) else str(notes)
    body = [f"<!-- Drafted from {front['notes']} with 'paper chapter new'. Develop each section "
            "from the key point it is named after, then delete this comment. -->", ""]
    for item in data.get("presentations") or []:
        body.append(f"<!-- Presentation in this session: {item} -->")
    if data.get("presentations"):
        body.append("")
    for point in data.get("key-points") or []:
        body += [f"## {point.rstrip('.')}", ""]
    if data.get("open-questions"):
        body += ["## Open questions", ""] + [f"- {q}" for q in data["open-questions"]] + [""]
    return write_chapter(root, front, body)


def write_chapter(root: Path, front: dict[str, Any], body: list[str]) -> Path:
    """chapters/NN-slug.md after the last numbered chapter, unless a chapter of that title, or
    one drafted from the same notes, is there already (running the command twice makes none)."""
    chapters = root / "chapters"
    chapters.mkdir(exist_ok=True)
    slug = chapter_id(Path(front["title"] + ".md"))
    for existing in sorted(chapters.glob("*.md")):
        same_notes = "notes" in front and chapter_front(existing).get("notes") == front["notes"]
        if same_notes or chapter_id(existing) == slug:
            why = f"drafted from {front['notes']}" if same_notes else f"titled '{front['title']}'"
            raise UserError([error(existing, 1, "chapter-exists",
                                   f"this chapter is {why} already: edit it, or delete it to make it again")])
    numbers = [int(m.group(1)) for p in chapters.glob("*.md") if (m := re.match(r"(\d+)", p.name))]
    target = chapters / f"{max(numbers, default=0) + 1:02d}-{slug}.md"
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=100)
    target.write_text(f"---\n{header}---\n\n" + "\n".join(body).rstrip() + "\n", encoding="utf-8")
    return target


def chapter_front(path: Path) -> dict[str, Any]:
    """A chapter's front matter, or nothing if it has none that can be read."""
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8-sig", errors="replace").replace("\r\n", "\n"))
    data, _lines, problems = parse_yaml(match.group(1) or "", path) if match else ({}, {}, [])
    return data if isinstance(data, dict) and not problems else {}


def speaker_name(speaker: Any) -> str:
    if isinstance(speaker, dict):
        name = str(speaker.get("name", "")).strip()
        institution = str(speaker.get("institution", "")).strip()
        return f"{name} ({institution})" if institution else name
    return str(speaker).strip()
