## map_edifact tests (see the module header).
