"""Reports: the leadership-camp PowerPoint deck (and later PDF and workbook forms)."""
