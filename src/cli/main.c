/* edigw main — placeholder replaced by the CLI module. */
#include "util/util.h"
int main(void) { return 0; }
