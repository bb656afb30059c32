"""Per-chapter check modules: ``chNN.py`` declares the chapter's exercises and checks.

Each module declares ``Exercise("chNN", id, title, points)`` objects (which
registers them for the progress view) and one ``check_<id>(learner_fn)`` per
exercise; see :mod:`nnlib.grading` for how to write them.
"""
