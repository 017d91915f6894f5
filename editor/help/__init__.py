"""In-app help pages: getting started, keyboard shortcuts (generated from the window's actions)."""
