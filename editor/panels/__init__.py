"""Side panels: palette, properties, help, problems and summary."""
