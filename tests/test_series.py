"""A series of papers built into one website: catalogue, feeds, sitemap, search, manifest,
what papers take from the series, and rebuilding only what changed."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest
from conftest import PROJECTS, axe_violations, outputs, served

from paper.catalogue import build_series
from paper.cli import main

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/terms/}"
KINDS = {"navigation": "application/atom+xml;profile=opds-catalog;kind=navigation",
         "acquisition": "application/atom+xml;profile=opds-catalog;kind=acquisition"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def make_series(dest: Path) -> Path:
    """tests/projects/series with the minimal project as paper 1 (alpha) and the editions
    project as paper 2 (beta), both taking their licence and publisher from the series."""
    root = dest / "series"
    shutil.copytree(PROJECTS / "series", root)
    for name, source, number, date in (("alpha", "minimal", 1, "2020-05-04"), ("beta", "editions", 2, "2020-09-01")):
        shutil.copytree(PROJECTS / source, root / "papers" / name)
        config = root / "papers" / name / "paper.yaml"
        text = config.read_text(encoding="utf-8")
        text = text.replace("series:\n  name: Test Series\n  number: 7\n", f"series:\n  number: {number}\n")
        text = text.replace("license: CC BY 4.0\n", "").replace("publisher: Test Press\n", "")
        text = text.replace(f"slug: {source}", f"slug: {name}").replace("date: 2020-05-04", f"date: {date}")
        text = text.replace("    series: Serie de prueba\n", "")
        if name == "beta":  # with DOIs for its English and Spanish editions, for the Crossref deposit
            text = text.replace("slug: beta\n", "slug: beta\ndoi: 10.5555/beta.2020\nreport-number: TDP 2/2020\n"
                                "jel: [H56, O54]\nfunding:\n  - funder: Test Foundation\n"
                                "    funder-id: 10.13039/501100000780\n    award: TF-123\n")
            text = text.replace("  es:\n    title:", "  es:\n    doi: 10.5555/beta.2020.es\n    translators:\n"
                                "      - name: María Gómez\n        ror: https://ror.org/05dxps055\n    title:")
        config.write_text(text, encoding="utf-8")
    config = root / "series.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "depositor:\n  name: Test Academy Publications\n"
                      "  email: doi@example.org\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> Path:
    root = make_series(tmp_path_factory.mktemp("series"))
    assert main(["series", "build", "--project", str(root), "-q"]) == 0
    return root


@pytest.fixture(scope="module")
def site(series) -> Path:
    return (series / "output" / "series" / "site").resolve()


def test_catalogue_lists_every_paper_newest_first_in_each_language(site):
    page = (site / "index.html").read_text(encoding="utf-8")
    titles = re.findall(r'<h3><a href="([^"]+)">([^<]+)</a></h3>', page)
    assert [t for _href, t in titles] == ["A Third Test Paper", "A Multilingual Test Paper: Used by the test suite",
                                         "A Minimal Test Paper: Used by the test suite"]
    for href, _title in titles:
        assert (site / href).is_file(), href
    assert 'href="papers/beta/downloads/beta.pdf" download>Download PDF' in page
    assert "ISSN 2049-3630" in page and "Test Academy" in page
    spanish = (site / "es" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in spanish and "<h1>Documentos de discusión de prueba</h1>" in spanish
    assert "Un documento de prueba multilingüe" in spanish  # beta in its Spanish edition
    assert 'lang="en"' in spanish and "En English" in spanish  # alpha and gamma are in English only
    for href in re.findall(r'href="([^"#]+)"', spanish):
        if not href.startswith(("http", "data:")):
            assert (site / "es" / href).resolve().is_file(), href


def test_papers_take_the_series_name_issn_licence_and_address(site):
    alpha = (site / "papers" / "alpha" / "index.html").read_text(encoding="utf-8")
    assert "Test Discussion Papers" in alpha
    assert '<link rel="canonical" href="https://example.org/series/papers/alpha/index.html">' in alpha
    feed = ElementTree.parse(site / "papers" / "alpha" / "opds.xml").getroot()
    assert feed.find(f"{ATOM}entry/{ATOM}rights").text == "CC BY 4.0"
    assert feed.find(f"{ATOM}entry/{DC}publisher").text == "Test Academy"
    spanish = (site / "papers" / "beta" / "es" / "index.html").read_text(encoding="utf-8")
    assert "Documentos de discusión de prueba" in spanish


def test_every_feed_is_valid_against_the_atom_and_opds_schema(site, tmp_path):
    from lxml import etree

    schema = etree.RelaxNG(etree.parse(str(PROJECTS.parent / "schemas" / "opds-feed.rng")))
    feeds = [site / "opds.xml", *sorted((site / "opds").glob("*.xml")), *sorted(site.glob("papers/*/opds.xml"))]
    assert len(feeds) == 7  # the navigation feed, all, en, es, and each paper's own
    for feed in feeds:
        assert schema.validate(etree.parse(str(feed))), (feed, [str(e) for e in schema.error_log])
    broken = etree.parse(str(site / "opds" / "all.xml"))
    entry = broken.getroot().find("{http://www.w3.org/2005/Atom}entry")
    entry.remove(entry.find("{http://www.w3.org/2005/Atom}id"))
    assert not schema.validate(broken)  # an entry without its id is refused: the schema is really read


def test_opds_feeds_follow_atom_and_opds_and_a_feed_reader_reads_them(site):
    top = ElementTree.parse(site / "opds.xml").getroot()
    assert top.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert top.find(f"{ATOM}{tag}") is not None, tag
    links = {link.get("rel"): link for link in top.findall(f"{ATOM}link")}
    assert links["self"].get("type") == links["start"].get("type") == KINDS["navigation"]
    feeds = {}
    for entry in top.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}content") is not None and RFC3339.match(entry.findtext(f"{ATOM}updated"))
        link = entry.find(f"{ATOM}link")
        assert link.get("type") == KINDS["acquisition"]
        feeds[link.get("href")] = link.get("rel")
    assert feeds == {"opds/all.xml": "http://opds-spec.org/sort/new", "opds/en.xml": "subsection",
                     "opds/es.xml": "subsection"}
    for href in feeds:
        feed = ElementTree.parse(site / href).getroot()
        rels = {link.get("rel"): link.get("type") for link in feed.findall(f"{ATOM}link")}
        assert rels == {"self": KINDS["acquisition"], "start": KINDS["navigation"], "up": KINDS["navigation"]}
        entries = feed.findall(f"{ATOM}entry")
        ids = [e.findtext(f"{ATOM}id") for e in entries]
        assert len(set(ids)) == len(ids) and all(ids)
        issued = [e.findtext(f"{DC}issued") for e in entries]
        assert issued == sorted(issued, reverse=True)
        for e in entries:
            assert e.findtext(f"{ATOM}title") and e.find(f"{ATOM}author/{ATOM}name") is not None
            assert RFC3339.match(e.findtext(f"{ATOM}updated"))
            assert e.findtext(f"{DC}isPartOf") == "urn:issn:2049-3630"
            if href.endswith("es.xml"):
                assert e.findtext(f"{DC}language") == "es"
            got = [link for link in e.findall(f"{ATOM}link") if link.get("rel").startswith("http://opds-spec.org/acq")]
            assert got, "an acquisition feed's entry needs something to acquire"
            for link in got:
                file = (site / "opds" / link.get("href")).resolve()
                assert file.stat().st_size == int(link.get("length")) and link.get("type") in (
                    "application/pdf", "application/epub+zip")
        parsed = feedparser.parse((site / href).read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == len(entries)
        assert all(any(link.rel.startswith("http://opds-spec.org/acquisition") for link in e.links)
                   for e in parsed.entries)
    every = ElementTree.parse(site / "opds" / "all.xml").getroot().findall(f"{ATOM}entry")
    assert len(every) == 5  # alpha, gamma, and beta in English, Spanish and Portuguese


def crossref_schema():
    """Crossref's own deposit schema, 5.5.0, as commonmeta-py ships it (installed without its
    dependencies: only its schema files are used), read with no network."""
    import importlib.metadata

    import xmlschema

    base = Path(importlib.metadata.distribution("commonmeta-py").locate_file("commonmeta/resources/crossref"))
    local = {"http://www.w3.org/2009/01/xml.xsd": "standard-modules/xml.xsd",
             "https://www.w3.org/2001/xml.xsd": "standard-modules/xml.xsd",
             "http://www.w3.org/2001/xml.xsd": "standard-modules/xml.xsd",
             "http://www.w3.org/Math/XMLSchema/mathml3/mathml3.xsd": "standard-modules/mathml3/mathml3.xsd",
             "http://www.w3.org/1999/xlink.xsd": "standard-modules/xlink.xsd"}
    # XSD 1.1: the schema marks its components vc:minVersion="1.1", which an XSD 1.0 reader skips
    return xmlschema.XMLSchema11(str(base / "crossref5.5.0.xsd"), allow="sandbox",
                                 uri_mapper=lambda url: str(base / local[url]) if url in local else url)


def test_the_crossref_deposit_follows_crossrefs_schema_for_the_papers_with_a_doi(series, tmp_path):
    deposit = series / "output" / "series" / "crossref.xml"
    schema = crossref_schema()
    assert [e.reason for e in schema.iter_errors(str(deposit))] == []
    broken = tmp_path / "broken.xml"
    broken.write_text(deposit.read_text(encoding="utf-8").replace("<doi>10.5555/beta.2020</doi>", ""), encoding="utf-8")
    assert list(schema.iter_errors(str(broken)))  # the schema is really read: a record without its DOI fails
    cr = "{http://www.crossref.org/schema/5.5.0}"
    root = ElementTree.parse(deposit).getroot()
    records = root.findall(f"{cr}body/{cr}report-paper/{cr}report-paper_series_metadata")
    assert [r.findtext(f"{cr}doi_data/{cr}doi") for r in records] == ["10.5555/beta.2020", "10.5555/beta.2020.es"]
    english, spanish = records
    assert english.findtext(f"{cr}series_metadata/{cr}issn") == "2049-3630"
    assert spanish.findtext(f"{cr}series_metadata/{cr}titles/{cr}title") == "Documentos de discusión de prueba"
    assert english.findtext(f"{cr}doi_data/{cr}resource") == "https://example.org/series/papers/beta/"
    assert spanish.findtext(f"{cr}doi_data/{cr}resource") == "https://example.org/series/papers/beta/es/"
    assert english.findtext(f".//{cr}person_name/{cr}ORCID") == "https://orcid.org/0000-0002-1825-0097"
    assert english.findtext(f"{cr}institution/{cr}institution_id") == "https://ror.org/05dxps055"
    assert english.findtext(f"{cr}publisher_item/{cr}item_number") == "TDP 2/2020"
    translator = spanish.find(f".//{cr}person_name[@contributor_role='translator']")
    assert translator.findtext(f"{cr}surname") == "Gómez"
    rel, ai, fr = ("{http://www.crossref.org/relations.xsd}", "{http://www.crossref.org/AccessIndicators.xsd}",
                   "{http://www.crossref.org/fundref.xsd}")
    relation = spanish.find(f".//{rel}intra_work_relation")
    assert (relation.get("relationship-type"), relation.text) == ("isTranslationOf", "10.5555/beta.2020")
    assert english.find(f".//{rel}intra_work_relation").get("relationship-type") == "hasTranslation"
    assert english.findtext(f".//{ai}license_ref") == "https://creativecommons.org/licenses/by/4.0/"
    assert [a.text.strip() for a in english.iter(f"{fr}assertion") if a.text and a.text.strip()] == [
        "Test Foundation", "https://doi.org/10.13039/501100000780", "TF-123"]


def test_sitemap_and_manifest_cover_the_site(site):
    sitemap = ElementTree.parse(site / "sitemap.xml").getroot()
    locs = [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://example.org/series/index.html" in locs and "https://example.org/series/es/index.html" in locs
    assert "https://example.org/series/papers/gamma/only.html" in locs
    for loc in locs:
        assert (site / loc.removeprefix("https://example.org/series/")).is_file(), loc
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    files = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(listed) == files
    for path, item in listed.items():
        data = (site / path).read_bytes()
        assert item["bytes"] == len(data) and item["sha256"] == hashlib.sha256(data).hexdigest(), path
    assert [p["folder"] for p in manifest["papers"]] == ["papers/alpha", "papers/beta", "papers/gamma"]


@pytest.fixture(scope="module")
def address(site):
    """The series' site served on 127.0.0.1, as a web host would serve it."""
    with served(site) as here:
        yield here


def test_search_finds_a_word_of_one_paper_from_the_series_page(browser, address):
    page = browser.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{address}/search.html")
    page.fill(".pagefind-ui__search-input", "quetzalcoatlus")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15000)
    links = page.locator(".pagefind-ui__result-link").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert links and all("/papers/gamma/" in link for link in links), links
    page.fill(".pagefind-ui__search-input", "findings")
    page.locator(".pagefind-ui__result-link").nth(1).wait_for(timeout=15000)
    found = page.locator(".pagefind-ui__result-link").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert {link.split("/papers/")[1].split("/")[0] for link in found} >= {"alpha", "beta"}, found
    assert errors == []
    page.close()


def test_an_edit_to_one_paper_rebuilds_only_that_paper_and_the_same_sources_give_the_same_site(series, tmp_path):
    root = tmp_path / "series"
    shutil.copytree(series, root, symlinks=True)
    before = {name: (root / "papers" / name / "output" / "current").readlink() for name in ("alpha", "beta", "gamma")}
    site_before = outputs(root / "output" / "series")
    published = (root / "output" / "series" / "current").readlink()
    build_series(root)  # nothing changed: the published site stands as it was
    assert (root / "output" / "series" / "current").readlink() == published
    chapter = root / "papers" / "gamma" / "chapters" / "01-only.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA sentence added.\n", encoding="utf-8")
    build_series(root)
    after = {name: (root / "papers" / name / "output" / "current").readlink() for name in ("alpha", "beta", "gamma")}
    assert after["alpha"] == before["alpha"] and after["beta"] == before["beta"]
    assert after["gamma"] != before["gamma"]
    site_after = outputs(root / "output" / "series")
    changed = {p for p in site_after if site_before.get(p) != site_after[p]}
    assert "site/papers/gamma/only.html" in changed
    assert not any(p.startswith(("site/papers/alpha/", "site/papers/beta/")) for p in changed)
    assert not (root / "output" / "series" / "crossref.xml").exists()  # gamma has no DOI: nothing to deposit
    # a fresh copy of the same sources, built from nothing, gives the same site
    fresh = make_series(tmp_path / "fresh")
    shutil.copyfile(chapter, fresh / "papers" / "gamma" / "chapters" / "01-only.md")
    build_series(fresh)
    assert outputs(fresh / "output" / "series") == site_after


def test_a_paper_that_fails_stops_the_series_and_leaves_its_site(series, tmp_path, capsys):
    root = tmp_path / "series"
    shutil.copytree(series, root, symlinks=True)
    published = outputs(root / "output" / "series")
    config = root / "papers" / "gamma" / "paper.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("date: 2021-03-15", "date: 2021-13-45"),
                      encoding="utf-8")
    assert main(["series", "build", "--project", str(root), "-q"]) == 1
    err = capsys.readouterr().err
    assert "papers/gamma/paper.yaml:6: error: '2021-13-45' is not a date" in err
    assert "was not built (1 error(s) above)" in err and "series stopped: 1 error(s)" in err
    assert outputs(root / "output" / "series") == published


@pytest.mark.parametrize(("line", "code", "where"), [
    ("issn: 2049-3631", "bad-issn", 6), ("ror: https://ror.org/05dxps056", "bad-ror", 8),
    ("colour: blue", "unknown-key", 3), ("papers: [../elsewhere]", "outside-project", 3),
])
def test_series_yaml_mistakes_are_located(tmp_path, capsys, line, code, where):
    root = make_series(tmp_path)
    config = root / "series.yaml"
    text = config.read_text(encoding="utf-8")
    key = line.split(":")[0]
    lines = [li for li in text.splitlines() if not li.startswith(key + ":")]
    lines.insert(where - 1, line)
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["series", "build", "--project", str(root), "-q"]) == 1
    err = capsys.readouterr().err
    assert f"series.yaml:{where}: error:" in err and f"[{code}]" in err, err
    # a paper of the series, checked alone, says the same of the series' file
    assert main(["check", "--project", str(root / "papers" / "alpha")]) == 1
    out = capsys.readouterr()
    assert f"series.yaml:{where}: error:" in out.out + out.err


def test_series_new_makes_a_series_whose_first_paper_takes_its_design(tmp_path, capsys):
    folder = tmp_path / "discussion-papers"
    assert main(["series", "new", str(folder)]) == 0
    assert (folder / "series.yaml").is_file() and (folder / "papers" / "first-paper" / "paper.yaml").is_file()
    assert main(["check", "--project", str(folder / "papers" / "first-paper")]) == 0
    from paper.config import load_config
    from paper.series import inherited

    meta, problems = load_config(folder / "papers" / "first-paper", inherit=inherited)
    assert problems == [] and meta.license == "CC BY 4.0"  # from the series' design: the paper gives none
    assert meta.series.name == "Discussion papers" and meta.series.number == "1"
    assert main(["series", "new", str(folder)]) == 1  # never over an existing folder


def test_the_plan_shares_the_papers_to_rebuild_by_their_build_times():
    from paper.series import SeriesMeta
    from paper.shards import matrix, plan

    series = SeriesMeta(Path("."), "S", papers=tuple(f"papers/p{i}" for i in range(6)))
    keys = {f: "new" for f in series.papers}
    published = {"papers/p0": "new"}  # p0 is as published: not rebuilt
    times = {"papers/p1": 50.0, "papers/p2": 40.0, "papers/p3": 30.0, "papers/p4": 20.0, "papers/p5": 10.0}
    chosen = plan(series, keys, published, times, 2)
    assert chosen == [["papers/p1", "papers/p4", "papers/p5"], ["papers/p2", "papers/p3"]]  # 80 s and 70 s
    assert plan(series, keys, published, {}, 5) == [[f] for f in series.papers[1:]]  # unknown times: one each
    github = json.loads(matrix(chosen, "github"))
    assert github == {"include": [{"shard": "1/2", "papers": "papers/p1 papers/p4 papers/p5"},
                                  {"shard": "2/2", "papers": "papers/p2 papers/p3"}]}
    import yaml

    gitlab = yaml.safe_load(matrix(chosen, "gitlab"))
    assert gitlab["build-papers"]["parallel"]["matrix"] == [{"SHARD": ["1/2", "2/2"]}]
    assert "paper series build --shard $SHARD --published published/" in gitlab["build-papers"]["script"]
    assert "pages" in gitlab and "paper series assemble --published published/" in gitlab["pages"]["script"]
    assert "build-papers" not in yaml.safe_load(matrix([[], []], "gitlab"))  # nothing to build: the site again
    assert matrix([[], []], "github") == '{"include":[]}'


def test_three_shards_assembled_give_the_same_site_as_one_build(series, tmp_path, capsys):
    root = make_series(tmp_path)
    assert main(["series", "plan", "--shards", "3", "--project", str(root)]) == 0
    assert capsys.readouterr().out.splitlines() == ["shard 1/3: papers/alpha", "shard 2/3: papers/beta",
                                                    "shard 3/3: papers/gamma"]
    for k in (1, 2, 3):
        assert main(["series", "build", "--shard", f"{k}/3", "--project", str(root), "-q"]) == 0
    assert main(["series", "assemble", "--project", str(root), "-q"]) == 0
    assert outputs(root / "output" / "series" / "site") == outputs(series / "output" / "series" / "site")
    # after an edit, the plan rebuilds that paper alone; its shard and the published copies of the
    # others make the site again
    chapter = root / "papers" / "alpha" / "chapters" / "02-findings.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more finding.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["series", "plan", "--shards", "3", "--project", str(root)]) == 0
    assert capsys.readouterr().out.splitlines() == ["shard 1/3: papers/alpha"]
    shutil.rmtree(root / "output" / "series" / "shards")  # as on a fresh runner
    assert main(["series", "build", "--shard", "1/3", "--project", str(root), "-q"]) == 0
    assert main(["series", "assemble", "--project", str(root), "-q"]) == 0
    site = root / "output" / "series" / "site"
    assert "One more finding." in (site / "papers" / "alpha" / "findings.html").read_text(encoding="utf-8")
    assert outputs(site / "papers" / "gamma") == outputs(series / "output" / "series" / "site" / "papers" / "gamma")


def test_the_ci_files_in_the_docs_run_commands_the_tool_has():
    import shlex

    import yaml

    from paper.cli import make_parser
    from paper.shards import matrix

    texts = {name: (PROJECTS.parent.parent / "docs" / "ci" / name).read_text(encoding="utf-8")
             for name in ("github-series.yml", "gitlab-series.yml")}
    texts["child pipeline"] = matrix([["papers/a"], ["papers/b"]], "gitlab")
    found = 0
    for name, text in texts.items():
        document = yaml.safe_load(text)
        assert isinstance(document, dict), name
        commands = "\n".join(li for li in text.splitlines() if not li.lstrip().startswith("#"))
        for line in re.findall(r"paper series [^\n>\"]+", commands):
            line = re.sub(r"\$\{\{ *matrix\.shard *\}\}|\$SHARD", "1/2", line).strip()
            args = make_parser().parse_args(shlex.split(line)[1:])
            assert args.command == "series" and args.action in ("plan", "build", "assemble"), line
            found += 1
    assert found >= 6
    workflow = yaml.safe_load(texts["github-series.yml"])
    assert list(workflow["jobs"]) == ["plan", "build", "assemble"]
    assert workflow["jobs"]["build"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"


def test_the_imprint_and_the_datacite_record_carry_the_catalogue_metadata(series):
    import pypdf
    from datacite import schema45

    beta = series / "papers" / "beta" / "output"
    imprint = next(t for t in (p.extract_text() for p in pypdf.PdfReader(beta / "beta-es.pdf").pages[:6])
                   if "ISSN" in t)
    for line in ("Serie Documentos de discusión de prueba, n.º 2, ISSN 2049-3630", "Número de informe TDP 2/2020",
                 "Traducción de María Gómez", "Financiación Test Foundation (subvención TF-123)",
                 "Códigos JEL H56, O54", "DOI https://doi.org/10.5555/beta.2020.es"):
        assert line in imprint, line
    record = json.loads((beta / "cite" / "datacite.json").read_text(encoding="utf-8"))["data"]["attributes"]
    schema45.validator.validate(record)
    assert {"subject": "H56", "subjectScheme": "JEL", "classificationCode": "H56",
            "schemeUri": "https://www.aeaweb.org/econlit/jelCodes.php"} in record["subjects"]
    assert record["fundingReferences"] == [{"funderName": "Test Foundation", "awardNumber": "TF-123",
                                            "funderIdentifier": "https://doi.org/10.13039/501100000780",
                                            "funderIdentifierType": "Crossref Funder ID"}]
    assert {"relatedIdentifier": "2049-3630", "relatedIdentifierType": "ISSN", "relationType": "IsPartOf"} in \
        record["relatedIdentifiers"]
    assert {"relatedIdentifier": "10.5555/beta.2020.es", "relatedIdentifierType": "DOI",
            "relationType": "IsOriginalFormOf"} in record["relatedIdentifiers"]
    kernel = "{http://datacite.org/schema/kernel-4}"
    xml = ElementTree.parse(beta / "cite" / "datacite.xml").getroot()
    assert xml.find(f"{kernel}fundingReferences/{kernel}fundingReference/{kernel}awardNumber").text == "TF-123"


@pytest.mark.parametrize("width", [320, 1280])
def test_the_catalogue_and_search_pages_have_no_accessibility_violations(browser, address, width):
    """axe-core's WCAG 2.2 AA rules and best practices on the catalogue (English and Spanish)
    and the series' search with its results, on a phone and a desktop."""
    # the site's policy rightly refuses injected scripts: axe is let in by bypassing it
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 800})
    page = context.new_page()
    found = {}
    for name in ("index.html", "es/index.html", "search.html"):
        page.goto(f"{address}/{name}")
        if name == "search.html":
            page.fill(".pagefind-ui__search-input", "findings")
            page.wait_for_selector(".pagefind-ui__result", timeout=15000)
        if violations := axe_violations(page):
            found[name] = violations
    context.close()
    assert found == {}


def test_two_papers_with_one_slug_stop_the_series_before_anything_is_built(tmp_path, capsys):
    root = make_series(tmp_path)
    config = root / "papers" / "gamma" / "paper.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("slug: gamma", "slug: alpha"), encoding="utf-8")
    assert main(["series", "build", "--project", str(root), "-q"]) == 1
    err = capsys.readouterr().err
    assert ("papers/gamma/paper.yaml: error: this paper and the one in papers/alpha would both be papers/alpha/ on "
            "the series' website: give one of them another 'slug:' [duplicate-paper]") in err
    assert not (root / "papers" / "alpha" / "output").exists() and not (root / "output" / "series" / "site").exists()
