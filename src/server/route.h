#ifndef DICTUM_SERVER_ROUTE_H
#define DICTUM_SERVER_ROUTE_H

/* Path patterns of the route table: literal segments and `{name}`
 * segments, each of which matches one non-empty segment of the path. */

#include <stdbool.h>
#include <stddef.h>

#define SRV_ROUTE_MAX_PARAMS 4
#define SRV_ROUTE_PARAM_LEN  128

struct srv_route_params {
	size_t count;
	char value[SRV_ROUTE_MAX_PARAMS][SRV_ROUTE_PARAM_LEN];
};

/* True when path (without the query string) matches pattern; the
 * `{...}` segments are copied to params in order. A segment longer than
 * SRV_ROUTE_PARAM_LEN - 1 does not match. A trailing '/' matters:
 * "/a/" and "/a" are different paths. Pure; params may be NULL. */
bool srv_route_match(const char *pattern, const char *path, struct srv_route_params *params);

#endif
