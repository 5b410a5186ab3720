"""Django's SQLite backend, holding integer columns to PostgreSQL's ranges (see ``base``)."""
