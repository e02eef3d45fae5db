"""Finding and running headless Chromium: an HTML file to a PNG screenshot or to a PDF.

Chromium renders the report exactly as a browser shows and prints it (same engine for the screenshot a
test looks at and for ``--pdf``). It is started as a one-shot command line program, never as a server:

* a new, empty, temporary profile (``--user-data-dir``) that is deleted afterwards;
* no network at all, by two independent means:
  - on Linux, Chromium runs in a new, empty network namespace (``unshare --net``, with ``--user
    --map-root-user`` when not run as root): the kernel gives it no network interface but its own
    loopback, which is down, so nothing it does can reach another machine. Stock Chromium has no switch
    for its IPv6 reachability probe (a UDP ``connect`` to a public DNS server's address at start-up);
    inside the namespace that call fails (``EADDRNOTAVAIL``/``ENETUNREACH``) instead of succeeding
    (``tests/test_report_browser.py`` checks this under strace). Where no namespace can be made (not
    Linux, or a container that forbids it), the flags below still apply (logged once);
  - the background services are switched off (``--disable-background-networking``,
    ``--disable-component-update``, ``--disable-sync``, ``--disable-extensions``, ``--disable-quic``) and
    every host name and IP address resolves to "not found" inside Chromium (``--host-resolver-rules``), so
    even a stray external reference in a page cannot send anything anywhere;
* only the ``file://`` URL of the local file is opened;
* ``--no-sandbox``: Chromium's sandbox refuses to start as root and in containers without user
  namespaces; the page is our own generated file with network access blocked;
* a time limit (``CHROMIUM_TIMEOUT_S``), after which Chromium and its child processes are killed.

Chromium is found on ``PATH`` (``chromium``, ``chromium-browser``, ``google-chrome``,
``google-chrome-stable``) or named by the ``KNEECHAIN_CHROMIUM`` environment variable. On Debian/Ubuntu:
``apt-get install chromium``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kneechain.errors import OutputWriteError
from kneechain.io_atomic import atomic_output_path

log = logging.getLogger(__name__)

CHROMIUM_ENV = "KNEECHAIN_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_TIMEOUT_S = 60.0
INSTALL_HINT = "Install Chromium (Debian/Ubuntu: apt-get install chromium) or set KNEECHAIN_CHROMIUM to it."

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PDF_SIGNATURE = b"%PDF"

NO_NETWORK_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-quic",
    "--disable-breakpad",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


class BrowserError(OutputWriteError):
    """Chromium is missing, failed, or ran out of time while rendering a page to a file."""


@dataclass(frozen=True)
class BrowserRun:
    """What one Chromium command did: its exit code, its last stderr line, and how long it took."""

    returncode: int
    stderr_last_line: str
    seconds: float


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable to use: ``$KNEECHAIN_CHROMIUM`` if set, else the first on PATH."""
    override = os.environ.get(CHROMIUM_ENV, "").strip()
    if override:
        return shutil.which(override)  # a name on PATH or a path; None unless it is an executable file
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The Chromium executable, or a ``BrowserError`` saying how to install it."""
    chromium = find_chromium()
    if chromium is None:
        override = os.environ.get(CHROMIUM_ENV, "").strip()
        where = f"{CHROMIUM_ENV}={override!r} is not an executable" if override else "not found on PATH"
        raise BrowserError(f"Chromium is needed to render the HTML report ({where}).", INSTALL_HINT)
    return chromium


def file_url(html_path: Path) -> str:
    """The ``file://`` URL of an existing local HTML file (a ``BrowserError`` if it is not a file)."""
    path = Path(html_path).resolve()
    if not path.is_file():
        raise BrowserError(f"the HTML file '{html_path}' does not exist.", "Render the report first.")
    return path.as_uri()


NAMESPACE_COMMANDS = (("unshare", "--net"), ("unshare", "--user", "--map-root-user", "--net"))


@functools.lru_cache(maxsize=1)
def network_isolation() -> tuple[str, ...]:
    """The command prefix that starts a program in a new, empty network namespace (``unshare --net``, as
    root; else in a new user namespace too), or ``()`` where neither works on this machine."""
    if os.name != "posix" or shutil.which("unshare") is None:
        return ()
    for prefix in NAMESPACE_COMMANDS:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
            if probe.returncode == 0:
                return prefix
    log.info("Chromium runs without a separate network namespace here (the no-network flags still apply)")
    return ()


def chromium_command(chromium: str, profile_dir: Path, output_flags: list[str], url: str) -> list[str]:
    """The full command line: in an empty network namespace where possible, headless, no network, a
    fresh profile, the output flags, the file URL."""
    profile = f"--user-data-dir={profile_dir}"
    return [*network_isolation(), chromium, *HEADLESS_FLAGS, *NO_NETWORK_FLAGS, profile, *output_flags, url]


def kill_process_tree(process: subprocess.Popen) -> None:
    """Kill a Chromium we started, with its child processes (its own process group on POSIX)."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    else:
        process.kill()
    process.wait()


def run_chromium(command: list[str], timeout_s: float = CHROMIUM_TIMEOUT_S) -> BrowserRun:
    """Run one Chromium command to completion; kill it (and its children) after ``timeout_s``."""
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=os.name == "posix",
        )
    except OSError as error:
        reason = error.strerror or str(error)
        raise BrowserError(f"cannot start Chromium '{command[0]}' ({reason}).", INSTALL_HINT) from None
    try:
        _, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_process_tree(process)
        raise BrowserError(
            f"Chromium did not finish rendering within {timeout_s:.0f} s and was stopped.",
            "Try again; if it keeps happening, open the HTML report in a browser and print it from there.",
        ) from None
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return BrowserRun(process.returncode, lines[-1] if lines else "", time.perf_counter() - started)


def check_output_file(path: Path, signature: bytes, what: str, run: BrowserRun) -> None:
    """Raise ``BrowserError`` unless Chromium wrote ``path`` and it starts with the file type's signature."""
    with_head = path.is_file() and path.stat().st_size > 0
    if with_head:
        with path.open("rb") as handle:
            with_head = handle.read(len(signature)) == signature
    if not with_head:
        detail = f" (exit code {run.returncode}: {run.stderr_last_line})" if run.stderr_last_line else ""
        raise BrowserError(
            f"Chromium did not write the {what}{detail}.",
            "Run again with --debug, or open the HTML report in a browser and print it from there.",
        )


@dataclass(frozen=True)
class OutputKind:
    """One kind of file Chromium writes: its flag, the file name it writes to, its signature, its name."""

    flag: str
    file_name: str
    signature: bytes
    what: str


PDF_OUTPUT = OutputKind("--print-to-pdf", "rendered.pdf", PDF_SIGNATURE, "PDF")
PNG_OUTPUT = OutputKind("--screenshot", "rendered.png", PNG_SIGNATURE, "screenshot")


def render_with_chromium(
    html_path: Path, output_path: Path, kind: OutputKind, extra_flags: list[str]
) -> BrowserRun:
    """Render ``html_path`` to ``output_path`` (written atomically) with one of Chromium's output flags.
    Chromium writes into a private temporary folder first; the file is checked, then moved into place."""
    url = file_url(html_path)
    chromium = require_chromium()
    output_path = Path(output_path)
    with tempfile.TemporaryDirectory(prefix="kneechain-chromium-") as work:
        work_dir = Path(work)
        rendered = work_dir / kind.file_name
        flags = [*extra_flags, f"{kind.flag}={rendered}"]
        run = run_chromium(chromium_command(chromium, work_dir / "profile", flags, url))
        check_output_file(rendered, kind.signature, kind.what, run)
        try:
            with atomic_output_path(output_path) as temporary:
                shutil.copyfile(rendered, temporary)
        except OSError as error:
            raise BrowserError(
                f"cannot write the {kind.what} '{output_path}' ({(error.strerror or str(error)).lower()}).",
                "Choose another folder, or fix its permissions.",
            ) from error
    return run


def print_html_to_pdf(html_path: Path, pdf_path: Path) -> BrowserRun:
    """Print ``html_path`` to ``pdf_path`` with Chromium's print engine (print stylesheet, ``@page``,
    backgrounds), without the browser's header and footer (no file path, no date in the margins)."""
    no_header = ["--no-pdf-header-footer", "--print-to-pdf-no-header"]
    return render_with_chromium(html_path, pdf_path, PDF_OUTPUT, no_header)


def screenshot_html(html_path: Path, png_path: Path, width_px: int = 1200, height_px: int = 2000) -> Path:
    """A PNG screenshot of the top ``width_px`` x ``height_px`` of the page as a browser window shows it
    (screen stylesheet, no scrollbars, device scale 1), written atomically to ``png_path``."""
    if width_px < 1 or height_px < 1:
        raise ValueError(f"screenshot size must be positive, got {width_px} x {height_px} px")
    window = [f"--window-size={int(width_px)},{int(height_px)}"]
    render_with_chromium(html_path, Path(png_path), PNG_OUTPUT, window)
    return Path(png_path)
