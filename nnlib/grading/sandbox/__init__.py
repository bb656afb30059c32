"""What the batch grader puts into a submission's sandbox: the runner and what it shares.

Three files, standard library and NumPy only: :mod:`.runner` (runs the
notebook's cells and calls its functions), :mod:`.wire` (plain data across the
pipe, used by both sides) and :mod:`.helpers` (the callables checks hand to
learner code). Nothing else of nnlib is visible in the sandbox.
"""
