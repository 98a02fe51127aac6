"""Sphinx configuration of the book: MyST-NB renders executed notebooks, never runs them.

book/build.py copies this file into the staging folder beside the notebooks and runs
sphinx-build there; every asset (theme, MathJax) is served from the built site itself.
"""

project = "rnnpaper"
author = "the rnnpaper authors"
html_title = "rnnpaper"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.partial.ipynb", "**.ipynb_checkpoints"]

# Notebooks arrive executed (make notebooks, or the smoke copies for the test): never rerun them.
nb_execution_mode = "off"
nb_render_markdown_format = "myst"  # text/markdown outputs get the same maths as the prose
nb_ipywidgets_js = {}  # its default loads require.js from a CDN
nb_merge_streams = True
nb_output_stderr = "remove"  # warnings and progress bars: kept in the executed notebooks
nb_code_prompt_show = "Show code"
nb_code_prompt_hide = "Hide code"

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True  # the notebooks put $$...$$ inside paragraphs
myst_heading_anchors = 3  # README's links such as [Data](#data)

# MathJax 3 from PyPI (django-static-mathjax), copied into _static/mathjax by build.py.
mathjax_path = "mathjax/tex-chtml-full.js"

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_favicon = "_static/favicon.svg"  # without one, the browser asks for /favicon.ico (404)
html_context = {"default_mode": "light"}
html_extra_path = ["rnnpaper.pdf"]
html_last_updated_fmt = None
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
    "footer_content_items": ["author.html"],
    "navbar_persistent": [],  # the sidebar has the search field; no second one in a header
}
