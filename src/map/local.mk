## map module: map files (doc/edigw-map.5) — parse, extends, compile, apply to X12, check.
libedigw_a_SOURCES += src/map/map.h src/map/map_int.h src/map/map.c src/map/map_apply.c \
	src/map/map_check.c src/map/map_elemref.c

## Shipped maps, installed with the program.
edigwmapsx12dir = $(pkgdatadir)/maps/x12
dist_edigwmapsx12_DATA = maps/x12/850.map maps/x12/855.map maps/x12/856.map maps/x12/810.map \
	maps/x12/860.map maps/x12/846.map maps/x12/940.map maps/x12/945.map maps/x12/943.map \
	maps/x12/944.map
edigwmapsedifactdir = $(pkgdatadir)/maps/edifact
dist_edigwmapsedifact_DATA = maps/edifact/ORDERS.map maps/edifact/ORDRSP.map \
	maps/edifact/DESADV.map maps/edifact/INVOIC.map
edigwmapserpdir = $(pkgdatadir)/maps/erp
dist_edigwmapserp_DATA = maps/erp/order-csv.map maps/erp/order-response-csv.map \
	maps/erp/order-change-csv.map maps/erp/ship-notice-csv.map maps/erp/invoice-csv.map \
	maps/erp/inventory-advice-csv.map maps/erp/warehouse-shipping-order-csv.map \
	maps/erp/warehouse-shipping-advice-csv.map maps/erp/warehouse-transfer-shipment-csv.map \
	maps/erp/warehouse-transfer-receipt-csv.map maps/erp/order-fixed.map maps/erp/order-xml.map
edigwmapsx12outdir = $(pkgdatadir)/maps/x12-out
dist_edigwmapsx12out_DATA = maps/x12-out/855.map maps/x12-out/856.map maps/x12-out/810.map \
	maps/x12-out/940.map
edigwmapsedifactoutdir = $(pkgdatadir)/maps/edifact-out
dist_edigwmapsedifactout_DATA = maps/edifact-out/ORDRSP.map maps/edifact-out/DESADV.map \
	maps/edifact-out/INVOIC.map
edigwmapserpexportdir = $(pkgdatadir)/maps/erp-export
dist_edigwmapserpexport_DATA = maps/erp-export/order-response-csv.map maps/erp-export/invoice-csv.map \
	maps/erp-export/warehouse-shipping-order-csv.map maps/erp-export/ship-notice-xml.map \
	maps/erp-export/ship-notice-csv.map
EXTRA_DIST += maps/README.md
dist_man_MANS += doc/edigw-map.5
