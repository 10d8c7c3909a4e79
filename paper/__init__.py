"""paper: build a discussion paper from Markdown chapters to PDF, HTML and EPUB."""

__version__ = "0.3.0"
