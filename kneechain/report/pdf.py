"""``--pdf``: the HTML report printed to a PDF file by headless Chromium.

Chromium's print engine is the one a PT gets with "Print > Save as PDF" in a browser, so the PDF follows
the report's print stylesheet (``@media print``, ``@page`` margins, ``break-inside``) and keeps its inline
SVG figures and embedded images exactly. The paper size (A4 or Letter) is set by a ``@page { size: ... }``
rule added at the end of a temporary copy of the (self-contained) report; the browser's own header and
footer are switched off, so neither the file's path nor the date is printed in the margins. Chromium runs
offline with a throwaway profile (see ``kneechain.report.browser``).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from kneechain.errors import OutputWriteError
from kneechain.report.browser import file_url, find_chromium, print_html_to_pdf

log = logging.getLogger(__name__)

PAPER_SIZES = {"a4": "A4", "letter": "letter"}


class PdfRendererMissingError(OutputWriteError):
    """``--pdf`` was asked for, but no Chromium is installed to print the report with."""


def page_size_css(paper: str) -> str:
    """The CSS ``@page`` size keyword for a paper name (``A4`` or ``Letter``, any letter case)."""
    size = PAPER_SIZES.get(paper.strip().lower())
    if size is None:
        raise ValueError(f"unknown paper size {paper!r}: use one of A4, Letter")
    return size


def with_page_size(html: bytes, size: str) -> bytes:
    """The page with a ``@page { size }`` rule appended, so it wins over any earlier ``@page`` size."""
    rule = f"\n<style>@page {{ size: {size}; }}</style>\n".encode("ascii")
    return html + rule


def html_to_pdf(html_path: Path, pdf_path: Path, paper: str = "A4") -> Path:
    """Print the self-contained HTML report ``html_path`` to ``pdf_path`` (written atomically) on
    ``paper`` (A4 or Letter). Raises ``PdfRendererMissingError`` when Chromium is not installed and
    ``BrowserError`` (an ``OutputWriteError``) when it fails."""
    size = page_size_css(paper)
    if find_chromium() is None:
        raise PdfRendererMissingError(
            "--pdf needs Chromium (apt-get install chromium), which was not found.",
            "Install it (or set KNEECHAIN_CHROMIUM to a Chromium or Chrome executable), or print the HTML "
            "report from a browser.",
        )
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    file_url(html_path)  # a BrowserError if the report is not there
    with tempfile.TemporaryDirectory(prefix="kneechain-pdf-") as work:
        sized_copy = Path(work) / html_path.name  # same name: Chromium's fallback PDF title is the name
        sized_copy.write_bytes(with_page_size(html_path.read_bytes(), size))
        run = print_html_to_pdf(sized_copy, pdf_path)
    log.debug("PDF printed by Chromium in %.1f s: %s", run.seconds, pdf_path.name)
    return pdf_path
