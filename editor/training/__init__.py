"""Training from the editor: the child-process session, live plots, insights, runs, settings."""
