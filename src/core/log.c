#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level current_level = LOG_WARN;

static atomic_bool notices_on = true;
/* where lines go: NULL for stderr; guarded, as threads log while the
 * workstation swaps it */
static FILE *sink;
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (name && strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void log_init_from_env(void)
{
	int level = log_level_parse(getenv("DICTUM_LOG"));
	if (level >= 0)
		current_level = (enum log_level)level;
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
	if (level > current_level)
		return;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&sink_lock);
	fprintf(sink ? sink : stderr, "%s dictum %s [%s] %s\n", stamp, level_names[level], module,
	        line);
	if (sink)
		fflush(sink);
	pthread_mutex_unlock(&sink_lock);
}

/* Makes f (NULL: stderr) where lines go, and closes the file it replaces. */
static void set_sink(FILE *f)
{
	pthread_mutex_lock(&sink_lock);
	FILE *old = sink;
	sink = f;
	pthread_mutex_unlock(&sink_lock);
	if (old)
		fclose(old);
}

int log_to_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "a");
	if (!f) {
		int e = errno;
		close(fd);
		return -e;
	}
	set_sink(f);
	return 0;
}

void log_to_stderr(void)
{
	set_sink(NULL);
}

void log_notices(bool on)
{
	atomic_store(&notices_on, on);
}

void log_notice(const char *fmt, ...)
{
	if (!atomic_load(&notices_on) || current_level < LOG_WARN)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dictum: %s\n", line);
}
