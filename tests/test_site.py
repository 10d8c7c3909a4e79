"""The reading site the Academy publishes, as a reader's browser sees it on a web host."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import REPO, axe_violations, heading_text

from paper.loader import load_paper


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requests = []
    page.console_errors = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


def test_landing_page_loads_cleanly_and_only_from_this_host(page, site):
    page.goto(f"{site}/index.html")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Governance for Citizen Security in Latin America"
    assert page.console_errors == []
    assert page.requests and all(url.startswith(site) for url in page.requests), page.requests


def test_downloads_match_their_checksums(page, site):
    page.goto(f"{site}/index.html")
    # the checksums are folded away, one for every edition's every file offered
    checksums = page.locator("details.checksums")
    assert not checksums.locator("code.sha256").first.is_visible()
    checksums.locator("summary").click()
    hrefs = "els => els.map(e => e.getAttribute('href'))"
    offered = page.locator("ul.downloads a, .other-editions a").evaluate_all(hrefs)
    listed = checksums.locator("dt a").evaluate_all(hrefs)
    assert sorted(listed) == sorted(offered) and len(listed) >= 6
    shown_sums = checksums.locator("code.sha256").all_inner_texts()
    for href, shown in zip(listed, shown_sums, strict=True):
        with urllib.request.urlopen(f"{site}/{href}") as response:
            assert hashlib.sha256(response.read()).hexdigest() == shown
    assert page.locator("button.copy").inner_text() == "Copy"
    citation_links = page.locator(".cite-downloads a").all_inner_texts()
    assert citation_links == ["BibTeX", "RIS", "CSL JSON", "CITATION.cff"]


def test_search_finds_a_phrase_from_chapter_three(page, site):
    page.goto(f"{site}/search.html")
    page.fill(".pagefind-ui__search-input", "similar problems, similar constraints")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
    first = page.locator(".pagefind-ui__result-link").first
    assert first.inner_text().endswith("Setting the Stage: South-South Cooperation in Citizen Security")
    links = page.locator(".pagefind-ui__result-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert links and not any(link.split("#")[0].endswith("all.html") for link in links)  # each passage found once
    assert page.console_errors == []


def test_next_walks_every_chapter_and_previous_walks_back(page, site):
    paper, _ = load_paper(REPO)
    titles = [c.title for c in paper.chapters] + ["References"]
    page.goto(f"{site}/index.html")
    page.click("nav.toc li >> nth=0 >> a")
    seen = [heading_text(page, "article h1")]
    while page.locator("a[rel=next]").count():
        page.click("a[rel=next]")
        seen.append(heading_text(page, "article h1"))
    assert seen == titles
    while page.locator("a[rel=prev]").count():
        page.click("a[rel=prev]")
    assert heading_text(page, "article h1") == titles[0]


PAGES = ["index.html", "south-south.html", "all.html", "search.html", "es/index.html", "es/local-governance.html"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [320, 375, 1440])
def test_no_accessibility_violations_of_any_impact(browser, site, width, scheme):
    """axe-core's WCAG 2.2 AA rules and best practices on every kind of page (landing, chapter,
    one-page paper, search with its results, a translation), on phones and a desktop (where the
    chapter pages have their side columns), in the light and the dark colour scheme."""
    # the site's policy rightly refuses injected scripts: axe is let in by bypassing it
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    found = {}
    for name in PAGES:
        page.goto(f"{site}/{name}")
        if name == "search.html":
            page.fill("#search input", "homicide")
            page.wait_for_selector(".pagefind-ui__result", timeout=10_000)
        violations = axe_violations(page)
        if violations:
            found[name] = violations
    context.close()
    assert found == {}


@pytest.mark.parametrize(("width", "sidebar", "sections"), [(375, False, False), (1100, True, False),
                                                           (1280, True, True)])
def test_wide_screens_show_the_contents_and_the_chapters_sections_beside_the_text(browser, site, width, sidebar,
                                                                                  sections):
    """As on a Quarto or Jupyter Book site: the contents in a column on the left (the current
    chapter marked), the chapter's sections on the right, both staying in view while reading;
    on a phone the contents fold into a menu above the chapter."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{site}/local-governance.html")
    assert page.is_visible("nav.sidebar") == sidebar
    assert page.is_visible("details.page-toc") != sidebar
    assert page.is_visible("nav.on-this-page") == sections
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if sidebar:
        assert " ".join(page.text_content("nav.sidebar [aria-current]").split()) == \
            "Chapter 3 Theme 1: Local Governance Experience"
    if sections:
        links = page.eval_on_selector_all("nav.on-this-page a", "links => links.map(a => a.getAttribute('href'))")
        targets = page.eval_on_selector_all("article section.level2", "all => all.map(s => '#' + s.id)")
        assert links == targets and len(links) >= 3
        assert page.text_content("nav.on-this-page li").split()[:2] == ["3.1", "Why"]
        page.evaluate("window.scrollTo(0, 2500)")  # (the site's policy forbids the eval of wait_for_function)
        assert page.evaluate("window.scrollY") > 2000
        for column in ("nav.sidebar", "nav.on-this-page"):
            top = page.evaluate(f"document.querySelector('{column}').getBoundingClientRect().top")
            assert 0 <= top < 60, (column, top)
    page.close()


@pytest.mark.parametrize("name", ["index.html", "es/index.html"])
def test_the_header_fits_a_phone(browser, site, name):
    """At 320 px the paper's title wraps by words (never cut inside one) and the header stays
    under 120 px, so the text starts on the first screen."""
    page = browser.new_page(viewport={"width": 320, "height": 640})
    page.goto(f"{site}/{name}")
    assert page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height") < 120
    title = "document.querySelector('.short-title')"
    assert page.evaluate(f"getComputedStyle({title}).textOverflow") != "ellipsis"  # no word cut short
    assert page.evaluate(f"{title}.scrollWidth <= {title}.clientWidth")  # nothing cut off at the side
    assert page.evaluate(f"{title}.getBoundingClientRect().width") > 250  # the whole width, not a sliver
    page.close()


@pytest.mark.parametrize("width", [320, 375, 1280])
def test_screenshots_at_phone_and_desktop_width(browser, site, width, tmp_path):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    for name in ("index", "south-south"):
        page.goto(f"{site}/{name}.html")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        path = tmp_path / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=False)
        assert path.read_bytes()[:4] == b"\x89PNG"
    context.close()


def test_catalogue_metadata(paper_output):
    html = (paper_output / "html" / "index.html").read_text()
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block)
    assert data["@type"] == "Report" and data["inLanguage"] == "en" and data["datePublished"] == "2012-12-10"
    affiliation = "Regional meeting on Governance for Citizen Security, Brasília"
    assert data["author"][0] == {"@type": "Organization", "name": "Citizen Security Discussion Paper Team",
                                 "affiliation": {"@type": "Organization", "name": affiliation}}
    assert data["publisher"]["name"] == "Global South-South Development Academy"
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    pdf = paper_output / "html" / "downloads" / "governance-citizen-security.pdf"
    (encoding,) = [e for e in data["encoding"] if e["encodingFormat"] == "application/pdf"]
    assert encoding["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    for tag in ('name="citation_title"', 'name="citation_author"', 'name="citation_publication_date" '
                'content="2012/12/10"', 'name="DC.title"', 'property="og:title"',
                'name="citation_pdf_url" content="downloads/governance-citizen-security.pdf"'):
        assert tag in html, tag
    # Google Scholar takes every page with citation_* tags for the paper: only the landing pages
    site = paper_output / "html"
    tagged = sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if 'name="citation_title"' in p.read_text())
    assert tagged == ["es/index.html", "index.html", "pt-br/index.html"]
    # and a translation's PDF is in its landing page's folder
    spanish = (site / "es" / "index.html").read_text()
    assert 'name="citation_pdf_url" content="downloads/governance-citizen-security-es.pdf"' in spanish
    assert (site / "es" / "downloads" / "governance-citizen-security-es.pdf").is_file()


def test_opds_feed(paper_output):
    feed = paper_output / "html" / "opds.xml"
    atom = "{http://www.w3.org/2005/Atom}"
    root = ET.parse(feed).getroot()
    assert root.tag == f"{atom}feed"
    entries = root.findall(f"{atom}entry")  # one book per edition: English, Spanish, Portuguese
    assert [e.find("{http://purl.org/dc/terms/}language").text for e in entries] == ["en", "es", "pt-BR"]
    assert entries[1].find(f"{atom}title").text.startswith("Gobernanza para la seguridad ciudadana")
    entry = entries[0]
    links = {link.get("rel"): link for link in entry.findall(f"{atom}link")}
    acquisitions = [link for link in entry.findall(f"{atom}link") if "acquisition" in link.get("rel")]
    assert {link.get("type") for link in acquisitions} == {"application/pdf", "application/epub+zip"}
    for link in [*acquisitions, links["http://opds-spec.org/image"],
                 *(link for e in entries[1:] for link in e.findall(f"{atom}link"))]:
        target = feed.parent / link.get("href")
        assert target.is_file()
        if link.get("length"):
            assert int(link.get("length")) == target.stat().st_size


def test_sitemap_and_canonical_links_with_a_site_url(project):
    from conftest import set_keys

    from paper.pipeline import BuildOptions, build

    set_keys(project, site_url="https://papers.example.org/minimal/")
    build(project, options=BuildOptions(formats=("html",)))
    site = project / "output" / "html"
    root = ET.parse(site / "sitemap.xml").getroot()
    locations = [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://papers.example.org/minimal/index.html" in locations
    assert all((site / Path(url).name).is_file() for url in locations)
    index = (site / "index.html").read_text()
    assert '<link rel="canonical" href="https://papers.example.org/minimal/index.html">' in index
    assert 'hreflang="en"' in index


def test_a_broken_link_fails_the_build(project):
    from paper.errors import UserError
    from paper.pipeline import BuildOptions, build

    chapter = project / "chapters" / "02-findings.md"
    chapter.write_text(chapter.read_text() + '\n<a href="nowhere.html">a raw link</a>\n')
    with pytest.raises(UserError) as failure:
        build(project, options=BuildOptions(formats=("html",)))
    assert "findings.html links to nowhere.html" in str(failure.value)
