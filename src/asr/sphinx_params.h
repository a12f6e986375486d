#ifndef DICTUM_ASR_SPHINX_PARAMS_H
#define DICTUM_ASR_SPHINX_PARAMS_H

/* The sphinx engine's settings: one table (sphinx_params.c) of config keys
 * under [asr.sphinx], their PocketSphinx flags and defaults. The search
 * defaults were tuned on ../shared/data/speech (see bench/asr). */

#include "core/config.h"

#include <stddef.h>

struct asr_sphinx_param {
	const char *key;  /* config key under [asr.sphinx] */
	const char *flag; /* PocketSphinx flag, or NULL for Dictum's own keys */
	const char *def;  /* default value (static) */
	const char *help; /* one line */
};

extern const struct asr_sphinx_param asr_sphinx_params[];
extern const size_t asr_sphinx_param_count;

/* The value of key: config, else the table's default; NULL for a key not in
 * the table. Owned by cfg or static. */
const char *asr_sphinx_param(const struct config *cfg, const char *key);

/* A shipped data file: value when set, else data/asr/name from the install
 * prefix, else from the source tree; "" when there is none. Returns value,
 * buf or "". */
const char *asr_sphinx_data_file(const char *value, const char *name, char *buf, size_t size);

#endif
