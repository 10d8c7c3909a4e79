"""Benchmark: a series of many small papers in three languages.

Run from the repository:  python bench/series.py [papers]   (default: 200)

It generates a series (a third of the papers written in English, a third in Spanish, a third
in Portuguese; every fifth English paper also has a Spanish edition; each paper one chapter of
about 600 words with a footnote and citations) and prints: the cold series build (every paper
in every format, then the series' website), the rebuild after editing one paper, a rebuild
with nothing changed, the plan for 20 shards and the time it takes, the peak memory of all
the build's processes, and the wall time the build would take on N runners, estimated from
the papers' measured build times.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

from builds import measured  # noqa: E402
from synthetic import WORDS, sentence  # noqa: E402

LANGUAGES = ("en", "es", "pt-BR")
SERIES = """name: Synthetic Discussion Papers
names:
  es: Documentos de discusión sintéticos
  pt-BR: Documentos de discussão sintéticos
issn: 2049-3630
publisher: Benchmark Academy
languages: [en, es, pt-BR]
site-url: https://example.org/synthetic/
design:
  license: CC BY 4.0
"""
COMMAND = "import sys; from paper.cli import main; sys.exit(main(sys.argv[1:]))"


def paper(folder: Path, number: int, rng: random.Random) -> None:
    language = LANGUAGES[number % 3]
    translated = language == "en" and number % 5 == 0
    (folder / "chapters").mkdir(parents=True)
    year = 2000 + number % 25
    config = (f"title: Synthetic paper {number}\nseries:\n  number: {number}\nauthors:\n  - name: Author {number} "
              f"Invented\ndate: {year}-{1 + number % 12:02d}-{1 + number % 28:02d}\nlanguage: {language}\n"
              f"abstract: {sentence(rng)}\nkeywords: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]\n"
              f"slug: paper-{number:03d}\n")
    if translated:
        config += (f"languages: [en, es]\neditions:\n  es:\n    title: Documento sintético {number}\n"
                   f"    abstract: {sentence(rng)}\n")
    (folder / "paper.yaml").write_text(config, encoding="utf-8")
    (folder / "references.bib").write_text(
        "".join(f"@report{{w{n},\n  author = {{Invented, Author}},\n  title = {{Synthetic Work {n}, Not a Real "
                f"Publication}},\n  institution = {{Benchmark Institute}},\n  year = {{2010}}\n}}\n\n"
                for n in range(3)), encoding="utf-8")
    body = "\n\n".join(" ".join(sentence(rng) for _ in range(6)) + f" [@w{i % 3}]" for i in range(7))
    text = f"---\ntitle: Findings of paper {number}\n---\n\n{body}[^1]\n\n[^1]: {sentence(rng)}\n"
    (folder / "chapters" / "01-findings.md").write_text(text, encoding="utf-8")
    if translated:
        (folder / "chapters" / "es").mkdir()
        (folder / "chapters" / "es" / "01-findings.md").write_text(
            text.replace("Findings of paper", "Resultados del documento"), encoding="utf-8")


def generate(papers: int, root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "series.yaml").write_text(SERIES, encoding="utf-8")
    rng = random.Random(20121008)
    for number in range(1, papers + 1):
        paper(root / "papers" / f"p{number:03d}", number, rng)
    return root


def run(*args: str) -> tuple[float, float, str]:
    return measured([sys.executable, "-c", COMMAND, *args], cwd=REPO)


def estimate(times: dict[str, float], runners: int, assemble: float) -> float:
    """The wall time on `runners` machines like this one with two processors, besides each
    runner's own start and set-up: the plan's longest shard, built two papers at once, then
    the assembling."""
    from paper.series import SeriesMeta
    from paper.shards import plan

    series = SeriesMeta(Path("."), "S", papers=tuple(sorted(times)))
    shards = plan(series, dict.fromkeys(times, "new"), {}, times, runners)
    return max(sum(times[f] for f in shard) for shard in shards) / 2 + assemble


def main() -> None:
    papers = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory(prefix="series-bench-") as folder:
        root = generate(papers, Path(folder) / "series")
        project = ("--project", str(root), "-q")
        cold, memory, _log = run("series", "build", *project)
        times = json.loads((root / "output" / "series" / "times.json").read_text(encoding="utf-8"))
        chapter = root / "papers" / f"p{papers // 2:03d}" / "chapters" / "01-findings.md"
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
        edited, edit_memory, _log = run("series", "build", *project)
        again = json.loads((root / "output" / "series" / "times.json").read_text(encoding="utf-8"))
        assemble = max(0.0, edited - again[f"papers/p{papers // 2:03d}"])
        nothing, _memory, _log = run("series", "build", *project)
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nAnd another.\n", encoding="utf-8")
        planned, _memory, _log = run("series", "plan", "--shards", "20", *project)
        site = root / "output" / "series" / "site"
        files = sum(1 for p in site.rglob("*") if p.is_file())
        print(f"series of {papers} papers, site of {files:,} files")
        print(f"cold series build: {cold:.1f} s ({papers / cold * 60:.0f} papers a minute), "
              f"peak memory {memory:.0f} MB")
        print(f"after editing one paper: {edited:.1f} s (peak memory {edit_memory:.0f} MB)")
        print(f"nothing changed: {nothing:.1f} s")
        print(f"plan for 20 shards (one paper changed): {planned:.1f} s")
        total = sum(times.values())
        print(f"papers' own build times: {total:.0f} s in all, {total / len(times):.1f} s a paper, longest "
              f"{max(times.values()):.1f} s")
        print(f"the series' site alone (assembling, search index, feeds, manifest, publishing): {assemble:.1f} s")
        print("| runners | estimated wall time (besides each runner's start and set-up) |")
        print("|---|---|")
        for runners in (1, 5, 10, 20, 50):
            print(f"| {runners} | {estimate(times, runners, assemble):.0f} s |")


if __name__ == "__main__":
    main()
