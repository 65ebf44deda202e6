## edifact: the UN/EDIFACT reader, envelopes, the X12 view, definitions and the writer.
libedigw_a_SOURCES += src/edifact/edifact.h
libedigw_a_SOURCES += src/edifact/edi_writer.h src/edifact/edi_writer.c
libedigw_a_SOURCES += src/edifact/edi_reader_int.h src/edifact/edi_reader.c \
	src/edifact/edi_charset.c src/edifact/edi_envelope.c src/edifact/edi_result.c \
	src/edifact/edi_view.c
libedigw_a_SOURCES += src/edifact/edi_schema.h src/edifact/edi_schema.c
