libedigw_a_SOURCES += src/gateway/gateway.h src/gateway/gateway.c
