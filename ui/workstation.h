#ifndef DICTUM_UI_WORKSTATION_H
#define DICTUM_UI_WORKSTATION_H

#include "core/config.h"

/* Runs the ncurses workstation on the store in paths until the clinician
 * quits. The terminal is restored on every exit path. Returns an exit
 * status (0 on a normal quit). */
int workstation_run(const struct dictum_paths *paths, const struct config *config);

#endif
