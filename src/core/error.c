#include "core/error.h"

static const char *const messages[] = {
#define DICTUM_ERR_MSG(name, msg) msg,
    DICTUM_ERRORS(DICTUM_ERR_MSG)
#undef DICTUM_ERR_MSG
};

const char *dictum_strerror(int status)
{
	if (status < 0 || status >= DICTUM_STATUS_COUNT)
		return "unknown error";
	return messages[status];
}
