"""The node canvas: NodeGraphQt used as a view that mirrors the engine graph."""
