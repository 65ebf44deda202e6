# ledger module: SQLite documents, events, control numbers, duplicates
libedigw_a_SOURCES += src/ledger/ledger.c src/ledger/ledger.h
