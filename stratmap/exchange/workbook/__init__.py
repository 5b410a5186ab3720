"""The Excel round trip for bulk result entry (see docs/workbook.md).

An agency editor downloads one workbook of its agency's KPIs for a map's year
(:mod:`~stratmap.exchange.workbook.download`), fills it in Excel and uploads it
(:mod:`~stratmap.exchange.workbook.upload`): all or nothing, every row checked first, each
changed row saved through :func:`stratmap.kpis.services.kpi_result_record`. The format both
share, its sheets, columns and rows, is :mod:`~stratmap.exchange.workbook.columns`; which
agencies' workbooks a person may use is :meth:`stratmap.access.Access.workbook_agencies`.
"""
