"""The standalone bundle's entry point: the same `netwright` command, frozen by PyInstaller."""

import multiprocessing

from editor.launch import console_main

if __name__ == "__main__":
    # the editor trains in a spawned child process: in a frozen app that child re-runs this
    # executable, and freeze_support turns it into the worker instead of a second editor
    multiprocessing.freeze_support()
    console_main()
