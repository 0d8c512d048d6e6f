/*
 * A main() for fuzz targets when libFuzzer is not there (USTACK_FUZZ off): replays
 * every file of the corpus directories given on the command line, then feeds the
 * target UST_FUZZ_RUNS inputs mutated from them with a fixed seed, so ctest runs
 * the same inputs every time. Arguments starting with '-' are libFuzzer options
 * and are ignored, except -runs=N. A target reports a bug by aborting.
 *
 * Usage: fuzz_<name> [-runs=N] CORPUS_DIR_OR_FILE...
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

#define UST_FUZZ_RUNS 20000
#define FUZZ_MAX_INPUT 4096
#define FUZZ_MAX_SEEDS 1024

struct seed {
	uint8_t *data;
	size_t len;
};

static struct seed seeds[FUZZ_MAX_SEEDS];
static size_t nr_seeds;
static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t len;

	if (!f) {
		perror(path);
		return -1;
	}
	buf = malloc(FUZZ_MAX_INPUT);
	if (!buf) {
		fclose(f);
		return -1;
	}
	len = fread(buf, 1, FUZZ_MAX_INPUT, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	if (nr_seeds < FUZZ_MAX_SEEDS) {
		seeds[nr_seeds].data = buf;
		seeds[nr_seeds].len = len;
		nr_seeds++;
	} else {
		free(buf);
	}
	return 0;
}

static int replay_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char full[4096];
	int rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	d = opendir(path);
	if (!d) {
		perror(path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && replay_file(full) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/* One mutated input: a seed (or nothing) with a few random edits of the kinds
 * that find length bugs: bit flips, byte sets, truncation, growth. */
static size_t mutate(uint8_t *buf)
{
	static const uint8_t interesting[] = { 0, 1, 2, 3, 4, 5, 8, 10, 11, 0x0f, 0x10,
					       0x40, 0x45, 0x4f, 0x7f, 0x80, 0xf0, 0xff };
	size_t len = 0;
	unsigned int edits;

	if (nr_seeds && rnd() % 8) {
		const struct seed *s = &seeds[rnd() % nr_seeds];

		len = s->len;
		memcpy(buf, s->data, len);
	} else {
		len = rnd() % 128;
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
	}
	edits = 1 + rnd() % 4;
	while (edits--) {
		switch (rnd() % 5) {
		case 0:
			if (len)
				buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:
			if (len)
				buf[rnd() % len] = interesting[rnd() % sizeof(interesting)];
			break;
		case 2:
			if (len)
				len = rnd() % len;
			break;
		case 3: {
			size_t add = rnd() % 64;

			if (len + add > FUZZ_MAX_INPUT)
				add = FUZZ_MAX_INPUT - len;
			for (size_t i = 0; i < add; i++)
				buf[len + i] = (uint8_t)rnd();
			len += add;
			break;
		}
		default:
			if (len)
				buf[rnd() % len] = (uint8_t)rnd();
			break;
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	long runs = UST_FUZZ_RUNS;
	int paths = 0;
	uint8_t *buf;

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-runs=", 6) == 0) {
			runs = strtol(argv[i] + 6, NULL, 10);
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		paths++;
		if (replay_path(argv[i]) != 0)
			return 1;
	}
	if (!paths || !nr_seeds) {
		fprintf(stderr, "%s: no corpus input given or found\n", argv[0]);
		return 1;
	}
	buf = malloc(FUZZ_MAX_INPUT);
	if (!buf)
		return 1;
	for (long i = 0; i < runs; i++) {
		size_t len = mutate(buf);
		uint8_t *in = malloc(len ? len : 1);   /* exact size: overreads show */

		if (!in)
			return 1;
		memcpy(in, buf, len);
		LLVMFuzzerTestOneInput(in, len);
		free(in);
	}
	printf("%s: %zu corpus inputs and %ld mutated inputs passed\n", argv[0], nr_seeds, runs);
	free(buf);
	for (size_t i = 0; i < nr_seeds; i++)
		free(seeds[i].data);
	return 0;
}
