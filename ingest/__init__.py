"""Parsers and cleansing for the exports Bridgework reads.

Parsers are pure generators of the frozen records in :mod:`ingest.records`;
opening files is kept apart from parsing.
"""
