edigw_SOURCES += src/cli/main.c
dist_man_MANS += doc/edigw.1
