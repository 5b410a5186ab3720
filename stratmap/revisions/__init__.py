"""A map from one year to the next: comparing two years (the revisions page), revising a map with
reasons, rolling it over to the next year.

These read and write objectives, KPIs and action plans together, so they sit above the domain apps;
roll-over copies a map through the dataset format, so above :mod:`stratmap.exchange` too (see
ARCHITECTURE.md).
"""
