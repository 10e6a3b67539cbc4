// SPDX-License-Identifier: GPL-2.0-only
/*
 * labqmp: run QMP commands on a QEMU's unix socket, inside the lab's L1
 * host (its initramfs has busybox, whose nc cannot talk to a unix socket).
 * The migration scenario drives both L2 QEMUs with it.
 *
 *   labqmp SOCKET 'JSON command' ['JSON command' ...]
 *
 * Negotiates capabilities, then sends each command in order and prints its
 * reply (one line; events are skipped).  Waits up to 10 s for the socket to
 * appear (a QEMU that was just started).  Exit status: 0 every command
 * returned, 1 a command answered an error (later ones are not sent), 2 no
 * connection or the connection broke, 3 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TRIES 100	/* every 100 ms: 10 s */

static int qmp_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "labqmp: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	for (i = 0; i < CONNECT_TRIES; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		if (fd < 0)
			break;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "labqmp: cannot connect to %s: %s\n", path, strerror(errno));
	return -1;
}

/* The next line QEMU sent that is not an event; NULL when the connection
 * ended.  The caller frees it. */
static char *read_reply(FILE *in)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, in) > 0) {
		if (strncmp(line, "{\"timestamp\"", 12) != 0 &&
		    strncmp(line, "{\"event\"", 8) != 0)
			return line;
	}
	free(line);
	return NULL;
}

/* Sends one command; prints the reply unless quiet.  0 return, 1 error
 * reply, 2 broken connection. */
static int execute(int fd, FILE *in, const char *cmd, int quiet)
{
	size_t len = strlen(cmd);
	char *reply;
	int rc;

	if (write(fd, cmd, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		fprintf(stderr, "labqmp: write: %s\n", strerror(errno));
		return 2;
	}
	reply = read_reply(in);
	if (!reply) {
		fprintf(stderr, "labqmp: connection closed after %s\n", cmd);
		return 2;
	}
	rc = strncmp(reply, "{\"return\"", 9) == 0 ? 0 : 1;
	if (!quiet || rc)
		fputs(reply, rc ? stderr : stdout);
	free(reply);
	return rc;
}

int main(int argc, char **argv)
{
	FILE *in;
	char *greeting;
	int fd, i, rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: labqmp SOCKET 'JSON command' ...\n");
		return 3;
	}
	fd = qmp_connect(argv[1]);
	if (fd < 0)
		return 2;
	in = fdopen(dup(fd), "r");
	if (!in) {
		close(fd);
		return 2;
	}
	greeting = read_reply(in);
	if (!greeting || strncmp(greeting, "{\"QMP\"", 6) != 0) {
		fprintf(stderr, "labqmp: no QMP greeting on %s\n", argv[1]);
		rc = 2;
	}
	free(greeting);
	if (!rc)
		rc = execute(fd, in, "{\"execute\":\"qmp_capabilities\"}", 1);
	for (i = 2; i < argc && !rc; i++)
		rc = execute(fd, in, argv[i], 0);
	fclose(in);
	close(fd);
	return rc;
}
