## transport: the SFTP client on libssh2 and what the gateway's transport engines share
## (src/gateway/sftp_poll.c and src/gateway/deliver.c use them). doc/transports.md.
libedigw_a_SOURCES += src/transport/sftp.h src/transport/sftp.c
libedigw_a_SOURCES += src/transport/transport.h src/transport/transport.c
EXTRA_DIST += doc/transports.md
