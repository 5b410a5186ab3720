"""Django's SQLite backend with PostgreSQL's integer ranges.

SQLite stores any 64-bit integer in any integer column, and Django's SQLite backend tells the
forms so: a smallint ``order`` of 10¹² was taken by the admin and by ``restore`` on SQLite, while
PostgreSQL refuses it, and ``stratmap dump`` then refused the map. With the ranges of Django's
other backends, every IntegerField refuses the same values on both databases, with the same
message (settings.py names this backend for SQLite).
"""

from __future__ import annotations

from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.sqlite3 import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    integer_field_range = BaseDatabaseOperations.integer_field_range


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
