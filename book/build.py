"""Build the static book: README's story, the PDF, and every executed notebook, offline.

Usage: python book/build.py --out build/book --pdf paper/rnnpaper.pdf build/executed/*.ipynb

The notebooks are rendered as they were executed (no kernel starts). They are copied into a
staging folder (OUT-src/) with one rule applied: every code cell's source is collapsed behind
a "Show code" toggle (tag `hide-input`), except the `parameters` cell, papermill's
`injected-parameters` cell and cells tagged `show-input`; outputs stay visible. MathJax comes
from a PyPI package and is copied into the site, so the pages load nothing from the internet.
"""

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
SHOWN = {"parameters", "injected-parameters", "show-input"}
HIDDEN = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
MATHJAX_BUNDLE = "tex-chtml-full.js"


def collapse_code(nb: nbformat.NotebookNode) -> int:
    """Tag every code cell's source `hide-input` unless it is shown by rule; return the count."""
    n = 0
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if cell.cell_type == "code" and not (set(tags) & (SHOWN | HIDDEN)):
            tags.append("hide-input")
            n += 1
    return n


DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.DOTALL)


def protect_math(nb: nbformat.NotebookNode) -> None:
    """Put each $$...$$ on one line, as Jupyter extracts maths before reading Markdown.

    Otherwise a continuation line such as `+ \\frac{..}` inside an equation starts a list.
    """
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = DISPLAY_MATH.sub(lambda m: " ".join(m[0].splitlines()), cell.source)


def check_executed(path: Path, nb: nbformat.NotebookNode) -> None:
    """Refuse a notebook without outputs: the book never executes anything."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code and all(c.get("execution_count") is None for c in code):
        sys.exit(f"book: {path} has never been executed; run `make notebooks` first")


def stage_notebook(src: Path, stage: Path) -> str:
    """Copy one executed notebook into the staging folder; return its document name."""
    nb = nbformat.read(src, as_version=4)
    check_executed(src, nb)
    collapse_code(nb)
    protect_math(nb)
    nbformat.write(nb, stage / src.name)
    return src.stem


def landing_page(readme: str, chapters: list[str], pdf: bool) -> str:
    """README's story with the report and the chapter list inserted before its first section."""
    head, sep, rest = readme.partition("\n## ")
    report = (
        "## The report\n\n"
        "[**Open the report (PDF)**](rnnpaper.pdf): every number in it is read from the "
        "results that the chapters below produce.\n\n"
        '<object class="book-pdf" data="rnnpaper.pdf" type="application/pdf">\n'
        '<a href="rnnpaper.pdf">rnnpaper.pdf</a>\n</object>\n\n'
        if pdf
        else ""
    )
    toc = ["```{toctree}", ":hidden:", ":caption: Notebooks", "", *chapters, "```"]
    listing = [f"- {{doc}}`{c}`" for c in chapters]
    notebooks = "\n".join(["## The notebooks", "", *listing, "", *toc])
    return f"{head.rstrip()}\n\n{report}{notebooks}\n\n{sep.lstrip()}{rest}"


def copy_mathjax(static: Path) -> None:
    """MathJax 3 from the django-static-mathjax wheel: the one bundle and what it may load."""
    import mathjax  # django-static-mathjax: MathJax's own es5 build, nothing of Django

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    bundles = {p.name for p in es5.glob("*.js")} - {MATHJAX_BUNDLE}
    shutil.copytree(es5, static / "mathjax", ignore=lambda d, names: bundles & set(names))


def stage(notebooks: list[Path], pdf: Path | None, readme: Path, src: Path) -> list[str]:
    """Fill the staging folder: configuration, static files, landing page, notebooks."""
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    shutil.copy(BOOK / "conf.py", src / "conf.py")
    shutil.copytree(BOOK / "static", src / "_static")
    copy_mathjax(src / "_static")
    chapters = [stage_notebook(nb, src) for nb in sorted(notebooks)]
    if pdf is not None:
        shutil.copy(pdf, src / "rnnpaper.pdf")
    else:  # conf.py lists it in html_extra_path; an empty placeholder is never linked
        (src / "rnnpaper.pdf").write_bytes(b"")
    text = readme.read_text(encoding="utf-8")
    (src / "index.md").write_text(landing_page(text, chapters, pdf is not None), encoding="utf-8")
    return chapters


def build(notebooks: list[Path], out: Path, pdf: Path | None, readme: Path) -> Path:
    """Stage and render the book into `out`; return the path of its landing page."""
    src = out.with_name(out.name + "-src")
    chapters = stage(notebooks, pdf, readme, src)
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(src / ".doctrees")]
    subprocess.run([*cmd, str(src), str(out)], check=True)
    print(f"book: {len(chapters)} chapters -> {out}/index.html")
    return out / "index.html"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path, help="executed notebooks, NN-topic.ipynb")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "book")
    ap.add_argument("--pdf", type=Path, help="the report to link from the landing page")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = ap.parse_args(argv)
    notebooks = [p for p in args.notebooks if re.fullmatch(r"\d\d-.+(?<!\.partial)\.ipynb", p.name)]
    start = time.time()
    build(notebooks, args.out, args.pdf, args.readme)
    print(f"book: built in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
