"""`python -m engine ...`: the headless command line."""

from engine.cli import main

raise SystemExit(main())
