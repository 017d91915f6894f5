"""Settling: in the app, full garbage collections skip what start-up, a file or a run left alive."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import gc
    import time

    from PySide6 import QtWidgets

    app = QtWidgets.QApplication([])
    from editor import gui_gc
    from editor.training import gc_pause

    def wait_for(condition):
        deadline = time.monotonic() + 10
        while not condition() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        return condition()

    gui_gc.collect_garbage_on_gui_thread()
    gui_gc.resettle_soon()
    app.processEvents()
    print("off until enabled", gc.get_freeze_count() == 0)

    gui_gc.SETTLE_DELAY_MS = 50
    gui_gc.enable_settling()
    print("settled", wait_for(lambda: gc.get_freeze_count() > 10_000))

    class Cycle:
        pass

    made_after = Cycle()
    made_after.me = made_after
    del made_after
    print("a later cycle is collected", gc.collect() >= 1)

    gc_pause.hold_old_objects()  # a run starts
    gui_gc.resettle_soon()  # a file opened during the run leaves the run's freeze alone
    print("a run keeps its freeze", gc.get_freeze_count() > 10_000)
    gc_pause.release_old_objects()  # the run ends
    print("released at the run's end", gc.get_freeze_count() == 0)
    print("settled again", wait_for(lambda: gc.get_freeze_count() > 10_000))
    """
)


def test_settling_freezes_after_start_and_again_after_a_run_and_is_off_until_enabled():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line]
    assert lines == [
        "off until enabled True",
        "settled True",
        "a later cycle is collected True",
        "a run keeps its freeze True",
        "released at the run's end True",
        "settled again True",
    ], out.stdout
