/* Times the note engine alone: loads it once, then drafts each transcript
 * file given on the command line REPEAT times (clinicNote, ambient) and
 * prints one line per file: milliseconds per draft, then the file name. */
#include "core/lib.h"
#include "notes/draft.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_notes_time REPEAT FILE...\n");
		return 2;
	}
	int repeat = atoi(argv[1]);
	struct note_engine e;
	char err[512];
	if (note_engine_load(&e, NULL, err, sizeof(err)) != DICTUM_OK) {
		fprintf(stderr, "bench_notes_time: %s\n", err);
		return 1;
	}
	int status = 0;
	for (int i = 2; i < argc && !status; i++) {
		char *text = NULL;
		if (file_read_all(argv[i], 16u << 20, &text, NULL) != 0) {
			fprintf(stderr, "bench_notes_time: cannot read %s\n", argv[i]);
			status = 1;
			break;
		}
		uint64_t t0 = time_mono_ns();
		for (int r = 0; r < repeat && !status; r++) {
			struct note_draft d = {0};
			status = note_draft(&e, text, "clinicNote", NULL, NOTE_MODE_AMBIENT, &d);
			note_draft_clear(&d);
		}
		uint64_t t1 = time_mono_ns();
		printf("%.3f\t%s\n", (double)(t1 - t0) / 1e6 / repeat, argv[i]);
		free(text);
	}
	note_engine_clear(&e);
	return status;
}
