/*
 * test_pop3_ext.c - Check tests for the extensions of the current POP3
 * profile: CAPA (RFC 2449), AUTH (RFC 5034) with the stand-in core's
 * SASL exchange, STLS (RFC 2595 §4), UTF8 and LANG (RFC 6856) with the
 * message catalog, EXPIRE and LOGIN-DELAY (RFC 2449 §6.5, §6.7, §8.1.1)
 * and the historic profiles' refusal of all of it.
 *
 * Mailboxes are real Maildirs in a mkdtemp() directory and logins go
 * through the real auth layer (testenv.c); the core is testcore.c, whose
 * SASL stand-in decodes PLAIN and LOGIN for real.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msgfilter.h"
#include "pop3.h"
#include "pop3_int.h"
#include "proto_parse.h"
#include "testcore.h"
#include "testenv.h"

static struct testenv env;
static struct session *s;

/* "\0mrose\0tanstaaf" and "\0mrose\0wrong" (RFC 4616), "mrose" and
 * "tanstaaf" for LOGIN. */
#define PLAIN_OK	"AG1yb3NlAHRhbnN0YWFm"
#define PLAIN_BAD	"AG1yb3NlAHdyb25n"
#define B64_USER	"bXJvc2U="
#define B64_PASS	"dGFuc3RhYWY="
#define LOGGED_IN	"+OK Logged in. 2 messages (300 octets).\r\n"
#define AUTHFAIL	"-ERR [AUTH] Authentication failed.\r\n"

static void
setup(void)
{
	testenv_init(&env, STORE_MAILDIR);
	testenv_deliver_std(&env, TESTENV_USER, 2);
	s = testcore_new(&env.loc, env.db, &pop3_ops);
	s->inbox_only = 1;
	memset(testcore_arrival, 0, sizeof(testcore_arrival));
	pop3_tr_misses = 0;
}

static void
teardown(void)
{
	if (s != NULL) {
		pop3_ops.close(s);
		testcore_free(s);
		s = NULL;
	}
	testenv_fini(&env);
}

static void
start(void)
{
	ck_assert_int_eq(testcore_start(s), 0);
	testcore_clear(s);
}

/* Send C and expect exactly WANT. */
static void
say(const char *c, const char *want)
{
	testcore_clear(s);
	testcore_line(s, c);
	ck_assert_msg(strcmp(testcore_output(s), want) == 0,
	    "\"%s\":\n got: \"%s\"\nwant: \"%s\"", c, testcore_output(s),
	    want);
}

static void
login(void)
{
	say("USER mrose", "+OK Send your password.\r\n");
	say("PASS tanstaaf", LOGGED_IN);
}

/* --- CAPA (RFC 2449 §5, §6) ------------------------------------------ */

static void
capa_expect(const char *middle, const char *tail)
{
	char want[1024];

	snprintf(want, sizeof(want), "+OK Capability list follows\r\n"
	    "TOP\r\n%sRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n%s"
	    "UIDL\r\nIMPLEMENTATION polypop-%s\r\n%sUTF8 USER\r\nLANG\r\n"
	    ".\r\n", middle, tail, pop3_version(), "");
	say("CAPA", want);
}

START_TEST(test_capa_default)
{
	start();
	capa_expect("USER\r\nSASL PLAIN LOGIN\r\n", "EXPIRE NEVER\r\n");
	/* RFC 2449 §5: what AUTHORIZATION announces, TRANSACTION does. */
	login();
	capa_expect("USER\r\nSASL PLAIN LOGIN\r\n", "EXPIRE NEVER\r\n");
	ck_assert_str_eq(pop3_version(), "0.1.0");
}
END_TEST

START_TEST(test_capa_policy)
{
	char want[1024];

	s->expire_days = 0;
	s->login_delay = 900;
	s->sasl_mechs = "SCRAM-SHA-256 CRAM-MD5";
	start();
	capa_expect("USER\r\nSASL SCRAM-SHA-256 CRAM-MD5\r\n",
	    "EXPIRE 0\r\nLOGIN-DELAY 900\r\n");
	s->expire_days = 30;
	s->login_delay = 0;
	s->sasl_mechs = "";
	capa_expect("USER\r\n", "EXPIRE 30\r\n");
	(void)want;
}
END_TEST

/* STLS only in AUTHORIZATION, only with a certificate, only before TLS;
 * USER and PLAIN/LOGIN not while plaintext is refused. */
START_TEST(test_capa_tls)
{
	char want[1024];

	s->tls_cert = 1;
	s->plaintext_tls_only = 1;
	start();
	snprintf(want, sizeof(want), "+OK Capability list follows\r\n"
	    "TOP\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n"
	    "EXPIRE NEVER\r\nUIDL\r\nIMPLEMENTATION polypop-%s\r\nSTLS\r\n"
	    "UTF8 USER\r\nLANG\r\n.\r\n", pop3_version());
	say("CAPA", want);
	say("STLS", "+OK Begin TLS negotiation\r\n");
	ck_assert_uint_eq(s->starttls, 1);
	ck_assert(s->tls_active);
	capa_expect("USER\r\nSASL PLAIN LOGIN\r\n", "EXPIRE NEVER\r\n");
	login();
	capa_expect("USER\r\nSASL PLAIN LOGIN\r\n", "EXPIRE NEVER\r\n");
}
END_TEST

START_TEST(test_capa_transaction_no_stls)
{
	s->tls_cert = 1;
	start();
	login();
	capa_expect("USER\r\nSASL PLAIN LOGIN\r\n", "EXPIRE NEVER\r\n");
	say("STLS", "-ERR Already logged in: STLS is only valid in the "
	    "AUTHORIZATION state.\r\n");
	ck_assert_uint_eq(s->starttls, 0);
}
END_TEST

/* --- AUTH (RFC 5034 §4) ------------------------------------------------ */

START_TEST(test_auth_list)
{
	start();
	say("AUTH", "+OK Supported authentication mechanisms follow.\r\n"
	    "PLAIN\r\nLOGIN\r\n.\r\n");
	s->sasl_mechs = "";
	say("AUTH", "+OK Supported authentication mechanisms follow.\r\n"
	    ".\r\n");
	ck_assert_uint_eq(s->sasl_starts, 0);
}
END_TEST

START_TEST(test_auth_plain_initial)
{
	start();
	say("AUTH PLAIN " PLAIN_OK, LOGGED_IN);
	ck_assert_str_eq(s->state, "TRANSACTION");
	ck_assert_str_eq(s->sasl_last_in, PLAIN_OK);
	ck_assert_uint_eq(s->opens, 1);
	/* RFC 5034 §4: no AUTH after a successful one. */
	say("AUTH PLAIN " PLAIN_OK, "-ERR Already logged in: AUTH is only "
	    "valid in the AUTHORIZATION state.\r\n");
	say("QUIT", "+OK polypop signing off (2 messages left).\r\n");
}
END_TEST

START_TEST(test_auth_plain_empty_challenge)
{
	start();
	/* RFC 5034 §4: no initial response: "+" and one space. */
	say("auth plain", "+ \r\n");
	ck_assert_str_eq(s->sasl_last_in, "(none)");
	say(PLAIN_OK, LOGGED_IN);
	ck_assert_uint_eq(s->sasl_steps, 1);
}
END_TEST

START_TEST(test_auth_login_and_fail)
{
	start();
	say("AUTH LOGIN", "+ VXNlcm5hbWU6\r\n");
	say(B64_USER, "+ UGFzc3dvcmQ6\r\n");
	/* The response line is a response, not a command. */
	ck_assert_str_eq(s->sasl_last_in, B64_USER);
	say("cXVpdA==", AUTHFAIL);
	ck_assert_str_eq(s->state, "AUTHORIZATION");
	/* RFC 5034 §4: after a failure, "as if the client had not issued
	 * the AUTH command": another try works. */
	say("AUTH PLAIN " PLAIN_BAD, AUTHFAIL);
	say("AUTH PLAIN " PLAIN_BAD, AUTHFAIL
	    "-ERR Too many failed logins, closing connection.\r\n");
	ck_assert(s->closed);
}
END_TEST

START_TEST(test_auth_cancel_and_bad_base64)
{
	start();
	say("AUTH PLAIN", "+ \r\n");
	say("*", "-ERR Authentication cancelled.\r\n");
	ck_assert_uint_eq(s->sasl_aborts, 1);
	/* Lines are commands again. */
	say("NOOP", "-ERR Log in first: NOOP is only valid in the "
	    "TRANSACTION state.\r\n");
	say("AUTH PLAIN", "+ \r\n");
	say("=AAA", "-ERR Invalid base64 data, authentication "
	    "cancelled.\r\n");
	say("AUTH PLAIN AAA=BBBB", "-ERR Invalid base64 data, "
	    "authentication cancelled.\r\n");
	say("AUTH X-UNKNOWN", "-ERR Unsupported authentication mechanism. "
	    "Send AUTH for the list.\r\n");
	login();
}
END_TEST

START_TEST(test_auth_final_data)
{
	start();
	/* SCRAM's server-final message comes as a challenge (RFC 5034 §4:
	 * no additional data with success); the empty response ends it. */
	s->sasl_final = "dj1yZk5QWT0=";
	say("AUTH PLAIN " PLAIN_OK, "+ dj1yZk5QWT0=\r\n");
	ck_assert_str_eq(s->state, "AUTHORIZATION");
	say("", LOGGED_IN);
	ck_assert_str_eq(s->state, "TRANSACTION");
}
END_TEST

START_TEST(test_auth_overflow)
{
	start();
	say("AUTH PLAIN", "+ \r\n");
	testcore_clear(s);
	pop3_ops.overflow(s);
	ck_assert_str_eq(testcore_output(s), "-ERR Response line too long, "
	    "authentication cancelled.\r\n");
	ck_assert_uint_eq(s->sasl_aborts, 1);
	say("AUTH PLAIN " PLAIN_OK, LOGGED_IN);
}
END_TEST

START_TEST(test_auth_long_response)
{
	char line[2100];

	start();
	/* Commands stay limited to 255 octets (RFC 2449 §4), but while a
	 * response is awaited the module asks the core for longer lines:
	 * RFC 5034 §4, "these BASE64 strings may be of arbitrary length".
	 * A 2,000-octet response reaches the mechanism whole. */
	ck_assert_uint_eq(s->line_max, 0);
	say("AUTH PLAIN", "+ \r\n");
	ck_assert_uint_eq(s->line_max, SESSION_LINE_MAX);
	memset(line, 'A', 2000);
	line[2000] = '\0';
	testcore_clear(s);
	testcore_line(s, line);
	ck_assert_uint_eq(strlen(s->sasl_last_in), 2000);
	/* The exchange is over: lines are commands again, 255 at most. */
	ck_assert_uint_eq(s->line_max, 0);
	say("AUTH PLAIN", "+ \r\n");
	say("*", "-ERR Authentication cancelled.\r\n");
	ck_assert_uint_eq(s->line_max, 0);
}
END_TEST

START_TEST(test_auth_delay_and_temp)
{
	start();
	s->login_delay = 60;
	s->delay_next = 1;
	say("AUTH PLAIN " PLAIN_OK, "-ERR [LOGIN-DELAY] Logged in too "
	    "recently: wait 60 seconds between logins.\r\n");
	s->delay_next = 1;
	say("USER mrose", "+OK Send your password.\r\n");
	say("PASS tanstaaf", "-ERR [LOGIN-DELAY] Logged in too recently: "
	    "wait 60 seconds between logins.\r\n");
	s->delay_next = 1;
	say("APOP mrose " TESTENV_APOP_DIGEST, "-ERR [LOGIN-DELAY] Logged in "
	    "too recently: wait 60 seconds between logins.\r\n");
	/* A delay is not a failed login: no closing after three. */
	ck_assert(!s->closed);
	s->auth_fault = 1;
	say("AUTH PLAIN " PLAIN_OK, "-ERR [SYS/TEMP] Authentication is "
	    "temporarily unavailable, try again later.\r\n");
	say("AUTH PLAIN " PLAIN_OK, LOGGED_IN);
}
END_TEST

/* Traces never show SASL data (proto_ops.trace_keep). */
START_TEST(test_auth_trace_mask)
{
	const char *l;

	start();
	l = "AUTH PLAIN " PLAIN_OK;
	ck_assert_uint_eq(pop3_ops.trace_keep(s, l, strlen(l)), 11);
	l = "AUTH PLAIN";
	ck_assert_uint_eq(pop3_ops.trace_keep(s, l, strlen(l)), strlen(l));
	say("AUTH LOGIN", "+ VXNlcm5hbWU6\r\n");
	l = B64_USER;
	ck_assert_uint_eq(pop3_ops.trace_keep(s, l, strlen(l)), 0);
	l = "USER secret";
	ck_assert_uint_eq(pop3_ops.trace_keep(s, l, strlen(l)), 0);
	ck_assert_uint_eq(pop3_ops.trace_keep(s, "*", 1), 1);
	say("*", "-ERR Authentication cancelled.\r\n");
	l = "STAT";
	ck_assert_uint_eq(pop3_ops.trace_keep(s, l, strlen(l)), 4);
}
END_TEST

/* --- STLS (RFC 2595 §4) and plaintext-auth=tls ------------------------- */

START_TEST(test_stls_unavailable)
{
	start();
	say("STLS", "-ERR TLS is not available: the server has no "
	    "certificate.\r\n");
	ck_assert_uint_eq(s->starttls, 0);
	say("STLS x", "-ERR Too many arguments. Usage: STLS\r\n");
}
END_TEST

START_TEST(test_stls_forgets)
{
	s->tls_cert = 1;
	start();
	say("LANG de", "+OK de Sprache geändert.\r\n");
	say("USER mrose", "+OK Bitte das Passwort senden.\r\n");
	say("STLS", "+OK TLS-Aushandlung beginnt\r\n");
	ck_assert_str_eq(s->state, "AUTHORIZATION");
	/* RFC 2595 §4: what came before is forgotten: the USER, and the
	 * language. */
	say("PASS tanstaaf", "-ERR PASS must come right after a successful "
	    "USER.\r\n");
	say("STLS", "-ERR Command not permitted when TLS active\r\n");
	login();
}
END_TEST

START_TEST(test_plaintext_refused)
{
	s->tls_cert = 1;
	s->plaintext_tls_only = 1;
	start();
	say("USER mrose", "-ERR [AUTH] Plaintext passwords are refused on "
	    "this connection: send STLS first, or use AUTH.\r\n");
	say("PASS tanstaaf", "-ERR PASS must come right after a successful "
	    "USER.\r\n");
	say("AUTH", "+OK Supported authentication mechanisms follow.\r\n"
	    ".\r\n");
	say("AUTH PLAIN " PLAIN_OK, "-ERR Unsupported authentication "
	    "mechanism. Send AUTH for the list.\r\n");
	say("STLS", "+OK Begin TLS negotiation\r\n");
	say("AUTH PLAIN " PLAIN_OK, LOGGED_IN);
}
END_TEST

/* --- UTF8 (RFC 6856 §2) -------------------------------------------------- */

START_TEST(test_utf8)
{
	s->tls_cert = 1;
	start();
	say("UTF8", "+OK UTF-8 mode enabled.\r\n");
	say("utf8", "+OK UTF-8 mode was already enabled.\r\n");
	/* §2.1: no STLS after UTF8, and CAPA no longer offers it. */
	say("STLS", "-ERR STLS is not permitted after UTF8.\r\n");
	capa_expect("USER\r\nSASL PLAIN LOGIN\r\n", "EXPIRE NEVER\r\n");
	say("UTF8 x", "-ERR Too many arguments. Usage: UTF8\r\n");
	/* §2.2: UTF-8 names are accepted, malformed ones refused. */
	say("USER j\xc3\xb6rg", "+OK Send your password.\r\n");
	say("PASS p\xc3\xa4ss", AUTHFAIL);
	ck_assert_str_eq(s->login_user, "j\xc3\xb6rg");
	ck_assert_str_eq(s->login_secret, "p\xc3\xa4ss");
	say("USER j\xf6rg", "-ERR User name is not valid UTF-8.\r\n");
	say("USER mrose", "+OK Send your password.\r\n");
	say("PASS \xc0\xaf", "-ERR Password is not valid UTF-8.\r\n");
	say("APOP j\xed\xa0\x80 x", "-ERR User name is not valid UTF-8.\r\n");
	login();
	say("UTF8", "-ERR Already logged in: UTF8 is only valid in the "
	    "AUTHORIZATION state.\r\n");
}
END_TEST

START_TEST(test_utf8_valid)
{
	static const struct {
		const char *p;
		int ok;
	} c[] = {
		{ "", 1 }, { "abc", 1 }, { "\xc3\xa4", 1 },
		{ "\xe2\x82\xac", 1 }, { "\xf0\x9f\x98\x80", 1 },
		{ "\xf4\x8f\xbf\xbf", 1 },
		{ "\xc3", 0 }, { "\xc0\x80", 0 }, { "\xe0\x80\xaf", 0 },
		{ "\xed\xa0\x80", 0 }, { "\xf4\x90\x80\x80", 0 },
		{ "\xf8\x88\x80\x80\x80", 0 }, { "\x80", 0 },
		{ "a\xe2\x82", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ck_assert_msg(pop3_utf8_valid(c[i].p, strlen(c[i].p)) ==
		    c[i].ok, "case %zu", i);
}
END_TEST

/* --- LANG (RFC 6856 §3) -------------------------------------------------- */

START_TEST(test_lang)
{
	start();
	say("LANG", "+OK Language listing follows:\r\nen English\r\n"
	    "de Deutsch\r\n.\r\n");
	say("LANG MUL", "-ERR Unknown language: MUL. Send LANG for the "
	    "list.\r\n");
	say("LANG de-AT", "+OK de Sprache geändert.\r\n");
	say("LANG uga", "-ERR Unbekannte Sprache: uga. LANG senden, um die "
	    "Liste zu erhalten.\r\n");
	say("LANG", "+OK Liste der Sprachen folgt:\r\nen English\r\n"
	    "de Deutsch\r\n.\r\n");
	say("NOOP", "-ERR Bitte zuerst anmelden: NOOP ist nur im Zustand "
	    "TRANSACTION gültig.\r\n");
	say("USER mrose", "+OK Bitte das Passwort senden.\r\n");
	say("PASS tanstaaf", "+OK Angemeldet. 2 Nachrichten (300 "
	    "Oktette).\r\n");
	say("DELE 1", "+OK Nachricht 1 gelöscht.\r\n");
	say("RETR 1", "-ERR Nachricht 1 ist gelöscht.\r\n");
	say("LIST 9", "-ERR Es gibt keine Nachricht 9.\r\n");
	say("TOP 2", "-ERR Argument fehlt. Aufruf: TOP msg n\r\n");
	say("RSET", "+OK Das Postfach enthält 2 Nachrichten (300 "
	    "Oktette).\r\n");
	say("CAPA x", "-ERR Zu viele Argumente. Aufruf: CAPA\r\n");
	say("LANG *", "+OK en Language changed.\r\n");
	say("NOOP", "+OK Nothing to do.\r\n");
	say("LANG DE", "+OK de Sprache geändert.\r\n");
	say("QUIT", "+OK polypop verabschiedet sich (2 Nachrichten "
	    "verbleiben).\r\n");
	ck_assert_uint_eq(pop3_tr_misses, 0);
}
END_TEST

START_TEST(test_lang_find)
{
	ck_assert_int_eq(pop3_lang_find("de", 2), POP3_LANG_DE);
	ck_assert_int_eq(pop3_lang_find("DE-ch-x-y", 9), POP3_LANG_DE);
	ck_assert_int_eq(pop3_lang_find("en-GB", 5), POP3_LANG_EN);
	ck_assert_int_eq(pop3_lang_find("*", 1), POP3_LANG_EN);
	ck_assert_int_eq(pop3_lang_find("d", 1), -1);
	ck_assert_int_eq(pop3_lang_find("deu", 3), -1);
	ck_assert_int_eq(pop3_lang_find("-", 1), -1);
	ck_assert_int_eq(pop3_lang_find("", 0), -1);
}
END_TEST

/* --- the catalog is complete --------------------------------------------- */

/* The conversions of a printf format, in order ("%zu%llu"). */
static void
conversions(const char *f, char *out, size_t size)
{
	size_t o = 0;

	for (; *f != '\0'; f++) {
		if (*f != '%')
			continue;
		f++;
		while (*f != '\0' && strchr("-+ #0123456789.*hlzjt", *f) &&
		    o + 2 < size)
			out[o++] = *f++;
		if (*f == '\0')
			break;
		if (o + 2 < size)
			out[o++] = *f;
	}
	out[o] = '\0';
}

START_TEST(test_catalog_formats)
{
	char a[64], b[64];
	size_t i, j;

	ck_assert_uint_gt(pop3_ntexts, 50);
	for (i = 0; i < pop3_ntexts; i++) {
		ck_assert_ptr_nonnull(pop3_texts[i].en);
		ck_assert_msg(pop3_texts[i].de != NULL &&
		    pop3_texts[i].de[0] != '\0', "no German for \"%s\"",
		    pop3_texts[i].en);
		/* The German text is used as the format for the English
		 * one's arguments: the same conversions, in order. */
		conversions(pop3_texts[i].en, a, sizeof(a));
		conversions(pop3_texts[i].de, b, sizeof(b));
		ck_assert_msg(strcmp(a, b) == 0, "\"%s\": %s vs %s",
		    pop3_texts[i].en, a, b);
		ck_assert(pop3_utf8_valid(pop3_texts[i].de,
		    strlen(pop3_texts[i].de)));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(pop3_texts[i].en, pop3_texts[j].en);
	}
	/* Texts that come from outside the module. */
	for (i = 0; i <= 3; i++) {
		int usage;
		const char *m = proto_args_problem(
		    i == 0 ? PROTO_PARSE_CHAR : i == 1 ? PROTO_PARSE_SPACE :
		    PROTO_PARSE_OK, i == 2 ? 0 : 3, 1, 2, &usage);

		ck_assert_ptr_nonnull(m);
		ck_assert_str_ne(pop3_text_in(POP3_LANG_DE, m), m);
	}
	for (i = 0; i <= 12; i++) {
		const char *m = store_strerror(-(int)i);

		ck_assert_str_ne(pop3_text_in(POP3_LANG_DE, m), m);
	}
	ck_assert_uint_eq(pop3_tr_misses, 0);
	ck_assert_str_eq(pop3_text_in(POP3_LANG_DE, "no such text"),
	    "no such text");
	ck_assert_uint_eq(pop3_tr_misses, 1);
}
END_TEST

/* Read a C string literal at P (after its opening quote) into OUT;
 * returns the position after the closing quote. */
static const char *
literal(const char *p, char *out, size_t *o, size_t size)
{
	while (*p != '\0' && *p != '"') {
		char c = *p++;

		if (c == '\\') {
			c = *p++;
			if (c == 'r')
				c = '\r';
			else if (c == 'n')
				c = '\n';
		}
		if (*o + 1 < size)
			out[(*o)++] = c;
	}
	return *p == '"' ? p + 1 : p;
}

/*
 * Every text the sources hand to the catalog has a German entry: each
 * call of the reply functions whose text argument is a literal, in every
 * file of protocols/pop3/.  TEXTARG is the 1-based argument holding it.
 */
static const struct {
	const char *fn;
	int textarg;
} callers[] = {
	{ "pop3_tr(", 2 }, { "pop3_ok(", 2 }, { "pop3_err(", 3 },
	{ "pop3_store_error(", 3 },
};

static size_t
scan_file(const char *path)
{
	char *src, key[1024];
	const char *p, *q;
	size_t len, k, o, found = 0;
	FILE *f;
	int arg, depth;

	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	src = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(src);
	len = fread(src, 1, (1 << 20) - 1, f);
	fclose(f);
	src[len] = '\0';
	for (k = 0; k < sizeof(callers) / sizeof(callers[0]); k++) {
		for (p = src; (p = strstr(p, callers[k].fn)) != NULL; p++) {
			/* Not a declaration or definition: those follow a
			 * type at the start of a line. */
			if (p > src && (p[-1] == '\n' || p[-1] == '_'))
				continue;
			q = p + strlen(callers[k].fn);
			arg = 1;
			depth = 0;
			o = 0;
			while (*q != '\0' && !(depth == 0 && *q == ')')) {
				if (*q == '(')
					depth++;
				else if (*q == ')')
					depth--;
				else if (*q == ',' && depth == 0)
					arg++;
				else if (*q == '"' && arg == callers[k].textarg &&
				    depth == 0) {
					q = literal(q + 1, key, &o,
					    sizeof(key));
					continue;
				} else if (*q == '"') {
					size_t skip = 0;
					char tmp[1024];

					q = literal(q + 1, tmp, &skip,
					    sizeof(tmp));
					continue;
				}
				q++;
			}
			if (o == 0)
				continue;	/* not a literal */
			key[o] = '\0';
			found++;
			ck_assert_msg(strcmp(pop3_text_in(POP3_LANG_DE, key),
			    key) != 0 || strcmp(key, "%s: %s.") == 0 ||
			    strcmp(key, "%s") == 0,
			    "%s: no German text for \"%s\"", path, key);
		}
	}
	free(src);
	return found;
}

START_TEST(test_catalog_covers_sources)
{
	char path[4096];
	struct dirent *de;
	size_t n = 0, len;
	DIR *d;

	d = opendir(POP3_SRCDIR);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 3 || strcmp(de->d_name + len - 2, ".c") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", POP3_SRCDIR, de->d_name);
		n += scan_file(path);
	}
	closedir(d);
	/* The scan found the texts (a broken scanner cannot pass). */
	ck_assert_uint_gt(n, 60);
}
END_TEST

/* --- EXPIRE at QUIT (RFC 2449 §6.7) --------------------------------------- */

START_TEST(test_expire_never)
{
	start();
	login();
	say("RETR 1", "+OK 100 octets\r\n"
	    "From: Marshall Rose <mrose@dbc.mtview.ca.us>\r\n"
	    "Subject: one\r\n\r\n" TESTENV_MSG1_STUFFED ".\r\n");
	say("QUIT", "+OK polypop signing off (2 messages left).\r\n");
	ck_assert_uint_eq(s->commits, 1);
}
END_TEST

START_TEST(test_expire_zero)
{
	struct store *st;

	s->expire_days = 0;
	start();
	login();
	say("TOP 2 0", "+OK Top of message follows.\r\n"
	    TESTENV_MSG2_HEAD ".\r\n");
	testcore_clear(s);
	testcore_line(s, "RETR 1");
	/* RETR counts, TOP does not. */
	say("QUIT", "+OK polypop signing off (1 message left).\r\n");
	ck_assert_int_eq(testenv_open(&env, TESTENV_USER, &st), 0);
	ck_assert_uint_eq(store_count(st), 1);
	ck_assert_uint_eq(store_size(st, 0), 200);
	store_close(st);
}
END_TEST

START_TEST(test_expire_zero_no_quit)
{
	struct store *st;

	s->expire_days = 0;
	start();
	login();
	testcore_line(s, "RETR 1");
	/* No QUIT, no UPDATE: nothing is removed (RFC 1939 §6). */
	pop3_ops.close(s);
	testcore_free(s);
	s = NULL;
	ck_assert_int_eq(testenv_open(&env, TESTENV_USER, &st), 0);
	ck_assert_uint_eq(store_count(st), 2);
	store_close(st);
}
END_TEST

/* Set every file of the INBOX Maildir to WHEN (what delivery set). */
static void
age_inbox(time_t when)
{
	static const char *const sub[] = { "new", "cur" };
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct timeval tv[2];
	struct dirent *de;
	size_t i;
	DIR *d;

	tv[0].tv_sec = tv[1].tv_sec = when;
	tv[0].tv_usec = tv[1].tv_usec = 0;
	for (i = 0; i < 2; i++) {
		testenv_inbox_path(&env, TESTENV_USER, dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", dir, sub[i],
			    de->d_name);
			ck_assert_int_eq(utimes(path, tv), 0);
		}
		closedir(d);
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
	}
}

START_TEST(test_expire_days)
{
	static const char old[] = "Subject: old\r\n\r\nold\r\n";
	static const char mid[] = "Subject: mid\r\n\r\nmid\r\n";
	struct store *st;
	time_t now = time(NULL);

	/* A maildrop of its own: the old message first, aged on disk. */
	testenv_fini(&env);
	testenv_init(&env, STORE_MAILDIR);
	testenv_deliver(&env, TESTENV_USER, old, sizeof(old) - 1);
	age_inbox(now - 40 * 86400L);
	testenv_deliver(&env, TESTENV_USER, mid, sizeof(mid) - 1);
	testenv_deliver(&env, TESTENV_USER, mid, sizeof(mid) - 1);
	testcore_free(s);
	s = testcore_new(&env.loc, env.db, &pop3_ops);
	s->inbox_only = 1;
	testcore_arrival[0] = now - 40 * 86400L;
	testcore_arrival[1] = now - 29 * 86400L;
	testcore_arrival[2] = 0;		/* unknown: never expires */
	s->expire_days = 30;
	start();
	say("USER mrose", "+OK Send your password.\r\n");
	testcore_line(s, "PASS tanstaaf");
	ck_assert_str_eq(s->state, "TRANSACTION");
	say("QUIT", "+OK polypop signing off (2 messages left).\r\n");
	ck_assert_int_eq(testenv_open(&env, TESTENV_USER, &st), 0);
	ck_assert_uint_eq(store_count(st), 2);
	store_close(st);
}
END_TEST

/* --- RFC 6856 §2.1: UTF-8 header fields need UTF-8 mode ----------------- */

#define U8_HDR	"From: J\xc3\xbcrgen <juergen@example.org>\r\n" \
		"Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n\r\nbody\r\n"
#define U8_BODY	"Subject: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9f" "e\r\n"
#define U8_ASCII "Subject: plain\r\n\r\nplain\r\n"
#define U8_REFUSED "-ERR [UTF8] Message header holds UTF-8: send UTF8 " \
		"first to read it.\r\n"

static void
utf8_drop(const char *profile)
{
	static const char *const m[] = { U8_HDR, U8_BODY, U8_ASCII };
	size_t i;

	testenv_fini(&env);
	testenv_init(&env, STORE_MAILDIR);
	for (i = 0; i < 3; i++)
		testenv_deliver(&env, TESTENV_USER, m[i], strlen(m[i]));
	testcore_free(s);
	s = testcore_new(&env.loc, env.db, &pop3_ops);
	s->inbox_only = 1;
	if (profile != NULL)
		snprintf(s->profile, sizeof(s->profile), "%s", profile);
}

static void
utf8_login(void)
{
	say("USER mrose", "+OK Send your password.\r\n");
	testcore_line(s, "PASS tanstaaf");
	ck_assert_str_eq(s->state, "TRANSACTION");
}

static void
say_msg(const char *c, const char *pre, const char *msg)
{
	char want[256];

	snprintf(want, sizeof(want), "%s%s.\r\n", pre, msg);
	say(c, want);
}

START_TEST(test_utf8_header_refused)
{
	char pre[64];

	utf8_drop(NULL);
	start();
	utf8_login();
	say("RETR 1", U8_REFUSED);
	ck_assert(s->opts.refuse_8bit_header);
	say("TOP 1 0", U8_REFUSED);
	/* Only the header section counts: an 8-bit body is sent. */
	snprintf(pre, sizeof(pre), "+OK %zu octets\r\n", strlen(U8_BODY));
	say_msg("RETR 2", pre, U8_BODY);
	snprintf(pre, sizeof(pre), "+OK %zu octets\r\n", strlen(U8_ASCII));
	say_msg("RETR 3", pre, U8_ASCII);
	/* LIST keeps the real size. */
	snprintf(pre, sizeof(pre), "+OK 1 %zu\r\n", strlen(U8_HDR));
	say("LIST 1", pre);
	say("QUIT", "+OK polypop signing off (3 messages left).\r\n");
}
END_TEST

START_TEST(test_utf8_header_utf8_mode)
{
	char pre[64];

	utf8_drop(NULL);
	start();
	say("UTF8", "+OK UTF-8 mode enabled.\r\n");
	utf8_login();
	snprintf(pre, sizeof(pre), "+OK %zu octets\r\n", strlen(U8_HDR));
	say_msg("RETR 1", pre, U8_HDR);
	ck_assert(!s->opts.refuse_8bit_header);
	say_msg("TOP 1 0", "+OK Top of message follows.\r\n",
	    "From: J\xc3\xbcrgen <juergen@example.org>\r\n"
	    "Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n\r\n");
}
END_TEST

/* The historic profiles have no UTF8 and send the message as before. */
START_TEST(test_utf8_header_historic)
{
	utf8_drop(pop3_profile_names[_i]);
	start();
	utf8_login();
	testcore_clear(s);
	testcore_line(s, "RETR 1");
	ck_assert(!s->opts.refuse_8bit_header);
	ck_assert_msg(strncmp(testcore_output(s), "+OK", 3) == 0, "%s",
	    testcore_output(s));
	ck_assert(strstr(testcore_output(s), U8_HDR) != NULL);
}
END_TEST

/* The scan itself: where the header ends, and its bound. */
START_TEST(test_msghdr_scan)
{
	static const struct {
		const char *in;
		int want;
	} c[] = {
		{ "Subject: a\r\n\r\n\xc3\xa4\r\n", 0 },
		{ "Subject: \xc3\xa4\r\n\r\nx\r\n", 1 },
		{ "\r\n\xff\r\n", 0 },			/* empty header */
		{ "Subject: a\r\n", 0 },		/* no body at all */
		{ "Subject: a\r\nX: \xff", 1 },
		{ "Subject: a\r\n \r\n\xff\r\n", 1 },	/* " " is no blank */
		{ "Subject: a\n\n\xff\n", 0 },		/* bare LF */
	};
	struct msghdr_scan h;
	char line[80];
	size_t i, n;
	int r;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		/* One octet at a time: resumable anywhere. */
		msghdr_scan_init(&h);
		r = -1;
		for (n = 0; c[i].in[n] != '\0' && r < 0; n++)
			r = msghdr_scan_run(&h, c[i].in + n, 1);
		if (r < 0)
			r = msghdr_scan_finish(&h);
		ck_assert_msg(r == c[i].want, "case %zu", i);
	}
	/* A header section longer than the bound is refused unread. */
	memset(line, 'a', sizeof(line) - 2);
	line[sizeof(line) - 2] = '\r';
	line[sizeof(line) - 1] = '\n';
	msghdr_scan_init(&h);
	for (n = 0, r = -1; r < 0 && n <= MSGHDR_SCAN_MAX; n += sizeof(line))
		r = msghdr_scan_run(&h, line, sizeof(line));
	ck_assert_int_eq(r, 1);
	ck_assert_uint_le(h.seen, MSGHDR_SCAN_MAX + 1);
}
END_TEST

/* --- the historic profiles have none of it -------------------------------- */

START_TEST(test_historic_refuse)
{
	static const char *const cmds[] = {
		"CAPA", "AUTH", "AUTH PLAIN " PLAIN_OK, "STLS", "UTF8",
		"LANG", "LANG de",
	};
	char want[128], kw[8];
	size_t i;

	snprintf(s->profile, sizeof(s->profile), "%s",
	    pop3_profile_names[_i]);
	s->tls_cert = 1;
	start();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(kw, sizeof(kw), "%.4s", cmds[i]);
		snprintf(want, sizeof(want), "-ERR Unknown command: %s\r\n",
		    kw);
		say(cmds[i], want);
	}
	ck_assert_uint_eq(s->sasl_starts, 0);
	ck_assert_uint_eq(s->starttls, 0);
	/* Their USER is not refused, their PASS takes any octets. */
	s->plaintext_tls_only = 1;
	say("USER mrose", "+OK Send your password.\r\n");
}
END_TEST

static Suite *
ext_suite(void)
{
	Suite *su = suite_create("pop3_ext");
	TCase *tc = tcase_create("ext");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_capa_default);
	tcase_add_test(tc, test_capa_policy);
	tcase_add_test(tc, test_capa_tls);
	tcase_add_test(tc, test_capa_transaction_no_stls);
	tcase_add_test(tc, test_auth_list);
	tcase_add_test(tc, test_auth_plain_initial);
	tcase_add_test(tc, test_auth_plain_empty_challenge);
	tcase_add_test(tc, test_auth_login_and_fail);
	tcase_add_test(tc, test_auth_cancel_and_bad_base64);
	tcase_add_test(tc, test_auth_final_data);
	tcase_add_test(tc, test_auth_overflow);
	tcase_add_test(tc, test_auth_long_response);
	tcase_add_test(tc, test_auth_delay_and_temp);
	tcase_add_test(tc, test_auth_trace_mask);
	tcase_add_test(tc, test_stls_unavailable);
	tcase_add_test(tc, test_stls_forgets);
	tcase_add_test(tc, test_plaintext_refused);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_utf8_valid);
	tcase_add_test(tc, test_utf8_header_refused);
	tcase_add_test(tc, test_utf8_header_utf8_mode);
	tcase_add_test(tc, test_msghdr_scan);
	tcase_add_test(tc, test_lang);
	tcase_add_test(tc, test_lang_find);
	tcase_add_test(tc, test_catalog_formats);
	tcase_add_test(tc, test_catalog_covers_sources);
	tcase_add_test(tc, test_expire_never);
	tcase_add_test(tc, test_expire_zero);
	tcase_add_test(tc, test_expire_zero_no_quit);
	tcase_add_test(tc, test_expire_days);
	tcase_add_loop_test(tc, test_historic_refuse, 0, POP3_NPROFILES - 1);
	tcase_add_loop_test(tc, test_utf8_header_historic, 0,
	    POP3_NPROFILES - 1);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	SRunner *sr = srunner_create(ext_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
