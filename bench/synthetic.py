"""A generator of synthetic discussion papers for the build benchmarks.

Each chapter has about 2,500 words in sections, with footnotes, a table, a figure and
citations into a 150-entry bibliography, so that a paper of N chapters has roughly 8N PDF
pages. The text is filler drawn from a fixed vocabulary with a fixed seed: the same size
always gives the same files. The works in the bibliography are invented, and say so.

    python bench/synthetic.py 62 /tmp/paper-500    # about 500 pages
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORDS = ("security governance municipal police reform data survey victims prevention community "
         "institutions evidence violence region policy local national programme cooperation trust "
         "justice prisons accountability homicide youth information budget planning coordination "
         "participation rights women neighbourhood observatory indicators schools health").split()
ENTRIES = 150
WORDS_PER_CHAPTER = 2500


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def paragraph(rng: random.Random, citations: bool) -> str:
    sentences = [sentence(rng) for _ in range(rng.randint(4, 7))]
    if citations:
        sentences[1] = sentences[1][:-1] + f" [@synthetic{rng.randrange(ENTRIES)}]."
    return " ".join(sentences)


def chapter(number: int, rng: random.Random) -> str:
    parts = [f"---\ntitle: Synthetic chapter {number}\n---\n"]
    words, notes, section = 0, 0, 0
    while words < WORDS_PER_CHAPTER:
        if words // 600 >= section:
            section += 1
            parts.append(f"## Section {number}.{section}\n")
        text = paragraph(rng, citations=rng.random() < 0.5)
        if rng.random() < 0.2:
            notes += 1
            text += f"[^n{notes}]"
            parts.append(text + "\n")
            parts.append(f"[^n{notes}]: {sentence(rng)}\n")
        else:
            parts.append(text + "\n")
        words += len(text.split())
        if section == 2 and "| Country" not in "".join(parts):
            parts.append("| Country | Rate | Trend |\n|:--|--:|:--|\n"
                         + "".join(f"| Country {i} | {rng.randint(5, 60)} | {rng.choice(WORDS)} |\n"
                                   for i in range(8))
                         + f"\n: Synthetic table of chapter {number} {{#tbl:c{number}}}\n")
        if section == 3 and "![" not in "".join(parts):
            parts.append(f"![Synthetic figure of chapter {number}](../images/themes.svg){{#fig:c{number}}}\n")
    parts.append(f"As @tbl:c{number} and @fig:c{number} show, the synthetic data vary.\n")
    return "\n".join(parts)


def bibliography() -> str:
    return "".join(f"@report{{synthetic{n},\n  author = {{Invented, Author {n} and Fictional, Writer}},\n"
                   f"  title = {{Synthetic Report Number {n}, Not a Real Publication}},\n"
                   f"  institution = {{Benchmark Institute}},\n  year = {{{2000 + n % 20}}}\n}}\n\n"
                   for n in range(ENTRIES))


def generate(chapters: int, folder: Path) -> Path:
    """Write a paper of `chapters` chapters into `folder` (replaced if it exists)."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "chapters").mkdir(parents=True)
    (folder / "images").mkdir()
    shutil.copyfile(REPO / "images" / "themes.svg", folder / "images" / "themes.svg")
    (folder / "paper.yaml").write_text(
        f"title: A Synthetic Paper of {chapters} Chapters\nauthors:\n  - name: Benchmark Team\n"
        "    organization: true\ndate: 2020-01-01\nlanguage: en\nlicense: CC BY 4.0\n"
        "publisher: Benchmark Press\nslug: synthetic\n", encoding="utf-8")
    (folder / "references.bib").write_text(bibliography(), encoding="utf-8")
    rng = random.Random(20121008)
    for number in range(1, chapters + 1):
        (folder / "chapters" / f"{number:03d}-chapter-{number}.md").write_text(chapter(number, rng), encoding="utf-8")
    return folder


if __name__ == "__main__":
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))
