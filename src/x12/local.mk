libedigw_a_SOURCES += src/x12/x12.h src/x12/x12_result.c
