"""Translated editions: each language's chapters (chapters/es/…) matched to their sources, the
edition's title and abstract from paper.yaml, and a report of what is missing or out of date."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from .cache import Cache
from .diagnostics import Diagnostic, error, warning
from .loader import load_chapters
from .model import Chapter, Paper, PaperMeta, Part

LANGUAGE_NAMES = {"en": "English", "es": "Español", "pt": "Português", "fr": "Français"}
"""Each language's name in itself, for the website's language switcher."""
NAMES_IN_ENGLISH = {"en": "English", "es": "Spanish", "pt": "Portuguese", "fr": "French"}


def language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(language.split("-")[0].lower(), language)


def english_name(language: str) -> str:
    return NAMES_IN_ENGLISH.get(language.split("-")[0].lower(), language)


def edition_code(language: str) -> str:
    """'pt-BR' -> 'pt-br': the edition's part of file and folder names."""
    return language.lower()


def source_hash(root: Path, chapter: Chapter) -> str:
    """A short fingerprint of a source chapter's file: a translation records the one it was made from."""
    return hashlib.sha256((root / chapter.path).read_bytes().replace(b"\r\n", b"\n")).hexdigest()[:12]


def load_translations(paper: Paper, slug: str,
                      cache: Cache | None = None) -> tuple[tuple[Paper, ...], list[Diagnostic]]:
    """Every edition listed under `languages:` after the first, as a whole paper in its language."""
    editions, problems = [], []
    for language in paper.meta.languages[1:]:
        edition, found = load_edition(paper, language, slug, cache)
        editions.append(edition)
        problems += found
    return tuple(editions), problems


def load_edition(source: Paper, language: str, slug: str, cache: Cache | None = None) -> tuple[Paper, list[Diagnostic]]:
    """The chapters in chapters/<language>/, each in its source's place; a chapter not yet
    translated is the source chapter, marked with its language."""
    root = source.root
    folder = Path("chapters") / language
    by_name = {chapter.path.name: chapter for chapter in source.chapters}
    translated: dict[str, Chapter] = {}
    problems: list[Diagnostic] = []
    files = sorted((root / folder).glob("*.md")) if (root / folder).is_dir() else []
    loaded = load_chapters(root, [folder / file.name for file in files], source.meta.limits, cache)
    for file, (chapter, found) in zip(files, loaded, strict=True):
        problems += found
        name = chapter.translation_of or file.name
        if name not in by_name:
            problems.append(error(chapter.path, 0, "unknown-source",
                                  f"this translation's source, chapters/{name}, is not a chapter of the paper: "
                                  "name the file like its source, or set 'translation-of:' to the source's "
                                  "file name"))
        elif name in translated:
            problems.append(error(chapter.path, 0, "duplicate-translation",
                                  f"{translated[name].path} already translates chapters/{name}: keep one"))
        else:
            translated[name] = chapter
    meta = edition_meta(source.meta, language, slug)
    part_titles = {old.title: new.title for old, new in zip(source.meta.parts, meta.parts, strict=True)}
    chapters = []
    for original in source.chapters:
        part = part_titles.get(original.part, original.part)
        translation = translated.get(original.path.name)
        if translation is None:
            chapters.append(replace(original, part=part, language=source.meta.language))
        else:
            chapters.append(replace(translation, id=original.id, role=original.role, part=part,
                                    notes=translation.notes or original.notes))
    return replace(source, meta=meta, chapters=tuple(chapters), translations=()), problems


def edition_meta(meta: PaperMeta, language: str, slug: str) -> PaperMeta:
    """The source's metadata with the edition's language, titles and abstract."""
    edition = next((e for e in meta.editions if e.language == language), None)
    if edition is None:
        return replace(meta, language=language, slug=f"{slug}-{edition_code(language)}")
    series = meta.series
    if series and edition.series:
        series = replace(series, name=edition.series)
    parts = meta.parts
    if edition.parts:
        parts = tuple(Part(title, part.chapters) for title, part in zip(edition.parts, meta.parts, strict=True))
    return replace(meta, language=language, slug=f"{slug}-{edition_code(language)}",
                   title=edition.title or meta.title, subtitle=edition.subtitle or meta.subtitle,
                   abstract=edition.abstract or meta.abstract, keywords=edition.keywords or meta.keywords,
                   disclaimer=edition.disclaimer or meta.disclaimer, series=series, parts=parts,
                   authors=edition.authors or meta.authors, doi=edition.doi or meta.doi,
                   translators=edition.translators)


def translation_status(source: Paper, edition: Paper) -> list[Diagnostic]:
    """Chapters not yet translated, translations whose source changed since, and missing titles."""
    language = edition.meta.language
    name, original = english_name(language), english_name(source.meta.language)
    problems = []
    if not any(e.language == language and e.title for e in source.meta.editions):
        problems.append(warning(Path("paper.yaml"), 0, "untranslated-title",
                                f"the {name} edition has no title of its own: add it under 'editions:', "
                                f"'{language}:', 'title:'"))
    sources = {chapter.id: chapter for chapter in source.chapters}
    for chapter in edition.chapters:
        origin = sources[chapter.id]
        if chapter.language:
            problems.append(warning(Path("chapters") / language / origin.path.name, 0, "missing-translation",
                                    f"no {name} translation of {origin.path} yet: the {name} edition shows the "
                                    f"{original} text with a notice (or fails with --strict)"))
            continue
        current = source_hash(source.root, origin)
        if not chapter.source_hash:
            problems.append(warning(chapter.path, 1, "no-source-hash",
                                    f"this translation does not say which version of {origin.path} it "
                                    f"translates: if it is up to date, add 'source-hash: {current}' to its "
                                    "front matter"))
        elif chapter.source_hash != current:
            problems.append(warning(chapter.path, 1, "stale-translation",
                                    f"{origin.path} has changed since this translation was made "
                                    f"(source-hash {chapter.source_hash}, now {current}): bring the translation "
                                    f"up to date, then set 'source-hash: {current}'"))
    return problems


def status_line(source: Paper, edition: Paper, problems: list[Diagnostic]) -> str:
    """'es (Spanish): 6 of 7 chapters translated, 1 out of date'."""
    paths = {str(d.location.path) for d in problems if d.code == "stale-translation"}
    done = sum(1 for chapter in edition.chapters if not chapter.language)
    stale = sum(1 for chapter in edition.chapters if str(chapter.path) in paths)
    return (f"{edition.meta.language} ({english_name(edition.meta.language)}): {done} of "
            f"{len(edition.chapters)} chapters translated" + (f", {stale} out of date" if stale else ""))
