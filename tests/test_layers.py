"""The layering of the code: arrows point down only, and the emergency check loads no search stack.

Layers, bottom to top: ``core`` (settings, logging, text) < ``index`` (articles to stored index) < ``bot``
(answering) < ``service`` (running it for a clinic) < ``ui`` < ``app.py``. A module may import its own
layer or a lower one, never a higher one, at module level or inside a function.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "index", "bot", "service", "ui"]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_imports_a_higher_layer():
    wrong = []
    for rank, layer in enumerate(LAYERS):
        higher = set(LAYERS[rank + 1 :]) | {"app"}
        for path in sorted((ROOT / layer).rglob("*.py")):
            for name in sorted(_imports(path) & higher):
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_the_layer_check_sees_a_wrong_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from service.clinic import ClinicService\n", encoding="utf-8")
    assert "service" in _imports(module)


def test_importing_the_emergency_check_is_light():
    # CPU time of the import (and a first check, which loads the rules files), not wall time: other
    # processes on a busy machine slow the wall clock, not the work done.
    code = (
        "import sys, time, json; t = time.process_time(); import bot.triage, bot.safety; "
        "bot.safety.emergency_rule('test'); d = time.process_time() - t; "
        "print(json.dumps({'seconds': d, 'heavy': sorted(m for m in ('faiss', 'bm25s', 'sklearn', 'torch', "
        "'sentence_transformers', 'gradio', 'bot.retrieval', 'index.store') if m in sys.modules)}))"
    )
    # Three fresh interpreters started together: each measures its own CPU time, which the others do not add to.
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    runs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        runs.append(json.loads(out))
    assert runs[0]["heavy"] == []
    # The best of three; measured ~0.15 s.
    assert min(r["seconds"] for r in runs) < 0.2
