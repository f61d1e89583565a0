"""Durable local storage: the one SQLite database (journal, outbox, payments,
cached config and reference data), encryption of personal data, retention purge.

Imports nothing else of the project.
"""
