"""What the editor's start imports: heavy libraries only some commands need stay out of it."""

import os
import subprocess
import sys


def test_opening_the_editor_module_does_not_import_matplotlib_or_igraph():
    # igraph brings matplotlib (~0.4 s); only an auto-layout needs it, so it is imported there
    # (the layout tests in tests/engine/graph run it through the deferred import).
    probe = "import sys, editor.mainwindow; print(sorted(m for m in ('matplotlib', 'igraph') if m in sys.modules))"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"
