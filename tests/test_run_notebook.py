"""make's notebook runner: a failing cell stops it, naming notebook and cell, no target."""

import nbformat

from rnnpaper import run_notebook


def write_notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('profile = "smoke"', metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_success_writes_the_target_with_injected_parameters(tmp_path):
    write_notebook(tmp_path / "01-ok.ipynb", "assert profile == 'paper'")
    target = tmp_path / "out" / "01-ok.ipynb"
    assert run_notebook.main([str(tmp_path / "01-ok.ipynb"), str(target)]) == 0
    assert target.exists()


def test_command_line_parameters_keep_their_types(tmp_path):
    write_notebook(
        tmp_path / "03-typed.ipynb", "assert threads == 2 and rate == 0.5 and name == 'x'"
    )
    target = tmp_path / "out" / "03-typed.ipynb"
    args = ["-p", "threads", "2", "-p", "rate", "0.5", "-p", "name", "x"]
    assert run_notebook.main([str(tmp_path / "03-typed.ipynb"), str(target), *args]) == 0


def test_failure_names_notebook_and_cell_and_leaves_no_target(tmp_path, capsys):
    write_notebook(tmp_path / "02-bad.ipynb", "x = 1", "raise ValueError('boom')")
    target = tmp_path / "out" / "02-bad.ipynb"
    assert run_notebook.main([str(tmp_path / "02-bad.ipynb"), str(target)]) == 1
    err = capsys.readouterr().err
    assert "02-bad.ipynb" in err and "ValueError: boom" in err and "cell" in err
    assert not target.exists()
