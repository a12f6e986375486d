#include "server/route.h"

#include <string.h>

bool srv_route_match(const char *pattern, const char *path, struct srv_route_params *params)
{
	struct srv_route_params scratch;
	if (!params)
		params = &scratch;
	params->count = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			if (!close)
				return false;
			size_t n = strcspn(s, "/");
			if (n == 0 || n >= SRV_ROUTE_PARAM_LEN ||
			    params->count >= SRV_ROUTE_MAX_PARAMS)
				return false;
			memcpy(params->value[params->count], s, n);
			params->value[params->count][n] = '\0';
			params->count++;
			p = close + 1;
			s += n;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return *p == '\0' && *s == '\0';
}
