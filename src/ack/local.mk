# ack module: TA1, 997 and 999 acknowledgments
libedigw_a_SOURCES += src/ack/ack.h src/ack/ack.c
# contrl: the UN/EDIFACT CONTRL writer
libedigw_a_SOURCES += src/ack/contrl.h src/ack/contrl.c
