## contrl tests (see the module header).
