#include "ui/editor.h"
#include "core/lib.h"

#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

char *editor_note_text(const struct note *n)
{
	struct dynbuf d;
	dynbuf_init(&d, 64u << 20);
	int result = 0;
	for (size_t i = 0; !result && i < n->nsections; i++)
		result = dynbuf_printf(&d, "%s# %s\n%s\n", i ? "\n" : "", n->sections[i].title,
		                       n->sections[i].text);
	char *text = result ? NULL : strdup(d.buf ? d.buf : "");
	dynbuf_free(&d);
	return text;
}

int editor_write_note(const char *path, const struct note *n)
{
	char *text = editor_note_text(n);
	int result = text ? file_write_atomic(path, text, strlen(text), 0600) : -ENOMEM;
	free(text);
	return result;
}

int editor_write_text(const char *path, const char *text)
{
	return file_write_atomic(path, text ? text : "", text ? strlen(text) : 0, 0600);
}

int editor_read_note(const char *path, const struct note *orig, struct note *out)
{
	char *text = NULL;
	if (file_read_all(path, 64u << 20, &text, NULL) != 0)
		return DICTUM_IO;
	int result = editor_note_from_text(text, orig, out);
	free(text);
	return result;
}

int editor_note_from_text(const char *text, const struct note *orig, struct note *out)
{
	int result = note_copy_identity(out, orig);
	if (!result)
		result = note_parse_sections(out, text);
	for (size_t i = 0; !result && i < out->nsections; i++) {
		for (size_t k = 0; k < orig->nsections; k++) {
			if (strcasecmp(out->sections[i].title, orig->sections[k].title) != 0)
				continue;
			char *key = strdup(orig->sections[k].key);
			if (!key) {
				result = DICTUM_NOMEM;
				break;
			}
			free(out->sections[i].key);
			out->sections[i].key = key;
			break;
		}
	}
	if (result)
		note_clear(out);
	return result;
}

int editor_run(const char *path)
{
	const char *editor = getenv("VISUAL");
	if (str_empty(editor))
		editor = getenv("EDITOR");
	if (str_empty(editor))
		editor = "vi";
	def_prog_mode();
	endwin();
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old_int, old_quit;
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	int status = -1;
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		/* The editor may carry arguments ("code -w"); the path is one word. */
		setenv("DICTUM_EDITOR", editor, 1);
		execl("/bin/sh", "sh", "-c", "exec $DICTUM_EDITOR \"$1\"", "sh", path,
		      (char *)NULL);
		_exit(127);
	}
	if (pid > 0) {
		int wstatus;
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	reset_prog_mode();
	refresh();
	return status;
}
