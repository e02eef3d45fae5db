"""Headless Chromium renders an HTML page to a PNG screenshot and to a PDF (``--pdf``), offline.

Two pages: a small self-contained stand-in (an inline SVG figure, a base64 JPEG, a print stylesheet with
``@page``, text shown only on screen or only in print) for exact checks, and the real report of the
bundled front squat. Tests that need Chromium skip with the reason where it is not installed, and fail in
CI (``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import unicodedata
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from kneechain.analysis_files import POSES_FILE
from kneechain.api import analyze_video
from kneechain.errors import EXIT_OUTPUT, OutputWriteError
from kneechain.report.browser import (
    BrowserError,
    chromium_command,
    find_chromium,
    network_isolation,
    run_chromium,
    screenshot_html,
)
from kneechain.report.pdf import PdfRendererMissingError, html_to_pdf
from kneechain.report.render import render_report
from tests.conftest import SAMPLE_DIR, cached_poses

HOSTILE_ID = "<script>alert(1)</script>"
CHROMIUM_MISSING = "Chromium is not installed (Debian/Ubuntu: apt-get install chromium; CI installs it)"
SVG_BLUE_BGR = (204, 102, 51)  # #3366cc
JPEG_ORANGE_BGR = (0, 140, 255)
A4_PT = (595.0, 842.0)
LETTER_PT = (612.0, 792.0)


@pytest.fixture(scope="session")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(CHROMIUM_MISSING + "; CI must have it")
        pytest.skip(CHROMIUM_MISSING)
    return found


def jpeg_data_uri(bgr: tuple[int, int, int], width_px: int = 160, height_px: int = 90) -> str:
    image = np.full((height_px, width_px, 3), bgr, np.uint8)
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def write_demo_page(folder: Path, paragraphs: int = 90) -> Path:
    """A self-contained page like the report: inline SVG, base64 JPEG, print stylesheet."""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>kneechain test report</title>
<style>
  body {{ font-family: sans-serif; margin: 16px; }}
  .print-only {{ display: none; }}
  @media print {{ .screen-only {{ display: none; }} .print-only {{ display: block; }} }}
  @page {{ margin: 12mm; }}
</style></head>
<body>
<h1>Demo heading</h1>
<p class="screen-only">Shown on screen only</p><p class="print-only">Shown in print only</p>
<a href="#end">jump to the end</a>
<svg width="300" height="120" viewBox="0 0 300 120" role="img">
  <rect x="0" y="0" width="300" height="120" fill="#3366cc"/>
  <line x1="0" y1="60" x2="300" y2="60" stroke="#000" stroke-width="2"/>
</svg>
<img src="{jpeg_data_uri(JPEG_ORANGE_BGR)}" width="160" height="90" alt="key frame">
{"<p>Metric line.</p>" * paragraphs}
<h2 id="end">End</h2>
</body></html>"""
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


# --- reading a PDF without extra dependencies ---------------------------------------------------------

PDF_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)


def pdf_objects(data: bytes) -> dict[int, tuple[bytes, bytes]]:
    """Object number -> (dictionary bytes, inflated stream bytes) for a PDF without object streams."""
    objects = {}
    for number, body in PDF_OBJECT.findall(data):
        head, _, rest = body.partition(b"stream")
        stream = rest.lstrip(b"\r\n").rsplit(b"endstream", 1)[0] if rest else b""
        if stream and b"/FlateDecode" in head:
            try:
                stream = zlib.decompress(stream)
            except zlib.error:
                stream = b""
        objects[int(number)] = (head, stream)
    return objects


def to_unicode_map(cmap: bytes) -> dict[int, str]:
    """Glyph code -> text from a ToUnicode CMap (bfchar and bfrange entries)."""
    mapping = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for source, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(source, 16)] = bytes.fromhex(target.decode()).decode("utf-16-be", "replace")
    hex_range = rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>"
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, target in re.findall(hex_range, block):
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(int(target, 16) + offset)
    return mapping


def pdf_text(data: bytes) -> str:
    """The text drawn on the pages (Chromium/Skia PDFs: Type0 fonts, hex strings), NFKC-normalised so
    ligatures such as 'ﬁ' read as 'fi'."""
    objects = pdf_objects(data)
    fonts = {}
    for head, _ in objects.values():
        for font_dict in re.findall(rb"/Font\s*<<(.*?)>>", head, re.S):
            for name, number in re.findall(rb"/(\w+)\s+(\d+) 0 R", font_dict):
                to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", objects.get(int(number), (b"", b""))[0])
                if to_unicode:
                    fonts[name] = to_unicode_map(objects[int(to_unicode.group(1))][1])
    parts = []
    for _, stream in objects.values():
        if b" Tf" not in stream:
            continue
        font: dict[int, str] = {}
        for token in re.finditer(rb"/(\w+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>|\bET\b", stream):
            if token.group(1):
                font = fonts.get(token.group(1), {})
            elif token.group(2) is not None:
                codes = token.group(2).decode()
                parts.append(
                    "".join(font.get(int(codes[i : i + 4], 16), "") for i in range(0, len(codes), 4))
                )
            else:
                parts.append("\n")
    return unicodedata.normalize("NFKC", "".join(parts))


def page_sizes_pt(data: bytes) -> list[tuple[float, float]]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*[\d.]+\s+[\d.]+\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    return [(float(width), float(height)) for width, height in boxes]


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def assert_no_local_path(data: bytes, folder: Path) -> None:
    """Neither a file URL nor the folder's path, in the drawn text or anywhere in the raw file."""
    text = pdf_text(data)
    raw = data + b"".join(stream for _, stream in pdf_objects(data).values())
    for needle in ("file://", str(folder)):
        assert needle not in text, f"{needle!r} printed on a page"
        assert needle.encode() not in raw, f"{needle!r} in the PDF file"


# --- without Chromium ---------------------------------------------------------------------------------


def make_fake_program(folder: Path, name: str, script: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.skipif(os.name != "posix", reason="uses shell scripts as stand-in browsers")
def test_find_chromium_uses_override_then_path(tmp_path, monkeypatch):
    fake = make_fake_program(tmp_path, "chromium-browser", "exit 0")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("KNEECHAIN_CHROMIUM", raising=False)
    assert find_chromium() == str(fake)
    monkeypatch.setenv("KNEECHAIN_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert find_chromium() is None
    (tmp_path / "not-executable").write_text("")
    monkeypatch.setenv("KNEECHAIN_CHROMIUM", str(tmp_path / "not-executable"))
    assert find_chromium() is None
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("KNEECHAIN_CHROMIUM")
    assert find_chromium() is None


def test_pdf_without_chromium_is_a_one_line_output_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KNEECHAIN_CHROMIUM", str(tmp_path / "no-such-browser"))
    html = write_demo_page(tmp_path, paragraphs=1)
    with pytest.raises(PdfRendererMissingError) as caught:
        html_to_pdf(html, tmp_path / "report.pdf")
    error = caught.value
    assert isinstance(error, OutputWriteError) and error.exit_code == EXIT_OUTPUT
    line = error.one_line()
    assert "\n" not in line
    assert "--pdf needs Chromium (apt-get install chromium)" in line
    assert "print the HTML report from a browser" in line
    assert not (tmp_path / "report.pdf").exists()


def test_unknown_paper_size_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="A4, Letter"):
        html_to_pdf(write_demo_page(tmp_path, paragraphs=1), tmp_path / "report.pdf", paper="A5")


@pytest.mark.skipif(os.name != "posix", reason="uses shell scripts as stand-in browsers")
def test_a_failing_browser_leaves_no_file_and_says_why(tmp_path, monkeypatch):
    fake = make_fake_program(tmp_path, "broken-chromium", "echo 'cannot open display' >&2; exit 3")
    monkeypatch.setenv("KNEECHAIN_CHROMIUM", str(fake))
    html = write_demo_page(tmp_path, paragraphs=1)
    with pytest.raises(BrowserError, match="exit code 3: cannot open display"):
        html_to_pdf(html, tmp_path / "out.pdf")
    with pytest.raises(BrowserError, match="did not write the screenshot"):
        screenshot_html(html, tmp_path / "out.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken-chromium", "report.html"]


@pytest.mark.skipif(os.name != "posix", reason="uses a shell command as a stand-in browser")
def test_a_hanging_browser_is_stopped_at_the_time_limit():
    with pytest.raises(BrowserError, match="did not finish rendering within 1 s"):
        run_chromium(["sh", "-c", "sleep 30 & sleep 30"], timeout_s=1.0)


def test_a_missing_html_file_is_reported(tmp_path):
    with pytest.raises(BrowserError, match="does not exist"):
        screenshot_html(tmp_path / "missing.html", tmp_path / "shot.png")


# --- with Chromium ------------------------------------------------------------------------------------


def test_pdf_is_printed_with_the_print_stylesheet_and_no_path_or_date(tmp_path, chromium):
    html = write_demo_page(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    pdf = html_to_pdf(html, out_dir / "report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert page_count(data) >= 2  # 90 paragraphs do not fit one page
    assert all(abs(w - A4_PT[0]) < 1 and abs(h - A4_PT[1]) < 1 for w, h in page_sizes_pt(data))
    text = pdf_text(data)
    assert "Demo heading" in text and "Shown in print only" in text
    assert "Shown on screen only" not in text
    assert not re.search(r"\d{1,2}/\d{1,2}/\d{2}", text), "a date is printed in the margins"
    assert_no_local_path(data, tmp_path)
    assert [p.name for p in out_dir.iterdir()] == ["report.pdf"]  # no temporary file left behind


def test_pdf_paper_letter(tmp_path, chromium):
    data = html_to_pdf(write_demo_page(tmp_path, 5), tmp_path / "r.pdf", paper="letter").read_bytes()
    sizes = page_sizes_pt(data)
    assert sizes and all(abs(w - LETTER_PT[0]) < 1 and abs(h - LETTER_PT[1]) < 1 for w, h in sizes)


def test_pdf_text_check_would_see_the_browsers_own_header(tmp_path, chromium):
    """Control for the check above: printed with Chromium's default header and footer, the file URL
    is found in the text, so its absence from our PDFs means something."""
    html = write_demo_page(tmp_path, 5)
    out = tmp_path / "with-header.pdf"
    flags = [f"--print-to-pdf={out}"]
    run_chromium(chromium_command(chromium, tmp_path / "profile", flags, html.resolve().as_uri()))
    assert "file://" in pdf_text(out.read_bytes())


def count_near(image: np.ndarray, bgr: tuple[int, int, int], tolerance: int = 40) -> int:
    return int(np.all(np.abs(image.astype(int) - np.array(bgr)) <= tolerance, axis=2).sum())


def test_screenshot_has_the_requested_size_and_shows_the_figures(tmp_path, chromium):
    html = write_demo_page(tmp_path)
    png = screenshot_html(html, tmp_path / "shot.png", width_px=900, height_px=700)
    image = cv2.imread(str(png), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[:2] == (700, 900)
    assert float(image.var()) > 0
    assert count_near(image, SVG_BLUE_BGR, tolerance=10) > 0.8 * 300 * 120  # the inline SVG
    assert count_near(image, JPEG_ORANGE_BGR) > 0.8 * 160 * 90  # the base64 JPEG


class CountingHandler(BaseHTTPRequestHandler):
    """Counts every request it gets (and answers 404)."""

    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_error(404)

    def log_message(self, *args) -> None:
        pass


def test_chromium_fetches_nothing_from_the_network(tmp_path, chromium):
    """A page that references a server (by IP address and by name) makes no request to it: Chromium
    resolves every host to 'not found'. Without the no-network flags, Chromium fetches all three."""
    CountingHandler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        page = (
            f'<!DOCTYPE html><html><head><title>t</title><link rel="stylesheet" '
            f'href="http://localhost:{port}/style.css"></head><body><p>external references</p>'
            f'<img src="http://127.0.0.1:{port}/a.png"><img src="http://localhost:{port}/b.png"></body></html>'
        )
        html = tmp_path / "external.html"
        html.write_text(page, encoding="utf-8")
        html_to_pdf(html, tmp_path / "external.pdf")
        screenshot_html(html, tmp_path / "external.png", 400, 300)
    finally:
        server.shutdown()
        server.server_close()
    assert CountingHandler.requests == []


INET_CONNECT = re.compile(r"connect\(\d+, \{sa_family=AF_INET6?, .*\) = (-?\d+)")


def test_pdf_under_strace_makes_no_network_connection(tmp_path, chromium):
    """``--pdf`` traced with strace (every process Chromium starts): no connect() to an IPv4/IPv6 address
    succeeds. Chromium's IPv6 reachability probe (no switch turns it off) still calls connect(); in the
    empty network namespace it runs in, that call fails, so not even a socket is bound to a network."""
    strace = shutil.which("strace")
    if strace is None:
        if os.environ.get("CI"):
            pytest.fail("strace is not installed; CI must have it (.ci/run installs it)")
        pytest.skip("strace is not installed (Debian/Ubuntu: apt-get install strace; CI installs it)")
    assert network_isolation(), "no network namespace could be made for Chromium on this machine"
    html = tmp_path / "page.html"
    html.write_text("<!DOCTYPE html><html><head><title>t</title></head><body><p>offline</p></body></html>")
    trace = tmp_path / "strace.txt"
    pdf = tmp_path / "p.pdf"
    script = f"from kneechain.report.pdf import html_to_pdf; html_to_pdf({str(html)!r}, {str(pdf)!r})"
    subprocess.run([strace, "-f", "-qq", "-e", "trace=connect,execve", "-o", str(trace), sys.executable, "-c",
                    script], check=True, timeout=120)  # fmt: skip
    lines = trace.read_text().splitlines()
    assert any("chromium" in line or "chrome" in line for line in lines if "execve(" in line), "not traced"
    results = [int(match.group(1)) for match in map(INET_CONNECT.search, lines) if match]
    assert all(result < 0 for result in results), [line for line in lines if "AF_INET" in line]
    assert pdf.read_bytes().startswith(b"%PDF")


# --- the real report ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def squat_report(tmp_path_factory, request, chromium) -> Path:
    """The HTML report of the bundled front squat (poses cached for the test run), with a hostile ID."""
    video = SAMPLE_DIR / "squat_front.mp4"
    out = tmp_path_factory.mktemp("squat_front_report")
    cached_poses(video, request).save(out / POSES_FILE)
    analyze_video(video, out)
    return render_report(out, {"patient_id": HOSTILE_ID, "date": "2026-01-31", "clinician": "PT 7"})


def page_texts(data: bytes, patient_id: str) -> list[str]:
    """The text of each printed page: each starts with its running header "Patient <ID> · <date>"."""
    text = pdf_text(data)
    starts = [m.start() for m in re.finditer(re.escape(f"Patient {patient_id}"), text)]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


@pytest.mark.parametrize("paper, size_pt", [("A4", A4_PT), ("letter", LETTER_PT)])
def test_real_report_prints_in_three_pages_with_patient_and_page_numbers(squat_report, tmp_path, paper,
                                                                          size_pt):  # fmt: skip
    """The summary, the per-rep table and the sign-off fit 3 pages on A4 and Letter; every page carries the
    patient ID, the session date and "Page N of M"; the appendix is left out of print unless --full."""
    data = html_to_pdf(squat_report, tmp_path / "report.pdf", paper).read_bytes()
    assert data.startswith(b"%PDF") and page_count(data) <= 3
    assert all(abs(w - size_pt[0]) < 1 and abs(h - size_pt[1]) < 1 for w, h in page_sizes_pt(data))
    pages = page_texts(data, HOSTILE_ID)
    assert len(pages) == page_count(data)
    for number, page in enumerate(pages, start=1):
        assert HOSTILE_ID in page and "2026-01-31" in page, number
        assert re.search(rf"Page\s*{number}\s*of\s*{len(pages)}", page), number
    assert "Key measures" in pages[0] and "What to do next" in pages[0]  # page 1 is the answer
    assert "Per rep" not in pages[0]
    text = pdf_text(data)
    assert "Per rep" in text and "Reviewed by" in text and "Signature" in text
    assert "Data quality" not in text  # the appendix is on screen only
    assert_no_local_path(data, squat_report.parent)
    assert_no_local_path(data, tmp_path)


def test_full_report_prints_the_appendix(squat_report, tmp_path):
    full = render_report(squat_report.parent, {"patient_id": "P-9"}, output=tmp_path / "full.html", full=True)
    data = html_to_pdf(full, tmp_path / "full.pdf").read_bytes()
    assert page_count(data) > 3 and "Data quality" in pdf_text(data) and "Definitions" in pdf_text(data)


def test_real_report_screenshot(squat_report, tmp_path):
    png = screenshot_html(squat_report, tmp_path / "report.png")
    image = cv2.imread(str(png), cv2.IMREAD_COLOR)
    assert image is not None and image.shape[:2] == (2000, 1200)
    assert float(image.var()) > 0
    rows_with_content = np.count_nonzero((image < 240).any(axis=(1, 2)))
    assert rows_with_content > 0.3 * image.shape[0]  # text and figures, not a blank or an error page
