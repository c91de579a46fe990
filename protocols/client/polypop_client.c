/*
 * polypop_client.c - polypop-client: command line, connection, trace and
 * output files.  The dialogues live in client_pop1.c, client_pop2.c and
 * client_pop3.c.
 *
 *   polypop-client pop1|pop2|pop3 HOST:PORT USER [--password-file F]
 *       [--out DIR] [--delete] [--folder NAME] [--apop] [--quiet]
 *       [--timeout SEC] [--pop1-rcev-ok]
 *
 * The server is not trusted: every reply line is bounded (linereader),
 * every count is bounded (CLIENT_MAX_OCTETS), every wait is bounded
 * (--timeout), and what it sends is escaped before it reaches a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

static const char client_usage[] =
    "usage: polypop-client pop1|pop2|pop3 HOST:PORT USER\n"
    "           [--password-file FILE] [--out DIR] [--delete]\n"
    "           [--folder NAME] [--apop] [--quiet] [--timeout SEC]\n"
    "           [--pop1-rcev-ok]\n"
    "The password is the first line of FILE, or $POLYPOP_PASSWORD.\n"
    "IPv6 addresses go in brackets: [::1]:110.\n";

#define CLIENT_DEFAULT_TIMEOUT	30

/* Trace and errors. */

/* Write LEN octets of S to stderr, escaping what a terminal would act
 * on: the server chooses these octets. */
static void
client_put_escaped(const char *s, size_t len)
{
	size_t i;
	unsigned char ch;

	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch == '\\')
			fputs("\\\\", stderr);
		else if (ch >= 0x20 && ch < 0x7f)
			fputc(ch, stderr);
		else
			fprintf(stderr, "\\x%02x", ch);
	}
}

void
client_trace(struct client *c, char dir, const char *s, size_t len)
{
	if (c->opt->quiet)
		return;
	fprintf(stderr, "%c: ", dir);
	client_put_escaped(s, len);
	fputc('\n', stderr);
}

void
client_trace_octets(struct client *c, unsigned long long n)
{
	if (!c->opt->quiet)
		fprintf(stderr, "S: <%llu octets>\n", n);
}

void
client_note(struct client *c, const char *fmt, ...)
{
	va_list ap;

	if (c->opt->quiet)
		return;
	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
client_fail(struct client *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->exit_code != 0)
		return -1;
	c->exit_code = code;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Connection. */

static long long
client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the socket is ready for EVENTS or DEADLINE (CLOCK_MONOTONIC
 * ms) passes.  0 ready, -1 with client_fail. */
static int
client_wait(struct client *c, short events, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		left = deadline - client_now_ms();
		if (left <= 0)
			return client_fail(c, CLIENT_EX_TEMPFAIL,
			    "timed out after %d s waiting for %s",
			    c->opt->timeout, c->waiting);
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 86400000 ? 86400000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return client_fail(c, CLIENT_EX_UNAVAIL, "poll: %s",
			    strerror(errno));
	}
}

static long long
client_deadline(struct client *c)
{
	return client_now_ms() + (long long)c->opt->timeout * 1000;
}

static int
client_connect(struct client *c)
{
	const struct client_opts *o = c->opt;
	struct addrinfo hints, *res, *ai;
	char hostbuf[NI_MAXHOST];
	socklen_t elen;
	int rc, fd, soerr;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(o->host, o->port, &hints, &res);
	if (rc != 0)
		return client_fail(c, CLIENT_EX_UNAVAIL, "%s port %s: %s",
		    o->host, o->port, gai_strerror(rc));
	c->waiting = "the connection";
	soerr = 0;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			soerr = errno;
			continue;
		}
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, hostbuf,
		    sizeof(hostbuf), NULL, 0, NI_NUMERICHOST) != 0)
			strcpy(hostbuf, "?");
		client_note(c, "connecting to %s port %s", hostbuf, o->port);
		c->fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			if (client_wait(c, POLLOUT, client_deadline(c)) < 0) {
				/* A timeout on one address is final. */
				freeaddrinfo(res);
				return -1;
			}
			elen = sizeof(soerr);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &elen) == 0 && soerr == 0)
				break;
		} else
			soerr = errno;
		close(fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	if (c->fd < 0)
		return client_fail(c, CLIENT_EX_UNAVAIL,
		    "cannot connect to %s port %s: %s", o->host, o->port,
		    strerror(soerr));
	return 0;
}

int
client_send(struct client *c, const char *line, const char *shown)
{
	char buf[CLIENT_REPLY_MAX];
	size_t len, off;
	ssize_t n;
	long long deadline;

	len = strlen(line);
	/* Never put a CR or LF of our own arguments on the wire. */
	if (len + 2 > sizeof(buf) || strpbrk(line, "\r\n") != NULL)
		return client_fail(c, CLIENT_EX_USAGE,
		    "command too long or contains a line break: %.20s...",
		    shown != NULL ? shown : line);
	memcpy(buf, line, len);
	memcpy(buf + len, "\r\n", 2);
	len += 2;
	if (shown == NULL)
		shown = line;
	client_trace(c, 'C', shown, strlen(shown));
	c->waiting = "the server to accept a command";
	deadline = client_deadline(c);
	for (off = 0; off < len; ) {
		n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (client_wait(c, POLLOUT, deadline) < 0)
				return -1;
			continue;
		}
		return client_fail(c, CLIENT_EX_PROTOCOL,
		    "cannot send to the server: %s", strerror(errno));
	}
	return 0;
}

/*
 * Feed the line reader with at most one line: peek at what is there and
 * consume only through the first LF.  Whatever follows (a POP2 or POP1
 * counted message) stays in the socket for client_data_raw().  POP3 has
 * no counted data, so in bulk mode we take all there is (one read instead
 * of two per line).
 */
static int
client_fill(struct client *c, long long deadline)
{
	char *space;
	const char *lf;
	size_t room;
	ssize_t n;

	space = linereader_space(&c->lr, &room);
	if (room == 0)	/* cannot happen: called only with no whole line */
		return client_fail(c, CLIENT_EX_PROTOCOL, "line buffer full");
	for (;;) {
		n = recv(c->fd, space, room, c->bulk ? 0 : MSG_PEEK);
		if (n > 0 && c->bulk) {
			linereader_commit(&c->lr, (size_t)n);
			return 0;
		}
		if (n > 0)
			break;
		if (n == 0)
			return client_fail(c, CLIENT_EX_PROTOCOL,
			    "the server closed the connection while we "
			    "waited for %s", c->waiting);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return client_fail(c, CLIENT_EX_PROTOCOL,
			    "reading from the server: %s", strerror(errno));
		if (client_wait(c, POLLIN, deadline) < 0)
			return -1;
	}
	lf = memchr(space, '\n', (size_t)n);
	if (lf != NULL)
		n = lf - space + 1;
	/* The octets are already there: this read cannot block. */
	n = recv(c->fd, space, (size_t)n, 0);
	if (n <= 0)
		return client_fail(c, CLIENT_EX_PROTOCOL,
		    "reading from the server: %s", n == 0 ? "closed" :
		    strerror(errno));
	linereader_commit(&c->lr, (size_t)n);
	return 0;
}

static int
client_getline(struct client *c, size_t max, const char **line,
    size_t *len)
{
	long long deadline = client_deadline(c);
	int st;

	for (;;) {
		st = linereader_next(&c->lr, line, len);
		if (st == LINEREADER_TOOLONG)
			return client_fail(c, CLIENT_EX_PROTOCOL,
			    "the server sent a line longer than %d octets "
			    "while we waited for %s", CLIENT_LINE_MAX,
			    c->waiting);
		if (st == LINEREADER_LINE)
			break;
		if (client_fill(c, deadline) < 0)
			return -1;
	}
	if (*len + 2 > max)
		return client_fail(c, CLIENT_EX_PROTOCOL,
		    "the server sent a %zu-octet line (limit %zu) while we "
		    "waited for %s", *len + 2, max, c->waiting);
	return 0;
}

int
client_reply(struct client *c, const char *what, const char **line,
    size_t *len)
{
	c->waiting = what;
	if (client_getline(c, CLIENT_REPLY_MAX, line, len) < 0)
		return -1;
	client_trace(c, 'S', *line, *len);
	return 0;
}

int
client_data_line(struct client *c, const char **line, size_t *len)
{
	return client_getline(c, CLIENT_LINE_MAX, line, len);
}

long
client_peek(struct client *c, char *buf, size_t cap)
{
	long long deadline = client_deadline(c);
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, cap, MSG_PEEK);
		if (n > 0)
			break;
		if (n == 0)
			return client_fail(c, CLIENT_EX_PROTOCOL,
			    "the server closed the connection while we "
			    "waited for %s", c->waiting);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return client_fail(c, CLIENT_EX_PROTOCOL,
			    "reading from the server: %s", strerror(errno));
		if (client_wait(c, POLLIN, deadline) < 0)
			return -1;
	}
	return (long)n;
}

int
client_data_raw(struct client *c, unsigned long long n)
{
	char buf[65536];
	long long deadline;
	ssize_t got;
	size_t want;

	/* Lines are consumed whole, so nothing of the data is buffered. */
	if (c->bulk || linereader_pending(&c->lr) != 0)
		return client_fail(c, CLIENT_EX_PROTOCOL,
		    "internal: data buffered before a counted read");
	while (n > 0) {
		/* RFC 937 Timeouts: a long transfer in progress is not a
		 * timeout, so the clock restarts with every read. */
		deadline = client_deadline(c);
		want = n < sizeof(buf) ? (size_t)n : sizeof(buf);
		got = recv(c->fd, buf, want, 0);
		if (got > 0) {
			if (client_out_write(c, buf, (size_t)got) < 0)
				return -1;
			n -= (unsigned long long)got;
			continue;
		}
		if (got == 0)
			return client_fail(c, CLIENT_EX_PROTOCOL,
			    "the server closed the connection with %llu "
			    "octets of %s still to come", n, c->waiting);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return client_fail(c, CLIENT_EX_PROTOCOL,
			    "reading from the server: %s", strerror(errno));
		if (client_wait(c, POLLIN, deadline) < 0)
			return -1;
	}
	return 0;
}

int
client_parse_count(const char *p, size_t len, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		v = v * 10 + (unsigned long long)(p[i] - '0');
		if (v > max)
			return -1;
	}
	if (i == 0 || (i < len && p[i] != ' '))
		return -1;
	*out = v;
	return 0;
}

/* Output. */

int
client_out_open(struct client *c, const char *name)
{
	int n;

	if (c->opt->outdir == NULL) {
		c->out = stdout;
		snprintf(c->outpath, sizeof(c->outpath), "standard output");
		return 0;
	}
	n = snprintf(c->outpath, sizeof(c->outpath), "%s/%s",
	    c->opt->outdir, name);
	if (n < 0 || (size_t)n >= sizeof(c->outpath))
		return client_fail(c, CLIENT_EX_CANTCREAT,
		    "output path too long");
	c->out = fopen(c->outpath, "wbx");
	if (c->out == NULL && errno == EEXIST)
		return client_fail(c, CLIENT_EX_CANTCREAT, "%s already "
		    "exists: not overwriting mail already fetched",
		    c->outpath);
	if (c->out == NULL)
		return client_fail(c, CLIENT_EX_CANTCREAT, "%s: %s",
		    c->outpath, strerror(errno));
	return 0;
}

int
client_out_write(struct client *c, const void *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, c->out) != n)
		return client_fail(c, CLIENT_EX_CANTCREAT, "writing %s: %s",
		    c->outpath, strerror(errno));
	c->noctets += n;
	return 0;
}

int
client_out_close(struct client *c)
{
	FILE *f = c->out;
	int bad;

	c->out = NULL;
	bad = fflush(f) != 0;
	/* The copy must be on disk before the server deletes the mail. */
	if (!bad && c->opt->delete && fsync(fileno(f)) < 0 && errno != EINVAL)
		bad = 1;
	if (f != stdout && fclose(f) != 0)
		bad = 1;
	if (bad)
		return client_fail(c, CLIENT_EX_CANTCREAT, "writing %s: %s",
		    c->outpath, strerror(errno));
	c->nmsgs++;
	return 0;
}

void
client_out_abort(struct client *c)
{
	if (c->out == NULL)
		return;
	if (c->out != stdout) {
		fclose(c->out);
		unlink(c->outpath);
	} else
		fflush(stdout);
	c->out = NULL;
}

/* Command line. */

/* "host:port", "[v6]:port".  Modifies S. */
static int
client_split_hostport(char *s, const char **host, const char **port)
{
	char *colon;

	if (s[0] == '[') {
		colon = strchr(s, ']');
		if (colon == NULL || colon[1] != ':')
			return -1;
		*colon = '\0';
		*host = s + 1;
		*port = colon + 2;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || strchr(s, ':') != colon)
			return -1;
		*colon = '\0';
		*host = s;
		*port = colon + 1;
	}
	return **host != '\0' && **port != '\0' ? 0 : -1;
}

/* The first line of PATH, without its line end, in a static buffer
 * (wiped at exit). */
static char client_pwbuf[1024];

static char *
client_read_password(const char *path)
{
	FILE *f;
	size_t n;
	int more;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "polypop-client: %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	if (fgets(client_pwbuf, sizeof(client_pwbuf), f) == NULL)
		client_pwbuf[0] = '\0';
	n = strcspn(client_pwbuf, "\r\n");
	more = client_pwbuf[n] == '\0' && n == sizeof(client_pwbuf) - 1 &&
	    fgetc(f) != EOF;
	fclose(f);
	if (more) {
		fprintf(stderr, "polypop-client: %s: the password line is "
		    "longer than %zu octets\n", path, sizeof(client_pwbuf) - 2);
		return NULL;
	}
	client_pwbuf[n] = '\0';
	return client_pwbuf;
}

static int client_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
client_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("polypop-client: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(client_usage, stderr);
	return CLIENT_EX_USAGE;
}

/* The value of option ARGV[*I] ("--opt V" or "--opt=V"), or NULL. */
static const char *
client_optval(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int
client_parse_args(struct client_opts *o, int argc, char **argv,
    char **hostport)
{
	const char *pos[3], *v, *pwfile = NULL;
	char *end;
	long t;
	int i, npos = 0;

	memset(o, 0, sizeof(*o));
	o->timeout = CLIENT_DEFAULT_TIMEOUT;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(client_usage, stdout);
			exit(0);
		} else if (strcmp(argv[i], "--delete") == 0)
			o->delete = 1;
		else if (strcmp(argv[i], "--apop") == 0)
			o->apop = 1;
		else if (strcmp(argv[i], "--quiet") == 0)
			o->quiet = 1;
		else if (strcmp(argv[i], "--pop1-rcev-ok") == 0)
			o->pop1_rcev_ok = 1;
		else if ((v = client_optval(argc, argv, &i,
		    "--password-file")) != NULL)
			pwfile = v;
		else if ((v = client_optval(argc, argv, &i, "--out")) != NULL)
			o->outdir = v;
		else if ((v = client_optval(argc, argv, &i, "--folder")) !=
		    NULL)
			o->folder = v;
		else if ((v = client_optval(argc, argv, &i, "--timeout")) !=
		    NULL) {
			errno = 0;
			t = strtol(v, &end, 10);
			if (errno != 0 || *end != '\0' || t < 1 || t > 86400)
				return client_usage_error("--timeout wants 1 "
				    "to 86400 seconds, not '%s'", v);
			o->timeout = (int)t;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return client_usage_error("unknown option or missing "
			    "value: %s", argv[i]);
		else if (npos < 3)
			pos[npos++] = argv[i];
		else
			return client_usage_error("too many arguments: %s",
			    argv[i]);
	}
	if (npos < 3)
		return client_usage_error("%s", "missing arguments");
	o->proto = pos[0];
	if (strcmp(o->proto, "pop1") != 0 && strcmp(o->proto, "pop2") != 0 &&
	    strcmp(o->proto, "pop3") != 0)
		return client_usage_error("unknown protocol '%s' (pop1, pop2 "
		    "or pop3)", o->proto);
	if ((*hostport = strdup(pos[1])) == NULL ||
	    client_split_hostport(*hostport, &o->host, &o->port) < 0)
		return client_usage_error("bad address '%s': want HOST:PORT "
		    "or [IPV6]:PORT", pos[1]);
	o->user = pos[2];
	if (o->apop && strcmp(o->proto, "pop3") != 0)
		return client_usage_error("%s", "--apop is POP3 only");
	if (o->pop1_rcev_ok && strcmp(o->proto, "pop1") != 0)
		return client_usage_error("%s", "--pop1-rcev-ok is POP1 only");
	if (o->folder != NULL && strcmp(o->proto, "pop3") == 0)
		return client_usage_error("%s", "--folder is for pop2 (FOLD) "
		    "and pop1 (the mailbox argument); POP3 has one maildrop");
	if (pwfile != NULL) {
		if ((o->password = client_read_password(pwfile)) == NULL)
			return CLIENT_EX_USAGE;
	} else if ((o->password = getenv("POLYPOP_PASSWORD")) == NULL)
		return client_usage_error("%s", "no password: use "
		    "--password-file FILE or set POLYPOP_PASSWORD");
	if (o->outdir != NULL && mkdir(o->outdir, 0700) < 0 &&
	    errno != EEXIST) {
		fprintf(stderr, "polypop-client: %s: %s\n", o->outdir,
		    strerror(errno));
		return CLIENT_EX_CANTCREAT;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	/* It holds a 64 KiB line buffer: not on the stack. */
	static struct client c;
	struct client_opts o;
	char *hostport = NULL;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if ((rc = client_parse_args(&o, argc, argv, &hostport)) != 0) {
		free(hostport);
		return rc;
	}
	c.opt = &o;
	c.fd = -1;
	c.waiting = "the server";
	linereader_init(&c.lr, c.lrbuf, sizeof(c.lrbuf), sizeof(c.lrbuf));
	rc = client_connect(&c);
	if (rc == 0) {
		if (strcmp(o.proto, "pop1") == 0)
			rc = client_pop1_run(&c);
		else if (strcmp(o.proto, "pop2") == 0)
			rc = client_pop2_run(&c);
		else
			rc = client_pop3_run(&c);
	}
	client_out_abort(&c);
	explicit_bzero(client_pwbuf, sizeof(client_pwbuf));
	if (c.fd >= 0)
		close(c.fd);
	free(hostport);
	if (rc < 0 || c.exit_code != 0) {
		fprintf(stderr, "polypop-client: error: %s\n",
		    c.err[0] != '\0' ? c.err : "failed");
		return c.exit_code != 0 ? c.exit_code : CLIENT_EX_PROTOCOL;
	}
	if (strcmp(o.proto, "pop1") == 0)	/* no messages in POP1 */
		client_note(&c, "done: the mailbox, %llu octets%s",
		    c.noctets, o.delete ? ", deleted on the server" : "");
	else
		client_note(&c, "done: %lu message%s, %llu octets%s", c.nmsgs,
		    c.nmsgs == 1 ? "" : "s", c.noctets,
		    o.delete ? ", deleted on the server" : "");
	return 0;
}
