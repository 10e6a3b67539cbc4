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
 * appear (a QEMU that was just started), not for one that refuses (QEMU
 * gone), and 30 s for each reply.  Exit status: 0 every command returned,
 * 1 a command answered an error (later ones are not sent), 2 no
 * connection, the connection broke or no reply came, 3 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TRIES 100	/* every 100 ms: 10 s */
#define REPLY_TIMEOUT_S 30

static int qmp_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i, err = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "labqmp: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	for (i = 0; i < CONNECT_TRIES; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct timeval tv = { REPLY_TIMEOUT_S, 0 };
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		if (fd < 0) {
			err = errno;
			break;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			/* A QEMU that stops answering ends the call (exit 2). */
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			return fd;
		}
		err = errno;
		close(fd);
		/* QEMU listens as soon as it binds: only a socket not there
		 * yet is worth waiting for; refused means QEMU is gone. */
		if (err != ENOENT)
			break;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "labqmp: cannot connect to %s: %s\n", path, strerror(err));
	return -1;
}

/* The whole buffer, or -1; no SIGPIPE when QEMU has closed the socket. */
static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
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

	if (send_all(fd, cmd, len) || send_all(fd, "\n", 1)) {
		fprintf(stderr, "labqmp: send: %s\n", strerror(errno));
		return 2;
	}
	reply = read_reply(in);
	if (!reply) {
		fprintf(stderr, "labqmp: no reply to %s (closed, or none in %d s)\n", cmd,
			REPLY_TIMEOUT_S);
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
