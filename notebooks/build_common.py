"""What the notebook builders share: a notebook of their cells, outputs empty, written beside them.

Imported by build_01.py and build_02.py, which are run as scripts (`python notebooks/build_01.py`), so
this folder is on sys.path.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook


def notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """A Python 3 notebook of these cells, outputs empty."""
    built = new_notebook(cells=cells)
    built.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return built


def write(built: nbformat.NotebookNode, name: str) -> None:
    """Writes the notebook as notebooks/<name>."""
    nbformat.write(built, Path(__file__).with_name(name))
