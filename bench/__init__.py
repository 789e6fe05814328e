"""Benchmarks of the tenancy foundation, run by hand (``make bench`` runs them all).

Each module creates its own throwaway database — in an embedded PostgreSQL started in a
temporary directory, or on the server named by ``DATABASE_URL`` — prints its figures and
exits. ``--quick`` runs smaller sizes for development. See docs/performance.md.
"""
