## edifact tests (see the module header).
