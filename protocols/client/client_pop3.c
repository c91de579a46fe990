/*
 * client_pop3.c - the POP3 dialogue (RFC 1939): greeting, USER/PASS or
 * APOP, STAT, LIST, then RETR (and DELE with --delete) for every message
 * LIST named, then QUIT, the only command that enters UPDATE (§6).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

static int
pop3_ok(const char *line, size_t len)
{
	/* RFC 1939 §3: status indicators are upper case; RFC 1957: some
	 * servers put no space after them. */
	return len >= 3 && memcmp(line, "+OK", 3) == 0 &&
	    (len == 3 || line[3] == ' ');
}

/* Send LINE, read the status reply, insist on +OK.  CODE is the exit
 * code for a -ERR. */
static int
pop3_cmd(struct client *c, const char *line, const char *shown, int code,
    const char **reply, size_t *rlen)
{
	const char *r;
	size_t n;

	if (client_send(c, line, shown) < 0 ||
	    client_reply(c, shown != NULL ? shown : line, &r, &n) < 0)
		return -1;
	if (!pop3_ok(r, n))
		return client_fail(c, code, "%s: the server answered '%.*s'",
		    shown != NULL ? shown : line, (int)(n > 200 ? 200 : n), r);
	if (reply != NULL) {
		*reply = r;
		*rlen = n;
	}
	return 0;
}

/* RFC 1939 §7: the digest is MD5(timestamp + secret) in 32 lower-case
 * hex digits; the timestamp is the greeting's <...> msg-id. */
static int
pop3_apop_digest(struct client *c, const char *greet, size_t len,
    char hex[33])
{
	const char *lt, *gt;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	int ok;

	lt = memchr(greet, '<', len);
	gt = lt != NULL ? memchr(lt, '>', len - (size_t)(lt - greet)) : NULL;
	if (gt == NULL)
		return client_fail(c, CLIENT_EX_PROTOCOL, "--apop: the "
		    "greeting carries no <timestamp> (RFC 1939 §7)");
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return client_fail(c, CLIENT_EX_PROTOCOL, "out of memory");
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, lt, (size_t)(gt - lt) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, c->opt->password,
	    strlen(c->opt->password)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return client_fail(c, CLIENT_EX_PROTOCOL, "--apop: MD5 is not "
		    "available from OpenSSL");
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int
pop3_login(struct client *c, const char *greet, size_t glen)
{
	const char *user = c->opt->user;
	char line[CLIENT_REPLY_MAX], shown[CLIENT_REPLY_MAX], hex[33];

	if (c->opt->apop) {
		if (pop3_apop_digest(c, greet, glen, hex) < 0)
			return -1;
		snprintf(line, sizeof(line), "APOP %s %s", user, hex);
		snprintf(shown, sizeof(shown), "APOP %s <digest>", user);
		return pop3_cmd(c, line, shown, CLIENT_EX_NOPERM, NULL, NULL);
	}
	snprintf(line, sizeof(line), "USER %s", user);
	if (pop3_cmd(c, line, NULL, CLIENT_EX_NOPERM, NULL, NULL) < 0)
		return -1;
	if (strlen(c->opt->password) + 6 > sizeof(line))
		return client_fail(c, CLIENT_EX_USAGE, "password too long");
	snprintf(line, sizeof(line), "PASS %s", c->opt->password);
	return pop3_cmd(c, line, "PASS ****", CLIENT_EX_NOPERM, NULL, NULL);
}

/* RFC 1939 §5: LIST gives "msg size" lines, ended by ".".  Fills *NUMS
 * with the message numbers, each at most COUNT (from STAT). */
static int
pop3_list(struct client *c, unsigned long long count,
    unsigned long **nums, size_t *nnums)
{
	unsigned long long num, size;
	const char *line, *sp;
	size_t len;

	if (pop3_cmd(c, "LIST", NULL, CLIENT_EX_PROTOCOL, NULL, NULL) < 0)
		return -1;
	*nums = calloc(count > 0 ? count : 1, sizeof(**nums));
	if (*nums == NULL)
		return client_fail(c, CLIENT_EX_PROTOCOL, "out of memory for "
		    "%llu messages", count);
	*nnums = 0;
	c->waiting = "the LIST listing";
	for (;;) {
		if (client_data_line(c, &line, &len) < 0)
			return -1;
		if (len == 1 && line[0] == '.')
			break;
		sp = memchr(line, ' ', len);
		if (sp == NULL ||
		    client_parse_count(line, (size_t)(sp - line), count,
		    &num) < 0 || num == 0 ||
		    client_parse_count(sp + 1, len - (size_t)(sp - line) - 1,
		    CLIENT_MAX_OCTETS, &size) < 0)
			return client_fail(c, CLIENT_EX_PROTOCOL, "bad LIST "
			    "line '%.*s' (want 'msg size', msg <= %llu, size "
			    "<= %lu)", (int)(len > 80 ? 80 : len), line,
			    count, CLIENT_MAX_OCTETS);
		if (*nnums >= count)
			return client_fail(c, CLIENT_EX_PROTOCOL, "LIST names "
			    "more messages than STAT's %llu", count);
		if (*nnums > 0 && num <= (*nums)[*nnums - 1])
			return client_fail(c, CLIENT_EX_PROTOCOL, "LIST is not "
			    "in ascending order at message %llu", num);
		(*nums)[(*nnums)++] = (unsigned long)num;
		client_trace(c, 'S', line, len);
	}
	client_trace(c, 'S', ".", 1);
	return 0;
}

/* RETR one message into its output; RFC 1939 §3: un-stuff a leading dot,
 * stop at the line that is only ".". */
static int
pop3_retr(struct client *c, unsigned long num)
{
	char cmd[64], name[32];
	const char *line;
	size_t len;
	unsigned long long total = 0;

	snprintf(cmd, sizeof(cmd), "RETR %lu", num);
	snprintf(name, sizeof(name), "%lu", num);
	if (pop3_cmd(c, cmd, NULL, CLIENT_EX_PROTOCOL, NULL, NULL) < 0 ||
	    client_out_open(c, name) < 0)
		return -1;
	c->waiting = "the message data";
	for (;;) {
		if (client_data_line(c, &line, &len) < 0)
			return -1;
		if (len == 1 && line[0] == '.')
			break;
		if (len > 0 && line[0] == '.') {
			line++;
			len--;
		}
		total += len + 2;
		if (total > CLIENT_MAX_OCTETS)
			return client_fail(c, CLIENT_EX_PROTOCOL, "message %lu "
			    "is over %lu octets: refused", num,
			    CLIENT_MAX_OCTETS);
		if (client_out_write(c, line, len) < 0 ||
		    client_out_write(c, "\r\n", 2) < 0)
			return -1;
	}
	client_trace_octets(c, total);
	client_trace(c, 'S', ".", 1);
	return client_out_close(c);
}

int
client_pop3_run(struct client *c)
{
	unsigned long long count, size;
	unsigned long *nums = NULL;
	const char *r, *sp;
	char greet[CLIENT_REPLY_MAX], cmd[64];
	size_t n, nnums = 0, i;
	int rc = -1;

	c->bulk = 1;	/* every POP3 reply is lines */
	if (client_reply(c, "the greeting", &r, &n) < 0)
		return -1;
	if (!pop3_ok(r, n))
		return client_fail(c, CLIENT_EX_PROTOCOL, "not a POP3 "
		    "greeting: '%.*s'", (int)(n > 200 ? 200 : n), r);
	memcpy(greet, r, n);
	if (pop3_login(c, greet, n) < 0)
		return -1;
	/* RFC 1939 §5: "+OK nn mm". */
	if (pop3_cmd(c, "STAT", NULL, CLIENT_EX_PROTOCOL, &r, &n) < 0)
		return -1;
	sp = n > 4 ? memchr(r + 4, ' ', n - 4) : NULL;
	if (n < 5 || r[3] != ' ' || sp == NULL ||
	    client_parse_count(r + 4, (size_t)(sp - r - 4), CLIENT_MAX_MSGS,
	    &count) < 0 ||
	    client_parse_count(sp + 1, n - (size_t)(sp - r) - 1, ~0ULL,
	    &size) < 0)
		return client_fail(c, CLIENT_EX_PROTOCOL, "bad STAT reply "
		    "(want '+OK count size', count <= %lu)", CLIENT_MAX_MSGS);
	if (pop3_list(c, count, &nums, &nnums) < 0)
		goto out;
	for (i = 0; i < nnums; i++) {
		if (pop3_retr(c, nums[i]) < 0)
			goto out;
		if (c->opt->delete) {
			snprintf(cmd, sizeof(cmd), "DELE %lu", nums[i]);
			if (pop3_cmd(c, cmd, NULL, CLIENT_EX_PROTOCOL, NULL,
			    NULL) < 0)
				goto out;
		}
	}
	/* RFC 1939 §6: only QUIT enters UPDATE; -ERR there means some
	 * deletions did not happen. */
	rc = pop3_cmd(c, "QUIT", NULL, CLIENT_EX_PROTOCOL, NULL, NULL);
out:
	free(nums);
	return rc;
}
