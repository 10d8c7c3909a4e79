"""Benchmark: how long reading a bibliography takes.

Run from the repository:  python bench/bibliography.py
Prints the time to load this paper's references.bib and a generated 5,000-entry file
shaped like a real export (accents, @string macros, crossrefs, protected words).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from paper.bibliography import load_bibliography  # noqa: E402

ENTRY = """@{kind}{{key{n},
  author    = {{Souza, Ana and P{{\\'e}}rez Garc{{\\'\\i}}a, Jorge and {{Example Institute {n}}}}},
  title     = {{Citizen Security in {{Latin America}}: Report {n}}},
  {container}
  publisher = press,
  address   = {{S{{\\~a}}o Paulo}},
  year      = {year},
  pages     = {{{n}--{m}}}
}}
"""


def generated(count: int) -> str:
    parts = ['@string{press = "Fictional University Press"}\n']
    for n in range(count):
        if n % 10 == 0:
            kind, container = "proceedings", ""
        elif n % 10 == 1:
            kind, container = "inproceedings", f"crossref  = {{key{n - 1}}},"
        else:
            kind, container = "article", "journal   = {Journal of Examples},"
        parts.append(ENTRY.format(kind=kind, n=n, m=n + 12, year=1990 + n % 30, container=container))
    return "\n".join(parts)


def timed(folder: Path, name: str, runs: int) -> tuple[int, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        references, _problems = load_bibliography(folder, name)
        times.append(time.perf_counter() - start)
    return len(references), times


def report(label: str, entries: int, times: list[float]) -> None:
    print(f"{label:<32} {entries:>6} entries  median {statistics.median(times) * 1000:8.1f} ms"
          f"  best {min(times) * 1000:8.1f} ms  ({len(times)} runs)")


def main() -> None:
    entries, times = timed(REPO, "references.bib", 10)
    report("this paper's references.bib", entries, times)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "large.bib").write_text(generated(5000), encoding="utf-8")
        entries, times = timed(Path(folder), "large.bib", 3)
        report("generated export", entries, times)


if __name__ == "__main__":
    main()
