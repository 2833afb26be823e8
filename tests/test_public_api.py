"""The public API: what `rag` exports, and that the CLI, the UI and the evaluation use nothing else."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import rag

ROOT = Path(__file__).resolve().parent.parent
# eval/experiments/ keeps an archived experiment as it ran, against the internals of its day.
SHELLS = sorted([ROOT / "rag" / "cli.py", *(ROOT / "ui").glob("*.py"), *(ROOT / "eval").glob("*.py")])


def _private_imports(path: Path) -> list[str]:
    """Each import of `rag` in a file that is not one of its public names, as 'line: what'."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level and path.parent.name == "rag":
                found.append(f"{node.lineno}: from {'.' * node.level}{node.module or ''} (relative, inside rag)")
            elif node.module == "rag":
                found += [f"{node.lineno}: from rag import {a.name}" for a in node.names if a.name not in rag.__all__]
            elif node.module and node.module.startswith("rag."):
                found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.startswith("rag.")]
    return found


@pytest.mark.parametrize("path", SHELLS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_cli_ui_and_eval_import_only_public_names_of_rag(path):
    assert _private_imports(path) == []


def test_the_check_catches_an_internal_import(tmp_path):
    shell = tmp_path / "shell.py"
    shell.write_text("from rag.store_faiss import load_index\nfrom rag import Assistant, _EXPORTS\nimport rag.cli\n")
    assert _private_imports(shell) == ["1: from rag.store_faiss import ...", "2: from rag import _EXPORTS",
                                       "3: import rag.cli"]


def test_every_public_name_resolves_and_all_lists_exactly_the_exports():
    assert sorted(rag.__all__) == sorted(rag._EXPORTS) == rag.__all__
    for name in rag.__all__:
        assert getattr(rag, name) is not None, name
    assert rag.ingest.__module__ == "rag.indexing" and callable(rag.compare)  # functions, not submodules
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        rag.nothing  # noqa: B018


def test_importing_rag_loads_no_model_stack():
    code = "import sys, rag; rag.Settings; rag.RagError; print(sorted(m for m in ('faiss', 'torch', 'rag.pipeline') " \
           "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
