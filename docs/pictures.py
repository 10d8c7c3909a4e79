"""Make the README's pictures of the outputs again: `python docs/pictures.py [folder]`.

Builds this repository's paper into a temporary folder, then draws
- pdf-pages.png: the cover and three pages of the PDF (pdftoppm, from poppler-utils);
- site-desktop.png: the landing page and a page of the Spanish edition at desktop width;
- html-phone.png: the landing page and a chapter at phone width
(both with Debian's Chromium through Playwright);
- docx-pages.png: four pages of the Word copy for reviewers as LibreOffice lays it out
(soffice, from libreoffice-writer-nogui);
- series-catalogue.png: the catalogue of the tests' sample series, in English and in Spanish,
into docs/images/ or the folder given.
Look at them before committing: a picture is only worth it if it shows what the text says.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pypdf
from PIL import Image
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from paper.pipeline import BuildOptions, build  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
BACKGROUND = (229, 232, 235)
GAP = 14


def side_by_side(images: list[Image.Image], height: int) -> Image.Image:
    """The images scaled to one height, in a row on a light grey ground."""
    scaled = [im.resize((round(im.width * height / im.height), height), Image.LANCZOS) for im in images]
    sheet = Image.new("RGB", (sum(im.width for im in scaled) + GAP * (len(scaled) + 1), height + 2 * GAP), BACKGROUND)
    x = GAP
    for im in scaled:
        sheet.paste(im, (x, GAP))
        x += im.width + GAP
    return sheet


def pdf_pages(pdf: Path, labels: list[str], work: Path) -> list[Image.Image]:
    """The pages printed with these labels ("" for the cover), as images."""
    printed = pypdf.PdfReader(pdf).page_labels
    out = []
    for label in labels:
        number = 1 if not label else printed.index(label) + 1
        prefix = work / f"page-{number}"
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(number), "-l", str(number), "-singlefile",
                        str(pdf), str(prefix)], check=True)
        out.append(Image.open(f"{prefix}.png").convert("RGB"))
    return out


def screenshots(site: Path, pages: list[tuple[str, str]], width: int, height: int, work: Path) -> list[Image.Image]:
    """Each page of the site (and the element to scroll to, or "") at this window size."""
    out = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": width, "height": height})
        for i, (name, anchor) in enumerate(pages):
            page.goto((site / name).as_uri())
            if anchor:
                page.locator(anchor).first.scroll_into_view_if_needed()
            path = work / f"shot-{i}.png"
            page.screenshot(path=str(path))
            out.append(Image.open(path).convert("RGB"))
        browser.close()
    return out


def word_pages(work: Path, pages: list[int]) -> list[Image.Image]:
    """Pages of the English Word copy, laid out by LibreOffice as a reviewer would see them."""
    build(REPO, work / "output-docx", BuildOptions(formats=("docx",)))
    copy = next(p for p in (work / "output-docx" / "current").resolve().glob("*.docx") if p.stem.count("-") == 2)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work), str(copy)], check=True, capture_output=True)
    out = []
    for number in pages:
        prefix = work / f"word-{number}"
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(number), "-l", str(number), "-singlefile",
                        str(work / f"{copy.stem}.pdf"), str(prefix)], check=True)
        out.append(Image.open(f"{prefix}.png").convert("RGB"))
    return out


def series_catalogue(work: Path) -> Image.Image:
    """The catalogue pages of the tests' three-paper series (tests/test_series.py)."""
    sys.path.insert(0, str(REPO / "tests"))
    from test_series import make_series

    from paper.catalogue import build_series

    site = build_series(make_series(work / "series-sample"))
    return side_by_side(screenshots(site.resolve(), [("index.html", ""), ("es/index.html", "")], 1100, 820, work), 520)


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "images"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        build(REPO, work / "output")
        out = (work / "output" / "current").resolve()
        pdf = next(p for p in out.glob("*.pdf") if p.stem.count("-") == 2)  # the source edition's
        side_by_side(pdf_pages(pdf, ["", "1", "6", "7"], work), 520).save(target / "pdf-pages.png", optimize=True)
        site = out / "html"
        desktop = screenshots(site, [("index.html", ""), ("es/south-south.html", "#box\\:objectives")], 1280, 900, work)
        side_by_side(desktop, 440).save(target / "site-desktop.png", optimize=True)
        phone = screenshots(site, [("index.html", ""), ("south-south.html", "")], 375, 720, work)
        side_by_side(phone, 570).save(target / "html-phone.png", optimize=True)
        side_by_side(word_pages(work, [1, 4, 9, 11]), 520).save(target / "docx-pages.png", optimize=True)
        series_catalogue(work).save(target / "series-catalogue.png", optimize=True)
    print(f"pictures written to {target}")


if __name__ == "__main__":
    main()
