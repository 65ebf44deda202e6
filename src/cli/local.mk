edigw_SOURCES += src/cli/main.c
