#include "ui/player.h"
#include "audio/wav.h"
#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct ui_player {
	pthread_t thread;
	pid_t pid;
	int file, pipe_out;
	uint64_t from, to; /* byte offsets of the span in the file */
	atomic_bool stop, reaped;
};

/* Copies the span into the player's standard input, then closes it. */
static void *feed(void *arg)
{
	struct ui_player *p = arg;
	sigset_t pipe_sig;
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_sig, NULL); /* a player gone gives EPIPE */
	char buf[8192];
	for (uint64_t at = p->from; at < p->to && !atomic_load(&p->stop);) {
		size_t want = p->to - at < sizeof(buf) ? (size_t)(p->to - at) : sizeof(buf);
		ssize_t got = pread(p->file, buf, want, (off_t)at);
		if (got <= 0)
			break;
		ssize_t put = 0;
		while (put < got && !atomic_load(&p->stop)) {
			ssize_t w = write(p->pipe_out, buf + put, (size_t)(got - put));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out;
			put += w;
		}
		at += (uint64_t)got;
	}
out:
	close(p->pipe_out);
	p->pipe_out = -1;
	return NULL;
}

static int spawn_player(struct ui_player *p, int in_fd, const struct wav_info *info)
{
	char rate[32], ch[32], rate_a[16], ch_a[16];
	snprintf(rate, sizeof(rate), "--rate=%d", info->rate);
	snprintf(ch, sizeof(ch), "--channels=%d", info->channels);
	snprintf(rate_a, sizeof(rate_a), "%d", info->rate);
	snprintf(ch_a, sizeof(ch_a), "%d", info->channels);
	char *const paplay[] = {
	    "paplay", "--raw", "--format=s16le", rate, ch, "--client-name=dictum", NULL};
	char *const aplay[] = {"aplay", "-q",   "-t", "raw", "-f", "S16_LE",
	                       "-r",    rate_a, "-c", ch_a,  "-",  NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawnp(&p->pid, "paplay", &fa, NULL, paplay, environ);
	if (rc == ENOENT)
		rc = posix_spawnp(&p->pid, "aplay", &fa, NULL, aplay, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

int ui_player_start(struct ui_player **out, const char *wav, double start, double end, char *err,
                    size_t errlen)
{
	struct wav_info info;
	int result = wav_read_info(wav, &info, err, errlen);
	if (result)
		return result;
	if (info.format_tag != 1 || info.bits != 16 || info.channels < 1 || info.rate < 1) {
		snprintf(err, errlen, "%s is not 16-bit PCM", wav);
		return DICTUM_INVAL;
	}
	uint64_t frame = (uint64_t)info.block_align, total = info.data_bytes / frame;
	if (info.streamed || info.data_offset + info.data_bytes > info.file_bytes)
		total = (info.file_bytes - info.data_offset) / frame;
	uint64_t a = start > 0 ? (uint64_t)(start * info.rate) : 0;
	uint64_t b = end > start ? (uint64_t)(end * info.rate + 0.5) : total;
	if (b > total)
		b = total;
	if (a >= b) {
		snprintf(err, errlen, "the span %.1f-%.1f s is outside the recording", start, end);
		return DICTUM_INVAL;
	}
	struct ui_player *p = calloc(1, sizeof(*p));
	int fds[2] = {-1, -1};
	if (!p)
		return DICTUM_NOMEM;
	p->pipe_out = -1;
	p->from = info.data_offset + a * frame;
	p->to = info.data_offset + b * frame;
	p->file = open(wav, O_RDONLY | O_CLOEXEC);
	if (p->file < 0 || pipe(fds) != 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
		if (fds[0] >= 0) {
			close(fds[0]);
			close(fds[1]);
		}
		snprintf(err, errlen, "%s: %s", wav, strerror(errno));
		result = DICTUM_IO;
		goto fail;
	}
	int rc = spawn_player(p, fds[0], &info);
	close(fds[0]);
	if (rc) {
		snprintf(err, errlen, "cannot run paplay or aplay: %s", strerror(rc));
		close(fds[1]);
		result = DICTUM_IO;
		goto fail;
	}
	p->pipe_out = fds[1];
	if ((rc = pthread_create(&p->thread, NULL, feed, p)) != 0) {
		close(p->pipe_out);
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
		snprintf(err, errlen, "cannot start the player thread: %s", strerror(rc));
		result = DICTUM_INTERNAL;
		goto fail;
	}
	*out = p;
	return DICTUM_OK;
fail:
	if (p->file >= 0)
		close(p->file);
	free(p);
	return result;
}

bool ui_player_running(struct ui_player *p)
{
	if (!p || atomic_load(&p->reaped))
		return false;
	if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
		atomic_store(&p->reaped, true);
		return false;
	}
	return true;
}

void ui_player_stop(struct ui_player **pp)
{
	struct ui_player *p = *pp;
	if (!p)
		return;
	atomic_store(&p->stop, true);
	if (!atomic_load(&p->reaped))
		kill(p->pid, SIGTERM); /* the feeder's write then fails with EPIPE */
	pthread_join(p->thread, NULL);
	if (!atomic_load(&p->reaped))
		waitpid(p->pid, NULL, 0);
	close(p->file);
	free(p);
	*pp = NULL;
}
