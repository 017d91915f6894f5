"""Netwright's desktop editor: a Qt view over the headless engine.

The engine's Graph is the model; the NodeGraphQt canvas and the panels mirror it, and every
edit is an undoable command that replaces the engine graph with a new one.
"""
