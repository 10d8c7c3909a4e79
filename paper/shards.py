"""A series built on several CI runners: `paper series plan` compares every paper's content key
with the published site's manifest and prints a job matrix of the papers to rebuild, balanced by
their last build times; `paper series build --shard k/N` builds one shard's papers and keeps
their sites in output/series/shards/k/; `paper series assemble` gathers the shards and the
unchanged papers (from the published site) into one site, published at once. The runners'
own matrix and cache do the rest: there is no scheduler here."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from .catalogue import OUT, SITE, build_papers, build_times, loaded, papers_meta, publish_site, published_manifest
from .diagnostics import error
from .errors import UserError
from .model import Paper, PaperMeta
from .publish import carry
from .series import SeriesMeta, content_key

log = logging.getLogger(__name__)
SHARDS = "shards"
SHARD_FILE = "shard.json"
UNKNOWN_TIME = 30.0
"""Seconds assumed for a paper never built before (a small paper takes 5 to 30)."""


def plan(series: SeriesMeta, keys: dict[str, str], published: dict[str, str], times: dict[str, float],
         shards: int) -> list[list[str]]:
    """The papers to rebuild (their key is not the published one), in `shards` lists of about
    equal build time: the longest first, each to the shard with least so far."""
    todo = [f for f in series.papers if published.get(f) != keys[f]]
    known = [times[f] for f in todo if f in times]
    guess = sorted(known)[len(known) // 2] if known else UNKNOWN_TIME
    loads = [0.0] * shards
    chosen: list[list[str]] = [[] for _ in range(shards)]
    for folder in sorted(todo, key=lambda f: (-times.get(f, guess), f)):
        k = loads.index(min(loads))
        chosen[k].append(folder)
        loads[k] += times.get(folder, guess)
    order = {f: i for i, f in enumerate(series.papers)}
    return [sorted(papers, key=order.__getitem__) for papers in chosen]


@dataclass(frozen=True)
class State:
    """A series as a plan, a shard or the assembling sees it."""

    series: SeriesMeta
    metas: dict[str, PaperMeta]
    keys: dict[str, str]
    """Each paper's content key now."""
    published: dict[str, str]
    """Each paper's key in the published site."""
    times: dict[str, float]
    """Each paper's last build time."""
    site: Path
    """The published site."""

    def plan(self, shards: int) -> list[list[str]]:
        return plan(self.series, self.keys, self.published, self.times, shards)


def state(root: Path, published: Path | None) -> State:
    root = root.resolve()
    series = loaded(root)
    site = (published or root / OUT / SITE).resolve()
    keys = {folder: content_key(series, folder) for folder in series.papers}
    return State(series, papers_meta(root, series), keys, published_manifest(site), build_times(root / OUT), site)


def matrix(chosen: list[list[str]], style: str) -> str:
    """The plan as GitHub Actions' `strategy.matrix` (JSON) or a GitLab CI child pipeline."""
    shards = [k + 1 for k, papers in enumerate(chosen) if papers]
    total = len(chosen)
    if style == "github":
        return json.dumps({"include": [{"shard": f"{k}/{total}", "papers": " ".join(chosen[k - 1])}
                                       for k in shards]}, separators=(",", ":"))
    if style == "gitlab":
        return gitlab_pipeline([f"{k}/{total}" for k in shards])
    return "\n".join(f"shard {k}/{total}: {' '.join(chosen[k - 1])}" for k in shards) or "nothing to rebuild"


GITLAB_SETUP = """default:
  image: python:3.11
  before_script:
    - apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
    - pip install -q -e .
  cache:
    key: series-site
    paths: [published/, output/series/times.json]
    policy: pull
"""


def gitlab_pipeline(shards: list[str]) -> str:
    """The child pipeline `paper series plan --format gitlab` writes: one job per shard, then
    `pages`, which assembles the site, keeps it for the next plan (the cache) and publishes it."""
    lines = ["# made by paper series plan: the shards of papers to rebuild, then the site", "stages: [build, publish]",
             GITLAB_SETUP]
    if shards:
        lines += ["build-papers:", "  stage: build", "  script:",
                  "    - paper series build --shard $SHARD --published published/",
                  "  parallel:", "    matrix:", "      - SHARD:"]
        lines += [f'          - "{shard}"' for shard in shards]
        lines += ["  artifacts:", "    paths: [output/series/shards/]", ""]
    lines += ["pages:", "  stage: publish", "  script:", "    - paper series assemble --published published/",
              "    - rm -rf published public && cp -rL output/series/site published && cp -rL published public",
              "  cache:", "    key: series-site", "    paths: [published/, output/series/times.json]",
              "    policy: pull-push", "  artifacts:", "    paths: [public]", ""]
    return "\n".join(lines)


def parse_shard(text: str) -> tuple[int, int]:
    """'2/5' -> (2, 5)."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise ValueError(f"'{text}' is not a shard: write k/N, e.g. 2/5")
    return int(k), int(n)


def build_shard(root: Path, shard: str, published: Path | None = None, workers: int | None = None) -> Path:
    """Build shard k of N (the plan's k-th list) and keep each paper's site, key and build time
    in output/series/shards/k/ for `assemble`."""
    k, n = parse_shard(shard)
    now = state(root, published)
    mine = now.plan(n)[k - 1]
    log.info("series: shard %d/%d: %d paper(s) to build", k, n, len(mine))
    took = build_papers(root.resolve(), mine, workers)
    folder = root.resolve() / OUT / SHARDS / str(k)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    record = {}
    for i, paper in enumerate(mine):
        carry((root.resolve() / paper / "output" / "html").resolve(), folder / str(i))
        record[paper] = {"key": now.keys[paper], "seconds": round(took[paper], 2), "site": str(i)}
    (folder / SHARD_FILE).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return folder


def assemble_shards(root: Path, shards: Path | None = None, published: Path | None = None) -> Path:
    """The series' site from the shards' papers and, for every other paper, the published
    site's copy, which must be of the same sources."""
    root = root.resolve()
    now = state(root, published)
    gathered = (shards or root / OUT / SHARDS).resolve()
    sources: dict[str, Path] = {}
    times = dict(now.times)
    for record in sorted(gathered.glob(f"*/{SHARD_FILE}")):
        for paper, item in json.loads(record.read_text(encoding="utf-8")).items():
            # what a shard names is used only if it is one of its own folders (0, 1, …)
            if paper in now.keys and item.get("key") == now.keys[paper] and str(item.get("site", "")).isdigit():
                sources[paper] = record.parent / item["site"]
                times[paper] = float(item.get("seconds", 0.0))
    fresh = [paper for paper in now.series.papers if paper in sources]
    missing = []
    for paper in now.series.papers:
        if paper in sources:
            continue
        # the same key: the same paper.yaml, so the slug it is published under is today's
        copy = now.site / "papers" / Paper.slug_of(now.metas[paper]) if paper in now.metas else None
        if now.published.get(paper) == now.keys[paper] and copy is not None and (copy / "opds.xml").is_file():
            sources[paper] = copy
        else:
            missing.append(paper)
    if missing:
        raise UserError([error(Path("series.yaml"), 0, "paper-failed",
                               f"{paper} was built by no shard and the published site has no copy of its present "
                               "sources: run 'paper series plan' again and build every shard it lists")
                         for paper in missing])
    return publish_site(root, now.series, now.metas, now.keys, sources, times, fresh)
