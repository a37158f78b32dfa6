/*
 * probe -- a misbehaving application on demand, for podinit's tests.
 *
 * The integration tests and benchmarks need a payload that does one precise,
 * sometimes nasty, thing: exit with a given code, die from a signal, ignore
 * SIGTERM, leave thousands of orphans for PID 1 to reap, report what its
 * environment, ids, cwd or controlling terminal look like, and so on.  It
 * runs inside a busybox-only chroot, so it is a single static binary with no
 * dependencies beyond libc.
 *
 * Usage: probe CMD [ARGS...]   (one command per invocation; see usage()).
 *
 * Exit codes: whatever the command asks for; 100 for usage errors; 101 when
 * a system call the command relies on fails.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <poll.h>
#include <stddef.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 100
#define EXIT_SYSERR 101

extern char **environ;

static const char *prog = "probe";

static void usage(void)
{
	fprintf(stderr,
		"usage: %s CMD [ARGS...]\n"
		"  exit N | kill-self SIG | sleep SECONDS | ignore-term [SECONDS]\n"
		"  term-exit N | term-stamp FILE | orphans N [LINGER_MS] | zombies | print TEXT...\n"
		"  env | id | now | write-now FILE | pid | hostname | isatty | cwd\n"
		"  setsid-child SECONDS | flood BYTES | lines COUNT SIZE [out|err]\n"
		"  alloc MIB | forks N | notify VAR=VALUE... (sd_notify to $NOTIFY_SOCKET)\n"
		"  chroot-escape PATH... (the classic chroot break, then: found|absent PATH)\n",
		prog);
	exit(EXIT_USAGE);
}

static void die_usage(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s: '%s'\n", prog, what, arg ? arg : "(missing)");
	exit(EXIT_USAGE);
}

static void die_sys(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(EXIT_SYSERR);
}

/* Flush stdout and treat a failed write as a system error. */
static void flush_out(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		die_sys("writing to stdout");
}

static long long parse_int(const char *s, long long min, long long max,
			   const char *what)
{
	char *end;
	long long v;

	if (!s || !*s)
		die_usage(what, s);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		die_usage(what, s);
	return v;
}

static double parse_seconds(const char *s)
{
	char *end;
	double v;

	if (!s || !*s)
		die_usage("bad number of seconds", s);
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0.0) || v > 1e9)
		die_usage("bad number of seconds", s);
	return v;
}

/* Sleep the full duration even if signals interrupt us. */
static void sleep_for(double seconds)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (nanosleep(&ts, &ts) != 0) {
		if (errno != EINTR)
			die_sys("nanosleep");
	}
}

static int parse_signal(const char *s)
{
	int sig;

	if (!s || !*s)
		die_usage("bad signal", s);
	if (*s >= '0' && *s <= '9')
		return (int)parse_int(s, 1, NSIG - 1, "bad signal");
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (sig = 1; sig < NSIG; sig++) {
		const char *name = sigabbrev_np(sig);

		if (name && strcasecmp(name, s) == 0)
			return sig;
	}
	die_usage("unknown signal", s);
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		die_sys("clock_gettime");
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static _Noreturn void cmd_kill_self(int sig)
{
	struct sigaction sa;
	struct rlimit nocore = { 0, 0 };
	sigset_t set;

	/* No core files littering the rootfs; the signal is what matters. */
	setrlimit(RLIMIT_CORE, &nocore);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	flush_out();
	if (kill(getpid(), sig) != 0)
		die_sys("kill");
	/* Signals whose default action is to ignore (or stop) land here. */
	for (;;)
		pause();
}

static volatile sig_atomic_t term_code;

static void on_term(int sig)
{
	(void)sig;
	_exit(term_code);
}

static _Noreturn void cmd_term_exit(int code)
{
	struct sigaction sa;

	term_code = code;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0)
		die_sys("sigaction");
	puts("ready");
	flush_out();
	for (;;)
		pause();
}

static int stamp_fd = -1;

/* Async-signal-safe: CLOCK_MONOTONIC in ns, in decimal, then exit 0. */
static void on_term_stamp(int sig)
{
	struct timespec ts;
	char buf[32], *p = buf + sizeof(buf);
	unsigned long long ns;

	(void)sig;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
	*--p = '\n';
	do
		*--p = (char)('0' + ns % 10);
	while ((ns /= 10) && p > buf);
	if (write(stamp_fd, p, (size_t)(buf + sizeof(buf) - p)) < 0)
		_exit(1);
	_exit(0);
}

/* term-stamp FILE: FILE is created empty once the handler is in place; SIGTERM writes the
 * monotonic time it arrived (the same clock as the host's: no time namespace) and exits 0. */
static _Noreturn void cmd_term_stamp(const char *file)
{
	struct sigaction sa;
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	stamp_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (stamp_fd < 0)
		die_sys("open");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term_stamp;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0)
		die_sys("sigaction");
	if (rename(tmp, file) != 0)
		die_sys("rename");
	for (;;)
		pause();
}

static int cmd_ignore_term(double seconds)
{
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	puts("ignoring TERM");
	flush_out();
	sleep_for(seconds);
	return 0;
}

/* fork(), retrying for a while on EAGAIN (process limits, pid exhaustion). */
static pid_t fork_retry(void)
{
	int tries;

	for (tries = 0; tries < 2000; tries++) {
		pid_t pid = fork();

		if (pid >= 0 || errno != EAGAIN)
			return pid;
		sleep_for(0.005);
	}
	return -1;
}

static int cmd_orphans(long long n, long long linger_ms)
{
	pid_t mid;
	int status;

	flush_out();
	mid = fork_retry();
	if (mid < 0)
		die_sys("fork");
	if (mid == 0) {
		long long i;

		for (i = 0; i < n; i++) {
			pid_t pid;
			int tries = 0;

			/*
			 * A full fork() costs ~1 ms on small VMs; a child that
			 * only _exits may borrow our memory (vfork), >10x faster.
			 * vfork must be called right here, not in a helper.
			 */
			for (;;) {
				pid = linger_ms > 0 ? fork() : vfork();
				if (pid >= 0 || errno != EAGAIN || ++tries >= 2000)
					break;
				sleep_for(0.005);
			}
			if (pid < 0) {
				fprintf(stderr, "%s: fork grandchild %lld: %s\n",
					prog, i, strerror(errno));
				_exit(EXIT_SYSERR);
			}
			if (pid == 0) {
				if (linger_ms > 0)
					sleep_for((double)linger_ms / 1000.0);
				_exit(0);
			}
		}
		_exit(0); /* do not wait: the grandchildren become orphans */
	}
	while (waitpid(mid, &status, 0) < 0) {
		if (errno != EINTR)
			die_sys("waitpid");
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: intermediate child failed (status 0x%x)\n",
			prog, (unsigned)status);
		return EXIT_SYSERR;
	}
	printf("orphans %lld\n", n);
	return 0;
}

static int cmd_zombies(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	long count = 0;

	if (!d)
		die_sys("opendir /proc");
	while ((de = readdir(d)) != NULL) {
		char path[sizeof(de->d_name) + 16], buf[512];
		const char *p;
		ssize_t len;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* raced with exit/reap */
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* comm may contain spaces and ')': the state follows the last ')'. */
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'Z')
			count++;
	}
	closedir(d);
	printf("%ld\n", count);
	return 0;
}

static int cmd_id(void)
{
	gid_t *groups = NULL;
	int n, i;

	n = getgroups(0, NULL);
	if (n < 0)
		die_sys("getgroups");
	if (n > 0) {
		groups = calloc((size_t)n, sizeof(*groups));
		if (!groups)
			die_sys("calloc");
		n = getgroups(n, groups);
		if (n < 0)
			die_sys("getgroups");
	}
	printf("uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
	for (i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)groups[i]);
	putchar('\n');
	free(groups);
	return 0;
}

static int cmd_write_now(const char *file)
{
	char buf[32];
	int len, fd;

	len = snprintf(buf, sizeof(buf), "%lld\n", now_ns());
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die_sys(file);
	if (write(fd, buf, (size_t)len) != len)
		die_sys(file);
	if (close(fd) != 0)
		die_sys(file);
	return 0;
}

static int cmd_isatty(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		printf("%s%d:%s", fd ? " " : "", fd, isatty(fd) ? "tty" : "notty");
	putchar('\n');
	return 0;
}

/* Touch MIB mebibytes, one at a time, saying how far it got (for memory limits). */
static int cmd_alloc(long long mib)
{
	for (long long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);
		if (!p)
			die_sys("malloc");
		memset(p, 0x5a, 1 << 20);
		if ((i + 1) % 16 == 0 || i + 1 == mib) {
			printf("allocated %lld MiB\n", i + 1);
			flush_out();
		}
	}
	return 0;
}

/* Fork up to N children that wait; print how many exist and why the next
 * fork failed (for pids limits), then end them all. */
static int cmd_forks(long long n)
{
	long long made = 0;
	int err = 0;
	pid_t *kids = calloc((size_t)n + 1, sizeof(pid_t));

	if (!kids)
		die_sys("calloc");
	for (; made < n; made++) {
		pid_t pid = fork();
		if (pid < 0) {
			err = errno;
			break;
		}
		if (pid == 0) {
			pause();
			_exit(0);
		}
		kids[made] = pid;
	}
	printf("forked %lld%s%s\n", made, err ? " then " : "", err ? strerror(err) : "");
	flush_out();
	for (long long i = 0; i < made; i++)
		kill(kids[i], SIGKILL);
	for (long long i = 0; i < made; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
	return 0;
}

static int cmd_setsid_child(double seconds)
{
	pid_t pid;

	flush_out();
	pid = fork_retry();
	if (pid < 0)
		die_sys("fork");
	if (pid == 0) {
		int fd;

		if (setsid() < 0)
			_exit(EXIT_SYSERR);
		/* Let go of the caller's pipes so it sees EOF when we return. */
		fd = open("/dev/null", O_RDWR);
		for (int i = 0; i < 3; i++) {
			if (fd >= 0)
				dup2(fd, i);
			else
				close(i);
		}
		if (fd > 2)
			close(fd);
		sleep_for(seconds);
		_exit(0);
	}
	printf("%d\n", (int)pid);
	return 0;
}

static int cmd_flood(long long bytes)
{
	static char buf[100 * 655]; /* a whole number of 100-byte lines */
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (i % 100 == 99) ? '\n' : 'x';
	flush_out();
	while (bytes > 0) {
		size_t chunk = bytes < (long long)sizeof(buf) ? (size_t)bytes : sizeof(buf);
		size_t off = 0;

		while (off < chunk) {
			ssize_t w = write(STDOUT_FILENO, buf + off, chunk - off);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				die_sys("write");
			}
			off += (size_t)w;
		}
		bytes -= (long long)chunk;
	}
	return 0;
}

static void write_all_fd(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die_sys("write");
		}
		buf += w;
		len -= (size_t)w;
	}
}

/* COUNT lines of SIZE bytes each (newline included; numbered, padded with
 * 'y'), written in 64 KiB chunks to stdout or stderr. */
static int cmd_lines(long long count, long long size, int fd)
{
	static char buf[64 * 1024];
	size_t used = 0;
	long long i;

	flush_out();
	for (i = 0; i < count; i++) {
		char head[32];
		int hl = snprintf(head, sizeof(head), "%lld ", i);
		long long k;

		for (k = 0; k < size; k++) {
			char c = k == size - 1 ? '\n' : (k < hl ? head[k] : 'y');

			if (used == sizeof(buf)) {
				write_all_fd(fd, buf, used);
				used = 0;
			}
			buf[used++] = c;
		}
	}
	write_all_fd(fd, buf, used);
	return 0;
}

static void need_args(int argc, int min, int max)
{
	if (argc < min || argc > max)
		usage();
}

/* sd_notify by hand: the arguments, one per line, in one datagram to $NOTIFY_SOCKET. */
/*
 * The classic way out of a chroot for a process that holds CAP_SYS_CHROOT:
 * chroot into a subdirectory (the cwd stays outside it), walk up with
 * "..", and chroot there.  Then report which of the given paths exist in
 * the view it reached.  A runtime that confines apps by chroot alone lets
 * this reach the runtime's own root.
 */
static int cmd_chroot_escape(int argc, char **argv)
{
	if (mkdir("/tmp/.probe-escape", 0700) < 0 && errno != EEXIST)
		die_sys("mkdir /tmp/.probe-escape");
	if (chdir("/") < 0 || chroot("/tmp/.probe-escape") < 0)
		die_sys("chroot");
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			die_sys("chdir ..");
	if (chroot(".") < 0)
		die_sys("chroot .");
	for (int i = 0; i < argc; i++) {
		struct stat st;
		printf("%s %s\n", lstat(argv[i], &st) == 0 ? "found" : "absent", argv[i]);
	}
	return 0;
}

static int cmd_notify(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[4096] = "";
	size_t len = 0, plen;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "probe notify: NOTIFY_SOCKET is not set\n");
		return 101;
	}
	for (int i = 0; i < argc; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s", i ? "\n" : "", argv[i]);
	plen = strlen(path);
	memcpy(sa.sun_path, path, plen);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, msg, len, 0, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen)) < 0) {
		perror("probe notify");
		return 101;
	}
	/* sd_notify_barrier: a second datagram carrying a pipe's write end; the
	 * receiver closes it once it has read (and authenticated, while this
	 * process still lives) everything sent before. */
	{
		int p[2];
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { "BARRIER=1", 9 };
		struct msghdr mh = { .msg_name = &sa,
				     .msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen),
				     .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		struct pollfd pf;

		if (pipe2(p, O_CLOEXEC) < 0)
			return 101;
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &p[1], sizeof(int));
		if (sendmsg(fd, &mh, 0) < 0) {
			perror("probe notify: barrier");
			return 101;
		}
		close(p[1]);
		pf.fd = p[0];
		pf.events = 0;
		if (poll(&pf, 1, 5000) != 1) {
			fprintf(stderr, "probe notify: no answer to the barrier within 5 s\n");
			return 101;
		}
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int rc = 0;

	if (argc < 2)
		usage();
	cmd = argv[1];
	argc -= 2;
	argv += 2;

	if (!strcmp(cmd, "exit")) {
		need_args(argc, 1, 1);
		exit((int)parse_int(argv[0], 0, 255, "bad exit code"));
	} else if (!strcmp(cmd, "chroot-escape")) {
		rc = cmd_chroot_escape(argc, argv);
	} else if (!strcmp(cmd, "notify")) {
		return cmd_notify(argc, argv);
	} else if (!strcmp(cmd, "kill-self")) {
		need_args(argc, 1, 1);
		cmd_kill_self(parse_signal(argv[0]));
	} else if (!strcmp(cmd, "sleep")) {
		need_args(argc, 1, 1);
		sleep_for(parse_seconds(argv[0]));
	} else if (!strcmp(cmd, "ignore-term")) {
		need_args(argc, 0, 1);
		rc = cmd_ignore_term(argc ? parse_seconds(argv[0]) : 3600.0);
	} else if (!strcmp(cmd, "term-stamp")) {
		need_args(argc, 1, 1);
		cmd_term_stamp(argv[0]);
	} else if (!strcmp(cmd, "term-exit")) {
		need_args(argc, 1, 1);
		cmd_term_exit((int)parse_int(argv[0], 0, 255, "bad exit code"));
	} else if (!strcmp(cmd, "orphans")) {
		need_args(argc, 1, 2);
		rc = cmd_orphans(parse_int(argv[0], 0, 1000000, "bad count"),
				 argc > 1 ? parse_int(argv[1], 0, 86400000, "bad linger")
					  : 0);
	} else if (!strcmp(cmd, "zombies")) {
		need_args(argc, 0, 0);
		rc = cmd_zombies();
	} else if (!strcmp(cmd, "print")) {
		for (int i = 0; i < argc; i++)
			printf("%s%s", i ? " " : "", argv[i]);
		putchar('\n');
	} else if (!strcmp(cmd, "env")) {
		need_args(argc, 0, 0);
		for (char **e = environ; e && *e; e++)
			puts(*e);
	} else if (!strcmp(cmd, "id")) {
		need_args(argc, 0, 0);
		rc = cmd_id();
	} else if (!strcmp(cmd, "now")) {
		need_args(argc, 0, 0);
		printf("%lld\n", now_ns());
	} else if (!strcmp(cmd, "write-now")) {
		need_args(argc, 1, 1);
		rc = cmd_write_now(argv[0]);
	} else if (!strcmp(cmd, "pid")) {
		need_args(argc, 0, 0);
		printf("pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
	} else if (!strcmp(cmd, "hostname")) {
		struct utsname u;

		need_args(argc, 0, 0);
		if (uname(&u) != 0)
			die_sys("uname");
		puts(u.nodename);
	} else if (!strcmp(cmd, "isatty")) {
		need_args(argc, 0, 0);
		rc = cmd_isatty();
	} else if (!strcmp(cmd, "cwd")) {
		char *cwd;

		need_args(argc, 0, 0);
		cwd = getcwd(NULL, 0);
		if (!cwd)
			die_sys("getcwd");
		puts(cwd);
		free(cwd);
	} else if (!strcmp(cmd, "setsid-child")) {
		need_args(argc, 1, 1);
		rc = cmd_setsid_child(parse_seconds(argv[0]));
	} else if (!strcmp(cmd, "flood")) {
		need_args(argc, 1, 1);
		rc = cmd_flood(parse_int(argv[0], 0, LLONG_MAX, "bad byte count"));
	} else if (!strcmp(cmd, "alloc")) {
		need_args(argc, 1, 1);
		rc = cmd_alloc(parse_int(argv[0], 1, 1 << 20, "bad MiB count"));
	} else if (!strcmp(cmd, "forks")) {
		need_args(argc, 1, 1);
		rc = cmd_forks(parse_int(argv[0], 1, 100000, "bad process count"));
	} else if (!strcmp(cmd, "lines")) {
		need_args(argc, 2, 3);
		if (argc == 3 && strcmp(argv[2], "out") && strcmp(argv[2], "err"))
			usage();
		rc = cmd_lines(parse_int(argv[0], 0, LLONG_MAX, "bad line count"),
			       parse_int(argv[1], 1, 1 << 30, "bad line size"),
			       argc == 3 && !strcmp(argv[2], "err") ? STDERR_FILENO : STDOUT_FILENO);
	} else {
		fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
		usage();
	}
	flush_out();
	return rc;
}
