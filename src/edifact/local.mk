## edifact: the UN/EDIFACT reader, envelopes, the X12 view, definitions and the writer.
libedigw_a_SOURCES += src/edifact/edifact.h
