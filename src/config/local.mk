# config module: edigw.conf and partners/*.conf (doc/edigw.conf.5)
libedigw_a_SOURCES += src/config/config.h src/config/config.c
dist_man_MANS += doc/edigw.conf.5
