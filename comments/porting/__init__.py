"""Moving comments in and out: parsers for other systems' exports, and our own format.

Each reader turns a source into a stream of records (``records.py``); the import service
(``comments.services.importer``) writes them idempotently. Readers never touch the database.
"""
