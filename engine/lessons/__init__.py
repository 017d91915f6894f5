"""Lessons: deep-learning-101 concepts made to happen on screen, with the texts that explain them.

Each lesson is a few graphs in resources/lessons/ (built by resources/build_lessons.py) and a
short text: what to do, what to look at, why it happens, and the figures measured here. The
editor's Lessons menu, Help > Glossary and docs/examples.md are all made from these texts, so
the app and the docs never disagree. Qt-free.
"""

from __future__ import annotations

from engine.lessons.catalog import LESSONS, LESSONS_DIR, Lesson, LessonGraph, lesson_by_slug

__all__ = ["LESSONS", "LESSONS_DIR", "Lesson", "LessonGraph", "lesson_by_slug"]
