"""Tariffs on the Django side: the family's estimator, the council's comparison of a draft grid, and the edge where
the pure engine (the top-level `pricing` package) meets forms, services and commands."""
