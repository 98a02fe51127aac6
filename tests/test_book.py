"""The book, opened in a real browser: every page loads offline, typeset, with its figures.

The smoke-profile notebooks are executed once into build/smoke-executed/ by `make
smoke-notebooks` (Make reruns one only when it or the package changes), the book is built
from them into build/book-smoke/, and headless Chromium (`make chromium`) opens each page.
Screenshots go to build/book-screenshots/.
"""

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

from rnnpaper import paths

ROOT = paths.ROOT
CHROMIUM = Path("/usr/bin/chromium")
OUT = ROOT / "build" / "book-smoke"
SHOTS = ROOT / "build" / "book-screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Raw TeX left in the visible text (code and typeset maths removed first).
RAW_TEX = re.compile(r"\\\(|\\\[|\$\$|\$[^$\s][^$\n]*\$|\\(frac|mathbb|sum|tag)\b")

COLLAPSED = re.compile(r'<details class="[^"]*\bhide above-input')  # MyST-NB's hide-input
CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)  # Markdown code, where $ is no maths

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture(scope="module")
def book(real_data_dir) -> Path:
    """The book built from the smoke-profile executed notebooks (executed first if stale)."""
    run = subprocess.run(
        ["make", "--no-print-directory", "smoke-notebooks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    if run.returncode:
        pytest.fail(f"make smoke-notebooks failed:\n{run.stdout[-1500:]}\n{run.stderr[-2000:]}")
    notebooks = sorted((ROOT / "build" / "smoke-executed").glob("[0-9][0-9]-*.ipynb"))
    notebooks = [p for p in notebooks if not p.name.endswith(".partial.ipynb")]
    assert [p.name for p in notebooks] == [p.name for p in sorted(paths.NOTEBOOKS.glob("*.ipynb"))]
    cmd = [sys.executable, str(ROOT / "book" / "build.py"), "--out", str(OUT)]
    cmd += ["--pdf", str(ROOT / "paper" / "rnnpaper.pdf"), *map(str, notebooks)]
    build = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    assert "WARNING" not in build.stderr, f"Sphinx warnings:\n{build.stderr}"
    return OUT


@pytest.fixture(scope="module")
def server(book):
    """The built site on a local port: the only host a page may ask for anything."""
    handler = functools.partial(Quiet, directory=str(book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium from Debian with a fresh profile; skipped when it is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing: run `make chromium` as root (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(60_000)
        yield context
        context.close()


def network(url: str) -> bool:
    """A request that leaves the browser (not data:, blob: or its own PDF viewer's files)."""
    return urlparse(url).scheme in ("http", "https", "ws", "wss", "ftp")


def has_maths(notebook: Path) -> bool:
    nb = nbformat.read(notebook, as_version=4)
    prose = [CODE.sub("", c.source) for c in nb.cells if c.cell_type == "markdown"]
    return any("$" in text for text in prose)


def pages(book: Path) -> list[str]:
    return sorted(p.name for p in book.glob("*.html"))


def visit(context, url: str, shot: Path) -> dict:
    """Open one page; return what it logged, requested and shows."""
    page = context.new_page()
    seen = {"errors": [], "requests": [], "failed": []}
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("requestfailed", lambda r: seen["failed"].append(r.url))
    page.on("response", lambda r: r.status >= 400 and seen["failed"].append(r.url))
    page.goto(url, wait_until="load")
    page.evaluate(TYPESET)
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    if page.locator("object.book-pdf").count():
        page.wait_for_timeout(3000)  # the embedded PDF viewer draws with no event to wait for
    seen.update(page.evaluate(INSPECT))
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    return seen


# Wait until MathJax has typeset the page (at most 30 s: a broken MathJax must not hang the test).
TYPESET = """() => Promise.race([
  window.MathJax?.startup?.promise ?? null, new Promise(done => setTimeout(done, 30000))])"""

INSPECT = """() => {
  const article = document.querySelector('article') || document.body;
  const text = article.cloneNode(true);
  text.querySelectorAll('pre, code, script, style, mjx-container, details:not([open])')
      .forEach(e => e.remove());
  const imgs = [...article.querySelectorAll('img')];
  return {
    math: article.querySelectorAll('.math').length,
    typeset: article.querySelectorAll('mjx-container').length,
    mathErrors: article.querySelectorAll('mjx-merror').length,
    text: text.innerText,
    images: imgs.map(i => ({src: i.getAttribute('src'), w: i.naturalWidth, h: i.naturalHeight})),
    collapsed: article.querySelectorAll('details.hide:not([open])').length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  };
}"""


def test_every_page_loads_offline_typeset_and_with_its_figures(book, server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    chapters = sorted(p.stem for p in paths.NOTEBOOKS.glob("*.ipynb"))
    problems, start = [], time.time()
    for name in pages(book):
        seen = visit(browser, f"{server}/{name}", SHOTS / name.replace(".html", ".png"))
        here = urlparse(server).netloc
        foreign = [u for u in seen["requests"] if network(u) and urlparse(u).netloc != here]
        raw = RAW_TEX.findall(seen["text"])
        empty = [i["src"] for i in seen["images"] if not (i["w"] > 0 and i["h"] > 0)]
        problems += [f"{name}: console error: {e}" for e in seen["errors"]]
        problems += [f"{name}: request to another host: {u}" for u in foreign]
        problems += [f"{name}: failed request: {u}" for u in seen["failed"]]
        problems += [f"{name}: {seen['mathErrors']} MathJax errors"] * bool(seen["mathErrors"])
        if seen["math"] and seen["typeset"] < seen["math"]:
            problems.append(f"{name}: {seen['typeset']} of {seen['math']} equations typeset")
        problems += [f"{name}: raw TeX left: {r}" for r in raw[:3]]
        problems += [f"{name}: image without size: {src}" for src in empty]
        if name.removesuffix(".html") in chapters:
            if has_maths(paths.NOTEBOOKS / name.replace(".html", ".ipynb")) and not seen["typeset"]:
                problems.append(f"{name}: no equation typeset")
            if not seen["collapsed"]:
                problems.append(f"{name}: no collapsed code cell")
            others = [c for c in chapters if f"{c}.html" != name]
            missing = [c for c in others if f"{c}.html" not in seen["links"]]
            problems += [f"{name}: no navigation link to {c}" for c in missing]
    assert not problems, "\n".join(problems)
    assert len(list(SHOTS.glob("*.png"))) >= len(pages(book))
    print(f"{len(pages(book))} pages checked in {time.time() - start:.0f} s")


def test_the_landing_page_tells_the_story_and_links_the_report_and_every_chapter(book):
    html = (book / "index.html").read_text(encoding="utf-8")
    assert "What this repository establishes" in html  # README's story
    assert 'href="rnnpaper.pdf"' in html and (book / "rnnpaper.pdf").stat().st_size > 0
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        assert f'href="{nb.stem}.html"' in html, nb.stem
        assert (book / f"{nb.stem}.html").exists()


def test_every_chapter_shows_its_figures_and_collapses_its_code(book):
    """Each notebook saves figures; the book shows them only if the notebook displays them."""
    no_figure, open_code = [], []
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        html = (book / f"{nb.stem}.html").read_text(encoding="utf-8")
        no_figure += [nb.name] * ("<img" not in html)
        open_code += [nb.name] * (COLLAPSED.search(html) is None)
    assert not no_figure, f"no figure displayed (display the saved PNG): {no_figure}"
    assert not open_code, f"no code cell collapsed: {open_code}"


def test_the_book_never_executes_a_notebook(tmp_path):
    """A notebook without outputs is refused, so the book can only show what was run."""
    src = tmp_path / "00-empty.ipynb"
    shutil.copy(paths.NOTEBOOKS / "00-data.ipynb", src)
    cmd = [sys.executable, str(ROOT / "book" / "build.py"), "--out", str(tmp_path / "b"), str(src)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "make notebooks" in run.stderr
