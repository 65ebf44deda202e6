# tests for the X12 schema validator (check_schema)
