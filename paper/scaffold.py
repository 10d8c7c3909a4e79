"""`paper new` (a paper that builds at once) and `paper chapter new --from-notes` (a chapter
drafted from a workshop session's notes)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import error
from .errors import UserError
from .loader import FRONT_MATTER, chapter_id
from .yamlfile import parse_yaml

SCAFFOLD = Path(__file__).parent / "scaffold"
NOTES_KEYS = ("title", "session", "date", "speakers", "presentations", "key-points", "open-questions")
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
    return folder


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


def chapter_from_notes(root: Path, notes: Path) -> Path:
    """Draft a chapter from a session's notes: front matter filled in, key points as sections."""
    path = notes if notes.is_file() else root / notes
    if not path.is_file():
        raise UserError([error(notes, 0, "no-notes", "this notes file does not exist: check the path")])
    data = read_notes(path, notes)
    title = str(data.get("title") or data.get("session")).strip()
    chapters = root / "chapters"
    chapters.mkdir(exist_ok=True)
    numbers = [int(m.group(1)) for p in chapters.glob("*.md") if (m := re.match(r"(\d+)", p.name))]
    target = chapters / f"{max(numbers, default=0) + 1:02d}-{chapter_id(Path(title + '.md'))}.md"
    if target.exists():
        raise UserError([error(target, 0, "chapter-exists", "a chapter with this name exists already")])
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
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=100)
    target.write_text(f"---\n{header}---\n\n" + "\n".join(body).rstrip() + "\n", encoding="utf-8")
    return target


def speaker_name(speaker: Any) -> str:
    if isinstance(speaker, dict):
        name = str(speaker.get("name", "")).strip()
        institution = str(speaker.get("institution", "")).strip()
        return f"{name} ({institution})" if institution else name
    return str(speaker).strip()
