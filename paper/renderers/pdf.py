"""PDF: the paper as HTML with print CSS, laid out by WeasyPrint."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import weasyprint
import weasyprint.urls

from .. import pandoc
from ..diagnostics import error
from ..errors import UserError
from ..model import Artifact, BuildContext, Manuscript
from . import slug, template_environment, template_values

log = logging.getLogger(__name__)


def render_pdf(manuscript: Manuscript, context: BuildContext, staging: Path) -> Artifact:
    paper = manuscript.paper
    body = pandoc.to_html(manuscript.document(), paper.root, context.source_date_epoch,
                          ("--section-divs", f"--lua-filter={pandoc.filter_path('footnotes.lua')}"))
    created = dt.datetime.fromtimestamp(context.source_date_epoch, dt.timezone.utc)
    html = template_environment(paper).get_template("pdf.html").render(
        body=body, created=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **template_values(manuscript, context))
    target = staging / f"{slug(paper)}.pdf"
    log.info("laying out the PDF")
    document = weasyprint.HTML(string=html, base_url=str(paper.root) + "/",
                               url_fetcher=ProjectFetcher(paper.root))
    try:
        document.write_pdf(target, pdf_identifier=slug(paper).encode(), uncompressed_pdf=False)
    except weasyprint.urls.FatalURLFetchingError as exc:
        reason = exc.__cause__ or exc
        raise UserError([error(Path("templates"), 0, "refused-url",
                               f"the PDF needs a file it may not read: {reason}; "
                               "keep images, fonts and stylesheets inside the project")]) from exc
    return Artifact("pdf", target)


class ProjectFetcher(weasyprint.urls.URLFetcher):
    """Lets WeasyPrint read files inside the project (and data: URLs), nothing else."""

    def __init__(self, root: Path):
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.root = root.resolve()

    def fetch(self, url: str, headers=None):
        if url.startswith("file:"):
            path = Path(url2pathname(urlparse(url).path)).resolve()
            if not path.is_relative_to(self.root):
                raise ValueError(f"refused to read {path}: builds only read files inside the project")
        return super().fetch(url, headers)
