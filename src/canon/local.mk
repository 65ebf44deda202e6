## canon module: canonical records (doc/canonical.rng) and ERP profiles.
libedigw_a_SOURCES += src/canon/canon.h src/canon/canon.c \
	src/canon/canon_path.h src/canon/canon_path.c \
	src/canon/canon_lex.h src/canon/canon_lex.c \
	src/canon/erp.c \
	src/canon/outmap.h src/canon/outmap.c

## The canonical schema and the shipped maps are installed with the program:
## edigw.conf's canonical-schema defaults to <datadir>/doc/canonical.rng.
edigwdocdir = $(pkgdatadir)/doc
dist_edigwdoc_DATA = doc/canonical.rng
