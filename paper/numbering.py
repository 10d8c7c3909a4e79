"""Chapter headings, numbering and cross-references (chapters.lua, crossref.lua), chapter by
chapter, each chapter's result kept in the cache by what it was made from.

Two passes, each over only the chapters not kept from an earlier build: "number" gives each
chapter its heading and numbers its figures, tables, boxes, equations and sections (a chapter's
numbers depend on its own text and its number only; a front-matter chapter goes on counting
from the one before it); "resolve" turns @fig:… and the like into links, given every target of
the paper. The chapters to number are numbered and linked in one pandoc run, given the targets
of the chapters kept; an edit that changes a number or a title others refer to then runs
"resolve" on the other chapters too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import fastjson, pandoc
from .cache import Cache
from .tree import chapter_heading

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


def by_heading(blocks: list[Any], keep_leading: bool = False) -> list[list[Any]]:
    """pandoc's output cut at each chapter heading (with `keep_leading`, what comes before
    the first heading is the first list, possibly empty)."""
    out: list[list[Any]] = [[]] if keep_leading else []
    for block in blocks:
        if chapter_heading(block):
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
    resolved = resolve({**settings, "mode": "resolve", "targets": targets}, numbered, version, cache, run)
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
    """Each chapter numbered: {key, targets, numbered, counters} and, when made now, its
    blocks (kept apart in the cache: a chapter whose links are kept too is never loaded)."""
    settings = {**settings, "mode": "number"}
    common = json.dumps(settings, ensure_ascii=False, sort_keys=True)
    results: list[dict[str, Any] | None] = [None] * len(chapters)
    batch: list[tuple[int, list[Any] | None]] = []  # a chapter, where its counting starts (None: goes on)
    previous_role = ""
    previous_counters: list[Any] | None = []  # where the chapter before ended (None: not yet known)
    for i, chapter in enumerate(chapters):
        role = json.loads(chapter[0]["c"][1]).get("role", "")
        goes_on = role == "front-matter" and previous_role == "front-matter"
        previous_role = role
        if goes_on and previous_counters is None:  # the chapter before is being numbered now
            batch.append((i, None))
            continue
        start = (previous_counters or []) if goes_on else []
        made = key(common, chapter, start) if cache else ""
        stored = cache.get(Cache.key("numbers", made)) if cache else None
        if stored is not None and cache and cache.keep(Cache.key("numbered", made)):
            kept = results[i] = {**fastjson.loads(stored), "key": made}
            previous_counters = kept["counters"]
        else:
            batch.append((i, start))
            previous_counters = None
    if batch:
        given = []
        for i, first in batch:
            marker = json.loads(chapters[i][0]["c"][1])
            if first is not None:
                marker["counters"] = first
            given += [{"t": "RawBlock", "c": ["paper-chapter", json.dumps(marker, ensure_ascii=False)]},
                      *chapters[i][1:]]
        # numbered and linked in one run, given the targets of the chapters kept: "resolve"
        # then only runs on the kept chapters if what this batch numbered changes their links
        others = [t for r in results if r is not None for t in r["targets"]]
        out = run(NUMBER, document(version, {**settings, "mode": "both", "targets": others}, given))
        targets, items = meta_list(out["meta"], "paper-targets"), meta_list(out["meta"], "paper-numbered")
        ended = {entry["chapter"]: entry["counters"] for entry in meta_list(out["meta"], "paper-counters")}
        missing = meta_list(out["meta"], "paper-unresolved")
        numbered = out["meta"]["paper-numbered-blocks"]["c"]
        for (i, given_start), blocks, linked in zip(batch, by_heading(numbered), by_heading(out["blocks"]),
                                                    strict=True):
            ident = blocks[0]["c"][1][0]
            previous = results[i - 1] if i else None
            start = given_start if given_start is not None else previous["counters"] if previous else []
            numbers = {"targets": [t for t in targets if t["chapter"] == ident],
                       "numbered": [n for n in items if n["chapter"] == ident], "counters": ended.get(ident, [])}
            made = key(common, chapters[i], start) if cache else ""
            results[i] = {**numbers, "key": made, "blocks": blocks,
                          "linked": {"blocks": linked, "unresolved": [m for m in missing if m["chapter"] == ident]}}
            if cache:
                cache.put(Cache.key("numbers", made), fastjson.dumpb(numbers))
                cache.put(Cache.key("numbered", made), fastjson.dumpb(blocks))
    return [r for r in results if r is not None]


def resolve(settings: dict[str, Any], numbered: list[dict[str, Any]], version: list[int],
            cache: Cache | None, run: Run) -> list[dict[str, Any]]:
    """Each numbered chapter with its references made links: {blocks, unresolved}. Kept by the
    key of its numbering and every target of the paper."""
    common = Cache.key(json.dumps(settings, ensure_ascii=False, sort_keys=True))
    results: list[dict[str, Any] | None] = [None] * len(numbered)
    batch = []
    for i, chapter in enumerate(numbered):
        if "linked" in chapter:  # linked in the numbering run, given these very targets
            results[i] = chapter["linked"]
            if cache:
                cache.put(Cache.key("links", common, chapter["key"]), fastjson.dumpb(results[i]))
        elif cache and (stored := cache.get(Cache.key("links", common, chapter["key"]))) is not None:
            results[i] = fastjson.loads(stored)
        else:
            if "blocks" not in chapter:
                kept = cache.get(Cache.key("numbered", chapter["key"])) if cache else None
                if kept is None:  # number() made sure it is there
                    raise RuntimeError("a chapter's numbered blocks went missing from the cache during the build")
                chapter["blocks"] = fastjson.loads(kept)
            batch.append(i)
    if batch:
        out = run(RESOLVE, document(version, settings, [b for i in batch for b in numbered[i]["blocks"]]))
        missing = meta_list(out["meta"], "paper-unresolved")
        for i, blocks in zip(batch, by_heading(out["blocks"]), strict=True):
            ident = blocks[0]["c"][1][0]
            results[i] = {"blocks": blocks, "unresolved": [m for m in missing if m["chapter"] == ident]}
            if cache:
                cache.put(Cache.key("links", common, numbered[i]["key"]), fastjson.dumpb(results[i]))
    return [r for r in results if r is not None]


def key(common: str, chapter: list[Any], start: list[Any]) -> str:
    """What a chapter's numbering is made from: the settings, its blocks, where it starts counting."""
    return Cache.key(common, fastjson.dumps(chapter), fastjson.dumps(start))
