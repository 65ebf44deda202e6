## map module: map files (doc/edigw-map.5) — parse, extends, compile, apply to X12, check.
libedigw_a_SOURCES += src/map/map.h src/map/map_int.h src/map/map.c src/map/map_apply.c \
	src/map/map_check.c src/map/map_elemref.c

## Shipped maps, installed with the program.
edigwmapsx12dir = $(pkgdatadir)/maps/x12
dist_edigwmapsx12_DATA = maps/x12/850.map
edigwmapserpdir = $(pkgdatadir)/maps/erp
dist_edigwmapserp_DATA = maps/erp/order-csv.map
EXTRA_DIST += maps/README.md
dist_man_MANS += doc/edigw-map.5
