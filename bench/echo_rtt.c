/*
 * bench/echo_rtt.c -- the client side of bench/io.sh.
 *
 * A lean attach client (no podctl in the way), the floors it is compared
 * with, and a reader for conmon's attach socket.  Self-contained: it speaks
 * the framing of docs/protocol.md itself and needs only libc.
 *
 *   echo_rtt attach-run POD_DIR APP STDOUT(0|1) [QUEUE]
 *       Attach to APP (stdin, and stdout if STDOUT is 1; replay 0, overflow
 *       drop, QUEUE bytes, default 1 MiB as podctl), send "go\n" and close
 *       stdin, then read until the EXIT frame.  The app is expected to wait
 *       for that line before it writes.  Prints
 *       "secs BYTES_RECEIVED BYTES_DROPPED SHELLCODE".
 *   echo_rtt attach-echo POD_DIR APP ITERS
 *       APP is `cat` with stream stdin and stdout: send one byte, wait for
 *       it back, ITERS times (after ITERS/10 warm-up round trips).
 *       Prints "median_us p99_us mean_us".
 *   echo_rtt unix-echo ITERS
 *       The floor: the same round trip through a Unix stream socket to an
 *       echo server in a child process.  Prints as attach-echo.
 *   echo_rtt pipe-echo ITERS CMD [ARG...]
 *       Through CMD (e.g. cat) over two pipes: the app's own hops, without
 *       a supervisor.  Prints as attach-echo.
 *   echo_rtt relay-echo ITERS CMD [ARG...]
 *       The floor of any supervisor in the path: a Unix stream socket to a
 *       relay process (one epoll loop, no framing, no allocation) that
 *       feeds CMD (e.g. cat) over a pipe and sends its output back, so the
 *       same four hops as attach-echo.  Prints as attach-echo.
 *   echo_rtt conmon-read SOCKET -- CMD [ARG...]
 *       Connect to conmon's attach socket (SOCK_SEQPACKET; every packet is
 *       one byte of stream id then data), run CMD (crun start) and read
 *       until conmon closes the socket.  Prints "SECS_TO_LAST_BYTE
 *       SECS_TO_EOF BYTES_RECEIVED", from just before CMD is started.
 *   echo_rtt run-wait-file FILE -- CMD [ARG...]
 *       Run CMD, then wait (1 ms polls) for FILE to exist: conmon's exit
 *       file, written once it has drained the container's output.  Prints
 *       the seconds from just before CMD to FILE.
 *
 * POD_DIR is D/pods/run/UUID; its control socket is reached through an
 * O_PATH descriptor of the directory, as paths may exceed sun_path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	F_REQUEST = 0x01, F_RESPONSE = 0x02, F_STDIN = 0x10, F_STDOUT = 0x11,
	F_STDERR = 0x12, F_CLOSE_STDIN = 0x15, F_EXIT = 0x16, F_DROPPED = 0x17,
};

static const char *cmd = "echo_rtt";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die("%s: not a number from %ld to %ld: %s", what, min, max, s);
	return v;
}

static void put_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write: %s", n < 0 ? strerror(errno) : "short write");
		p += n;
		len -= (size_t)n;
	}
}

/* Connect to DIR/NAME, NAME relative to an O_PATH descriptor of DIR; -1 and errno on failure. */
static int try_connect_in(const char *dir, const char *name, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int dfd, fd, e;

	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, name);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	e = errno;
	close(dfd);
	errno = e;
	return fd;
}

static int connect_in(const char *dir, const char *name, int type)
{
	int fd = try_connect_in(dir, name, type);

	if (fd < 0)
		die("connect %s/%s: %s", dir, name, strerror(errno));
	return fd;
}

/* ---- podinit's framing --------------------------------------------------- */

struct conn {
	int fd;
	unsigned char *buf;
	size_t cap, start, end;
};

static void send_frame(struct conn *c, int type, const void *payload, size_t len)
{
	unsigned char hdr[5];
	uint32_t l = (uint32_t)len + 1;

	hdr[0] = (unsigned char)(l >> 24);
	hdr[1] = (unsigned char)(l >> 16);
	hdr[2] = (unsigned char)(l >> 8);
	hdr[3] = (unsigned char)l;
	hdr[4] = (unsigned char)type;
	if (len <= 64) {	/* one write: one wake-up at the other end */
		unsigned char f[5 + 64];
		memcpy(f, hdr, 5);
		memcpy(f + 5, payload, len);
		put_all(c->fd, f, 5 + len);
	} else {
		put_all(c->fd, hdr, 5);
		put_all(c->fd, payload, len);
	}
}

/* Next frame, reading as needed; 0 at end of file. */
static int next_frame(struct conn *c, int *type, unsigned char **payload, size_t *len)
{
	for (;;) {
		size_t have = c->end - c->start;
		if (have >= 5) {
			unsigned char *h = c->buf + c->start;
			uint32_t l = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
			if (l < 1 || l > c->cap - 5)
				die("bad frame length %u", l);
			if (have >= 4 + (size_t)l) {
				*type = h[4];
				*payload = h + 5;
				*len = l - 1;
				c->start += 4 + l;
				return 1;
			}
		}
		if (c->start && (c->cap - c->end < 65536 + 5)) {
			memmove(c->buf, c->buf + c->start, have);
			c->start = 0;
			c->end = have;
		}
		ssize_t n = read(c->fd, c->buf + c->end, c->cap - c->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read: %s", strerror(errno));
		if (n == 0)
			return 0;
		c->end += (size_t)n;
	}
}

static long json_int(const unsigned char *p, size_t len, const char *key)
{
	char k[64], *s = strndup((const char *)p, len), *q;
	long v = -1;

	snprintf(k, sizeof(k), "\"%s\":", key);
	if (s && (q = strstr(s, k)))
		v = strtol(q + strlen(k), NULL, 10);
	free(s);
	return v;
}

/*
 * Attach; a pod that is still starting (no socket yet, or the app not yet
 * started) is retried for up to 10 s.  Returns the time the successful
 * attempt began.
 */
static double attach(struct conn *c, const char *pod, const char *app, int out, long queue)
{
	char req[512];
	int type;
	unsigned char *p;
	size_t len;
	int n;
	double t0, deadline = now() + 10;

	c->cap = 1 << 20;
	c->buf = malloc(c->cap);
	if (!c->buf)
		die("out of memory");
	n = snprintf(req, sizeof(req),
		     "{\"v\":1,\"id\":1,\"op\":\"attach\",\"app\":\"%s\",\"stdin\":true,\"stdout\":%s,"
		     "\"stderr\":false,\"replay\":0,\"overflow\":\"drop\",\"queue\":%ld}",
		     app, out ? "true" : "false", queue);
	for (;;) {
		t0 = now();
		c->start = c->end = 0;
		c->fd = try_connect_in(pod, "stage1/rootfs/rkt/podinit/control.sock", SOCK_STREAM);
		if (c->fd >= 0) {
			send_frame(c, F_REQUEST, req, (size_t)n);
			if (!next_frame(c, &type, &p, &len) || type != F_RESPONSE)
				die("attach: no response");
			if (memmem(p, len, "\"ok\":true", 9))
				return t0;
			if (!memmem(p, len, "\"not-started\"", 13) || now() > deadline)
				die("attach refused: %.*s", (int)len, p);
			close(c->fd);
		} else if (now() > deadline) {
			die("connect %s: %s", pod, strerror(errno));
		}
		usleep(2000);
	}
}

static int attach_run(int argc, char **argv)
{
	struct conn c;
	int type, out;
	unsigned char *p;
	size_t len;
	long long got = 0, dropped = 0;
	long code = -1, queue = 1 << 20;
	double t0, t1;

	if (argc != 4 && argc != 5)
		die("usage: attach-run POD_DIR APP STDOUT(0|1) [QUEUE]");
	out = (int)num(argv[3], 0, 1, "STDOUT");
	if (argc == 5)
		queue = num(argv[4], 4096, 256L << 20, "QUEUE");
	t0 = attach(&c, argv[1], argv[2], out, queue);
	send_frame(&c, F_STDIN, "go\n", 3);
	send_frame(&c, F_CLOSE_STDIN, "", 0);
	for (;;) {
		if (!next_frame(&c, &type, &p, &len))
			die("the pod closed the connection before the EXIT frame");
		if (type == F_STDOUT || type == F_STDERR) {
			got += (long long)len;
		} else if (type == F_DROPPED) {
			long d = json_int(p, len, "bytes");
			dropped += d > 0 ? d : 0;
		} else if (type == F_EXIT) {
			code = json_int(p, len, "shellCode");
			break;
		}
	}
	t1 = now();
	printf("%.6f %lld %lld %ld\n", t1 - t0, got, dropped, code);
	return 0;
}

/* ---- round trips --------------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(double *s, long n)
{
	double sum = 0;
	long k;

	for (long i = 0; i < n; i++)
		sum += s[i];
	qsort(s, (size_t)n, sizeof(*s), cmp_d);
	k = (99 * n + 99) / 100;	/* nearest rank */
	printf("%.1f %.1f %.1f\n", (n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) * 1e6,
	       s[k - 1] * 1e6, sum / (double)n * 1e6);
}

/* Read exactly len bytes. */
static void get_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read: %s", n < 0 ? strerror(errno) : "end of file");
		p += n;
		len -= (size_t)n;
	}
}

/* ITERS timed one-byte round trips over wfd -> rfd, after ITERS/10 warm-up. */
static void rtt_fds(int wfd, int rfd, long iters)
{
	double *s = malloc(sizeof(double) * (size_t)iters);
	char b = 'x', r;

	if (!s)
		die("out of memory");
	for (long i = -(iters / 10); i < iters; i++) {
		double t0 = now();
		put_all(wfd, &b, 1);
		get_all(rfd, &r, 1);
		if (i >= 0)
			s[i] = now() - t0;
	}
	report(s, iters);
	free(s);
}

static int attach_echo(int argc, char **argv)
{
	struct conn c;
	long iters;
	double *s;
	int type;
	unsigned char *p;
	size_t len;

	if (argc != 4)
		die("usage: attach-echo POD_DIR APP ITERS");
	iters = num(argv[3], 1, 10000000, "ITERS");
	s = malloc(sizeof(double) * (size_t)iters);
	if (!s)
		die("out of memory");
	attach(&c, argv[1], argv[2], 1, 1 << 20);
	for (long i = -(iters / 10); i < iters; i++) {
		size_t back = 0;
		double t0 = now();
		send_frame(&c, F_STDIN, "x", 1);
		while (back < 1) {
			if (!next_frame(&c, &type, &p, &len))
				die("the pod closed the connection");
			if (type == F_STDOUT)
				back += len;
			else if (type == F_EXIT || type == F_DROPPED)
				die("unexpected frame 0x%02x during the round trips", type);
		}
		if (back != 1)
			die("got %zu bytes back for 1", back);
		if (i >= 0)
			s[i] = now() - t0;
	}
	report(s, iters);
	send_frame(&c, F_CLOSE_STDIN, "", 0);
	while (next_frame(&c, &type, &p, &len))
		if (type == F_EXIT)
			break;
	return 0;
}

static int unix_echo(int argc, char **argv)
{
	int sv[2];
	long iters;
	pid_t pid;

	if (argc != 2)
		die("usage: unix-echo ITERS");
	iters = num(argv[1], 1, 10000000, "ITERS");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char buf[4096];
		ssize_t n;
		close(sv[0]);
		while ((n = read(sv[1], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				put_all(sv[1], buf, (size_t)n);
		_exit(0);
	}
	close(sv[1]);
	rtt_fds(sv[0], sv[0], iters);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return 0;
}

static int pipe_echo(int argc, char **argv)
{
	int in[2], out[2];
	long iters;
	pid_t pid;

	if (argc < 3)
		die("usage: pipe-echo ITERS CMD [ARG...]");
	iters = num(argv[1], 1, 10000000, "ITERS");
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	rtt_fds(in[1], out[0], iters);
	close(in[1]);
	close(out[0]);
	waitpid(pid, NULL, 0);
	return 0;
}

/* The relay's loop: sock -> to_app, from_app -> sock, until either ends. */
static void relay(int sock, int to_app, int from_app)
{
	struct epoll_event ev = { .events = EPOLLIN }, got[2];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	char buf[4096];

	if (ep < 0)
		die("epoll_create1: %s", strerror(errno));
	ev.data.fd = sock;
	epoll_ctl(ep, EPOLL_CTL_ADD, sock, &ev);
	ev.data.fd = from_app;
	epoll_ctl(ep, EPOLL_CTL_ADD, from_app, &ev);
	for (;;) {
		int n = epoll_wait(ep, got, 2, -1);
		for (int i = 0; i < n; i++) {
			int from = got[i].data.fd;
			ssize_t r = read(from, buf, sizeof(buf));
			if (r <= 0)
				_exit(0);
			put_all(from == sock ? to_app : sock, buf, (size_t)r);
		}
	}
}

static int relay_echo(int argc, char **argv)
{
	int sv[2], in[2], out[2];
	pid_t rpid, pid;
	long iters;

	if (argc < 3)
		die("usage: relay-echo ITERS CMD [ARG...]");
	iters = num(argv[1], 1, 10000000, "ITERS");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(in, O_CLOEXEC) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0)
		die("socketpair/pipe: %s", strerror(errno));
	if ((rpid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (rpid == 0) {
		close(sv[0]);
		if ((pid = fork()) < 0)
			_exit(1);
		if (pid == 0) {
			dup2(in[0], 0);
			dup2(out[1], 1);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		close(in[0]);
		close(out[1]);
		relay(sv[1], in[1], out[0]);
	}
	close(sv[1]);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	rtt_fds(sv[0], sv[0], iters);
	close(sv[0]);
	waitpid(rpid, NULL, 0);
	return 0;
}

/* ---- conmon -------------------------------------------------------------- */

static pid_t spawn(char **argv)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void reap(pid_t pid, const char *what)
{
	int st;

	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("%s failed", what);
}

static int conmon_read(int argc, char **argv)
{
	static unsigned char buf[65536 + 1];
	char *dir, *slash;
	long long got = 0;
	int fd;
	double t0, t_last = 0, t1;
	pid_t pid;

	if (argc < 4 || strcmp(argv[2], "--"))
		die("usage: conmon-read SOCKET -- CMD [ARG...]");
	dir = strdup(argv[1]);
	slash = strrchr(dir, '/');
	if (!slash)
		die("SOCKET must be a path with a directory: %s", argv[1]);
	*slash = '\0';
	fd = connect_in(dir, slash + 1, SOCK_SEQPACKET);
	t0 = now();
	pid = spawn(argv + 3);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recv: %s", strerror(errno));
		if (n == 0)
			break;
		if (buf[0] == 1 || buf[0] == 2) {	/* stdout, stderr */
			got += n - 1;
			t_last = now();
		}
	}
	t1 = now();
	reap(pid, argv[3]);
	printf("%.6f %.6f %lld\n", t_last - t0, t1 - t0, got);
	return 0;
}

static int run_wait_file(int argc, char **argv)
{
	double t0;
	pid_t pid;

	if (argc < 4 || strcmp(argv[2], "--"))
		die("usage: run-wait-file FILE -- CMD [ARG...]");
	t0 = now();
	pid = spawn(argv + 3);
	reap(pid, argv[3]);
	while (access(argv[1], F_OK) < 0) {
		if (now() - t0 > 120)
			die("%s did not appear within 120 s", argv[1]);
		usleep(1000);
	}
	printf("%.6f\n", now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: echo_rtt attach-run|attach-echo|unix-echo|pipe-echo|relay-echo|conmon-read|run-wait-file ARGS...");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "attach-run"))
		return attach_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "attach-echo"))
		return attach_echo(argc - 1, argv + 1);
	if (!strcmp(argv[1], "unix-echo"))
		return unix_echo(argc - 1, argv + 1);
	if (!strcmp(argv[1], "pipe-echo"))
		return pipe_echo(argc - 1, argv + 1);
	if (!strcmp(argv[1], "relay-echo"))
		return relay_echo(argc - 1, argv + 1);
	if (!strcmp(argv[1], "conmon-read"))
		return conmon_read(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run-wait-file"))
		return run_wait_file(argc - 1, argv + 1);
	die("unknown command: %s", argv[1]);
	return 2;
}
