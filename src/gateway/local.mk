libedigw_a_SOURCES += src/gateway/gateway.h src/gateway/gateway_int.h src/gateway/gateway.c
libedigw_a_SOURCES += src/gateway/send.c src/gateway/export.c
libedigw_a_SOURCES += src/gateway/gateway_edifact.c
libedigw_a_SOURCES += src/gateway/gateway_csv.c
libedigw_a_SOURCES += src/gateway/sftp_poll.c src/gateway/deliver.c
## the SFTP client and the transport helpers these use (src/transport/)
include src/transport/local.mk
libedigw_a_SOURCES += src/gateway/as2_server.c src/gateway/as2_send.c
