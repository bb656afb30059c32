"""Chapter experiments: the runs behind tables and apps (pure NumPy over the core)."""
