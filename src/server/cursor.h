#ifndef DICTUM_SERVER_CURSOR_H
#define DICTUM_SERVER_CURSOR_H

/* Opaque pagination cursors: a kind letter and a position, base64url
 * encoded, e.g. kind 'n' (a page of notes: ids below) or 's' (changes
 * after a sequence number). Pure functions. */

#include <stdint.h>

#define SRV_CURSOR_LEN 48

/* Writes the cursor for (kind, value >= 0) into out. */
void srv_cursor_encode(char kind, int64_t value, char out[SRV_CURSOR_LEN]);
/* Reads a cursor of the expected kind. Returns 0 and sets *value, or -1
 * when text is not such a cursor (wrong kind, bad encoding, overflow). */
int srv_cursor_decode(const char *text, char kind, int64_t *value);

#endif
