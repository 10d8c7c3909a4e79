"""Chapter headings, numbering and cross-references (chapters.lua, crossref.lua), chapter by
chapter, each chapter's result kept in the cache by what it was made from.

Two passes, each over only the chapters not kept from an earlier build, in one pandoc run:
"number" gives each chapter its heading and numbers its figures, tables, boxes, equations and
sections (a chapter's numbers depend on its own text and its number only; a front-matter
chapter goes on counting from the one before it); "resolve" turns @fig:… and the like into
links, given every target of the paper. An edit to one chapter's prose runs both on that chapter
alone; an edit that changes a number or a title others refer to runs "resolve" on every chapter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import pandoc
from .cache import Cache

Run = Callable[[list[str], dict[str, Any]], dict[str, Any]]
"""Gives pandoc a document with these arguments and returns what it gives back."""

NUMBER = ["--from=json", "--to=json", f"--lua-filter={pandoc.filter_path('chapters.lua')}",
          f"--lua-filter={pandoc.filter_path('crossref.lua')}"]
RESOLVE = ["--from=json", "--to=json", f"--lua-filter={pandoc.filter_path('crossref.lua')}"]


def units(blocks: list[Any]) -> list[list[Any]]:
    """The paper's blocks cut at each "paper-chapter" marker: one list per chapter or part."""
    out: list[list[Any]] = []
    for block in blocks:
        if block["t"] == "RawBlock" and block["c"][0] == "paper-chapter":
            out.append([block])
        else:
            out[-1].append(block)
    return out


def by_heading(blocks: list[Any]) -> list[list[Any]]:
    """pandoc's output cut at each chapter heading."""
    out: list[list[Any]] = []
    for block in blocks:
        if block["t"] == "Header" and block["c"][0] == 1 and "chapter" in block["c"][1][1]:
            out.append([block])
        elif out:
            out[-1].append(block)
    return out


def number_and_link(settings: dict[str, Any], chapters: list[list[Any]], version: list[int],
                    cache: Cache | None, run: Run) -> tuple[list[Any], list[Any], list[Any]]:
    """The paper's blocks with headings, numbers and links; its numbered items; the
    references that lead nowhere."""
    settings = {**settings, "chapter_ids": [json.loads(u[0]["c"][1])["id"] for u in chapters]}
    numbered = number(settings, chapters, version, cache, run)
    targets = [t for result in numbered for t in result["targets"]]
    resolved = resolve({**settings, "mode": "resolve", "targets": targets},
                       [result["blocks"] for result in numbered], version, cache, run)
    return ([b for result in resolved for b in result["blocks"]],
            [item for result in numbered for item in result["numbered"]],
            [item for result in resolved for item in result["unresolved"]])


def document(version: list[int], settings: dict[str, Any], blocks: list[Any]) -> dict[str, Any]:
    return {"pandoc-api-version": version, "meta": {},
            "blocks": [{"t": "RawBlock", "c": ["paper-settings", json.dumps(settings, ensure_ascii=False)]}, *blocks]}


def meta_list(meta: dict[str, Any], name: str) -> list[Any]:
    field = meta.get(name)
    return json.loads(field["c"]) or [] if field else []


def number(settings: dict[str, Any], chapters: list[list[Any]], version: list[int],
           cache: Cache | None, run: Run) -> list[dict[str, Any]]:
    """Each chapter numbered: {blocks, targets, numbered, counters}, from the cache or made."""
    settings = {**settings, "mode": "number"}
    common = json.dumps(settings, ensure_ascii=False, sort_keys=True)
    results: list[dict[str, Any] | None] = [None] * len(chapters)
    batch: list[tuple[int, list[Any] | None]] = []  # a chapter, and where its counting starts (None: goes on)
    previous_role, previous_counters = "", []
    for i, chapter in enumerate(chapters):
        role = json.loads(chapter[0]["c"][1]).get("role", "")
        goes_on = role == "front-matter" and previous_role == "front-matter"
        previous_role = role
        if goes_on and previous_counters is None:  # the chapter before is being numbered now
            batch.append((i, None))
            continue
        start = previous_counters if goes_on else []
        stored = cache.get(key(cache, common, chapter, start)) if cache else None
        if stored is not None:
            results[i] = json.loads(stored)
            previous_counters = results[i]["counters"]
        else:
            batch.append((i, start))
            previous_counters = None
    if batch:
        given = []
        for i, start in batch:
            marker = json.loads(chapters[i][0]["c"][1])
            if start is not None:
                marker["counters"] = start
            given += [{"t": "RawBlock", "c": ["paper-chapter", json.dumps(marker, ensure_ascii=False)]},
                      *chapters[i][1:]]
        out = run(NUMBER, document(version, settings, given))
        made = by_heading(out["blocks"])
        targets, items = meta_list(out["meta"], "paper-targets"), meta_list(out["meta"], "paper-numbered")
        ended = {entry["chapter"]: entry["counters"] for entry in meta_list(out["meta"], "paper-counters")}
        for (i, start), blocks in zip(batch, made, strict=True):
            ident = blocks[0]["c"][1][0]
            if start is None:
                previous = results[i - 1]
                start = previous["counters"] if previous else []
            results[i] = {"blocks": blocks, "targets": [t for t in targets if t["chapter"] == ident],
                          "numbered": [n for n in items if n["chapter"] == ident], "counters": ended.get(ident, [])}
            if cache:
                cache.put(key(cache, common, chapters[i], start), json.dumps(results[i]).encode("utf-8"))
    return [r for r in results if r is not None]


def resolve(settings: dict[str, Any], chapters: list[list[Any]], version: list[int],
            cache: Cache | None, run: Run) -> list[dict[str, Any]]:
    """Each numbered chapter with its references made links: {blocks, unresolved}."""
    common = json.dumps(settings, ensure_ascii=False, sort_keys=True)
    results: list[dict[str, Any] | None] = [None] * len(chapters)
    batch = []
    for i, chapter in enumerate(chapters):
        stored = cache.get(key(cache, common, chapter)) if cache else None
        if stored is not None:
            results[i] = json.loads(stored)
        else:
            batch.append(i)
    if batch:
        out = run(RESOLVE, document(version, settings, [b for i in batch for b in chapters[i]]))
        missing = meta_list(out["meta"], "paper-unresolved")
        for i, blocks in zip(batch, by_heading(out["blocks"]), strict=True):
            ident = blocks[0]["c"][1][0]
            results[i] = {"blocks": blocks, "unresolved": [m for m in missing if m["chapter"] == ident]}
            if cache:
                cache.put(key(cache, common, chapters[i]), json.dumps(results[i]).encode("utf-8"))
    return [r for r in results if r is not None]


def key(cache: Cache, common: str, chapter: list[Any], start: list[Any] | None = None) -> str:
    parts = [common, json.dumps(chapter, ensure_ascii=False)]
    return cache.key(*parts, *([json.dumps(start)] if start is not None else []))
