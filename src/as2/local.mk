## as2: the AS2 message layer (MIME, CMS, RFC 5402 compression, MIC, MDNs); no I/O.
libedigw_a_SOURCES += src/as2/as2_msg.h src/as2/as2_msg.c
