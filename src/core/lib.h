#ifndef DICTUM_CORE_LIB_H
#define DICTUM_CORE_LIB_H

/* The core layer: shared types, status codes, config, logging, utilities.
 * Depends on libc only. */
#include "core/config.h"
#include "core/dynbuf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/note_format.h"
#include "core/types.h"
#include "core/util.h"

#endif
