/*
 * replay — runs a fuzz target over every file of tests/fuzz/corpus/REPLAY_NAME (found through
 * $EDIGW_SRCDIR), so `make check` replays the seed corpus and every crash ever found. A
 * crash, a sanitizer report or a chunking difference (abort in the target) fails it.
 * Extra arguments are files or directories to replay instead.
 * One source for every target: the build names the corpus with -DREPLAY_NAME="x12".
 */
#ifndef REPLAY_NAME
#error "build with -DREPLAY_NAME=\"<corpus directory name>\""
#endif
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feed one file to the target; 0 or -1 when it cannot be read. */
static int replay_file(const char *path)
{
	size_t n = 0;
	char *d = tu_read(path, &n);
	if (!d) {
		fprintf(stderr, "replay_" REPLAY_NAME ": cannot read %s\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)d, n);
	free(d);
	return 0;
}

/* Every regular file of dir (sorted order is not needed); the count, or -1. */
static int replay_dir(const char *dir)
{
	DIR *dp = opendir(dir);
	if (!dp) {
		fprintf(stderr, "replay_" REPLAY_NAME ": no directory %s\n", dir);
		return -1;
	}
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		char *p = malloc(len);
		snprintf(p, len, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(p) < 0) {
				free(p);
				closedir(dp);
				return -1;
			}
			n++;
		}
		free(p);
	}
	closedir(dp);
	return n;
}

/* Replay the seed corpus, or the files and directories given. */
int main(int argc, char **argv)
{
	int total = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			struct stat st;
			int n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? replay_dir(argv[i])
									       : (replay_file(argv[i]) == 0 ? 1 : -1);
			if (n < 0)
				return 1;
			total += n;
		}
	} else {
		char *dir = tu_srcpath("tests/fuzz/corpus/" REPLAY_NAME);
		total = replay_dir(dir);
		free(dir);
		if (total <= 0) {
			fprintf(stderr, "replay_" REPLAY_NAME ": the seed corpus is missing or empty\n");
			return 1;
		}
	}
	printf("replay_" REPLAY_NAME ": %d inputs replayed\n", total);
	return 0;
}
