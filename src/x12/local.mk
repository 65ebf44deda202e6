libedigw_a_SOURCES += src/x12/x12.h src/x12/x12_internal.h src/x12/x12_result.c src/x12/x12_reader.c src/x12/x12_envelope.c
libedigw_a_SOURCES += src/x12/x12_schema.h src/x12/x12_schema.c src/x12/x12_validate.c
