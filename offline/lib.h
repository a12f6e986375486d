#ifndef DICTUM_OFFLINE_LIB_H
#define DICTUM_OFFLINE_LIB_H

/* The offline store; see store.h. Depends on core and SQLite. */
#include "offline/store.h"

#endif
