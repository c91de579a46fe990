/*
 * test_sasl.c - the SASL engine (sasl.h) driven by GNU SASL's own client
 * in the same process, over every mechanism and stored-secret scheme;
 * Dovecot's secret formats against doveadm-made vectors; the
 * LOGIN-DELAY table.
 */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsasl.h>

#include "auth.h"
#include "login_delay.h"
#include "sasl.h"

/* `doveadm pw -s SCHEME -p secret` (Dovecot 2.3). */
static const char vec_scram256[] = "{SCRAM-SHA-256}4096,"
    "E1ybPQp+JtF+WC7wt3Liew==,9ZAFicSSGl6pzXNYuBhn/ePdUe0A/Y0vSXai9zuMfwg=,"
    "if+uWCJo2S7G0eXuC2GIHzNdvSikIxW5zKX6KDcDuRA=";
static const char vec_scram1[] = "{SCRAM-SHA-1}4096,ywtB9b3iGYNyYKY8vl0NBQ==,"
    "K6SkjvChYjyHIauiqqDN16gjir4=,zF/gK5Xs6+0lon9UQv4bvTZt40o=";
static const char vec_cram[] = "{CRAM-MD5}"
    "cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56";
/* openssl passwd -6 -salt saltsaltsalt secret */
static const char vec_crypt[] = "{SHA512-CRYPT}$6$saltsaltsalt$"
    "PMWE8DTlam1JU37Piyk43bHcMxTJq6sgu5DKB0/tGPjanN35jcY68QkpDfPFUGPWX5uCx"
    "IQkSPzMmqEiVNgts.";

static struct auth_user *
user_from(const char *name, const char *scheme_secret)
{
	struct auth_user	 u, *d;
	const char		*why;
	char			 line[512];
	int			 n;

	n = snprintf(line, sizeof(line), "%s:%s", name, scheme_secret);
	ck_assert_int_lt(n, (int)sizeof(line));
	ck_assert_msg(auth_passwd_parse_line(line, (size_t)n, &u, &why) == 1,
	    "cannot parse %s: %s", line, why);
	d = auth_user_dup(&u);
	ck_assert_ptr_nonnull(d);
	auth_user_clear(&u);
	return d;
}

/* --- the client side ----------------------------------------------------- */

struct client {
	const char	*authid, *authzid, *password;
};

static Gsasl *client_ctx;

static int
client_cb(Gsasl *ctx, Gsasl_session *gs, Gsasl_property p)
{
	struct client	*c = gsasl_session_hook_get(gs);

	(void)ctx;
	switch (p) {
	case GSASL_AUTHID:
		return gsasl_property_set(gs, p, c->authid);
	case GSASL_AUTHZID:
		if (c->authzid == NULL)
			return GSASL_NO_CALLBACK;
		return gsasl_property_set(gs, p, c->authzid);
	case GSASL_PASSWORD:
		return gsasl_property_set(gs, p, c->password);
	default:
		return GSASL_NO_CALLBACK;
	}
}

static void
client_setup(void)
{
	ck_assert_int_eq(gsasl_init(&client_ctx), GSASL_OK);
	gsasl_callback_set(client_ctx, client_cb);
	ck_assert_int_eq(sasl_init(), 0);
}

static void
client_teardown(void)
{
	gsasl_done(client_ctx);
}

/* The users the server knows: one, named "alice", stored as SECRET. */
struct world {
	const char	*secret;	/* NULL: no such user */
	int		 lookups;
	char		 authid[64];
	int		 final_data;	/* OK came with additional data */
	int		 steps;
};

/* Run a whole exchange; returns the engine's last result. */
static int
run(struct world *w, const char *mech, const struct client *c, int initial)
{
	struct sasl_exchange	*x;
	Gsasl_session		*cs;
	char			*in = NULL, *out = NULL;
	const char		*name;
	int			 m, rc, crc = GSASL_NEEDS_MORE, i;

	m = sasl_mech_find(mech);
	ck_assert_int_ge(m, 0);
	x = sasl_new(m);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(gsasl_client_start(client_ctx, mech, &cs), GSASL_OK);
	gsasl_session_hook_set(cs, (void *)c);
	if (initial && gsasl_client_support_p(client_ctx, mech) &&
	    strcmp(mech, "CRAM-MD5") != 0) {
		crc = gsasl_step64(cs, "", &in);
		ck_assert(crc == GSASL_OK || crc == GSASL_NEEDS_MORE);
		if (*in == '\0') {
			free(in);
			in = strdup("=");
		}
	}
	for (i = 0; i < 8; i++) {
		w->steps++;
		rc = sasl_input(x, in, i == 0);
		free(in);
		in = NULL;
		if (rc != SASL_CONTINUE)
			break;
		if ((name = sasl_user_wanted(x)) != NULL) {
			w->lookups++;
			sasl_set_user(x, w->secret != NULL &&
			    strcmp(name, "alice") == 0 ?
			    user_from("alice", w->secret) : NULL);
		}
		rc = sasl_step(x, &out);
		if (rc == SASL_OK) {
			snprintf(w->authid, sizeof(w->authid), "%s",
			    sasl_authid(x));
			if (out != NULL) {
				w->final_data = 1;
				/* The client must accept the server's
				 * final message (SCRAM: its signature). */
				crc = gsasl_step64(cs, out, &in);
				ck_assert_int_eq(crc, GSASL_OK);
				free(in);
				in = NULL;
			}
		}
		if (rc != SASL_CONTINUE)
			break;
		crc = gsasl_step64(cs, out, &in);
		free(out);
		out = NULL;
		if (crc != GSASL_OK && crc != GSASL_NEEDS_MORE) {
			/* A client that gives up sends garbage. */
			in = strdup("Kg==");
		}
	}
	free(out);
	free(in);
	gsasl_finish(cs);
	sasl_free(x);
	return rc;
}

static const struct client good = { "alice", NULL, "secret" };
static const struct client bad = { "alice", NULL, "wrong" };
static const struct client nobody = { "mallory", NULL, "secret" };
static const struct client asbob = { "alice", "bob", "secret" };

static const char *const mechs[] = {
	"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"
};

START_TEST(plain_secret_serves_all)
{
	struct world	 w = { "{PLAIN}secret", 0, "", 0, 0 };
	const char	*m = mechs[_i];

	ck_assert_int_eq(run(&w, m, &good, 0), SASL_OK);
	ck_assert_str_eq(w.authid, "alice");
	ck_assert_int_eq(w.lookups, 1);
	ck_assert_int_eq(w.final_data, strncmp(m, "SCRAM", 5) == 0);
	memset(&w, 0, sizeof(w));
	w.secret = "{PLAIN}secret";
	ck_assert_int_eq(run(&w, m, &good, 1), SASL_OK);
	memset(&w, 0, sizeof(w));
	w.secret = "{PLAIN}secret";
	ck_assert_int_eq(run(&w, m, &bad, 0), SASL_FAIL);
	ck_assert_int_eq(run(&w, m, &nobody, 0), SASL_FAIL);
	ck_assert_str_eq(w.authid, "");
}
END_TEST

/* Each stored scheme: the mechanisms it serves succeed with the right
 * password and fail with a wrong one; the others are ESCHEME. */
static const struct {
	const char	*secret;
	const char	*serves;	/* space-separated */
} scheme_cases[] = {
	{ vec_scram256,	"SCRAM-SHA-256 PLAIN LOGIN" },
	{ vec_scram1,	"SCRAM-SHA-1 PLAIN LOGIN" },
	{ vec_cram,	"CRAM-MD5 PLAIN LOGIN" },
	{ vec_crypt,	"PLAIN LOGIN" },
};

static int
word_in(const char *word, const char *list)
{
	size_t	 n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' ||
		    p[n] == '\0'))
			return 1;
	return 0;
}

START_TEST(stored_schemes)
{
	const char	*secret = scheme_cases[_i].secret;
	struct world	 w;
	size_t		 k;
	int		 want;

	for (k = 0; k < sizeof(mechs) / sizeof(mechs[0]); k++) {
		int serves = word_in(mechs[k], scheme_cases[_i].serves);

		memset(&w, 0, sizeof(w));
		w.secret = secret;
		want = serves ? SASL_OK : SASL_ESCHEME;
		ck_assert_msg(run(&w, mechs[k], &good, 0) == want,
		    "%s with %s: want %d", mechs[k], secret, want);
		if (serves)
			ck_assert_str_eq(w.authid, "alice");
		else
			ck_assert_str_eq(w.authid, "");
		ck_assert_int_eq(sasl_mech_allowed(sasl_mech_find(mechs[k]),
		    secret[1] == 'S' && secret[2] == 'H' ? "SHA512-CRYPT" :
		    strncmp(secret, "{SCRAM-SHA-256}", 15) == 0 ?
		    "SCRAM-SHA-256" : strncmp(secret, "{SCRAM-SHA-1}", 13) ==
		    0 ? "SCRAM-SHA-1" : "CRAM-MD5"), serves);
		memset(&w, 0, sizeof(w));
		w.secret = secret;
		want = serves ? SASL_FAIL : SASL_ESCHEME;
		ck_assert_msg(run(&w, mechs[k], &bad, 0) == want,
		    "%s with %s, wrong password: want %d", mechs[k], secret,
		    want);
	}
}
END_TEST

START_TEST(authzid_mismatch)
{
	struct world	 w = { "{PLAIN}secret", 0, "", 0, 0 };
	struct client	 self = { "alice", "alice", "secret" };
	const char	*m = mechs[_i];

	if (strcmp(m, "CRAM-MD5") == 0 || strcmp(m, "LOGIN") == 0)
		return;		/* these carry no authzid */
	ck_assert_int_eq(run(&w, m, &asbob, 0), SASL_FAIL);
	ck_assert_str_eq(w.authid, "");
	ck_assert_int_eq(run(&w, m, &self, 0), SASL_OK);
}
END_TEST

START_TEST(unknown_user_same_shape)
{
	struct world	 w1 = { "{PLAIN}secret", 0, "", 0, 0 };
	struct world	 w2 = { NULL, 0, "", 0, 0 };
	const char	*m = mechs[_i];

	/* An unknown user takes as many round trips as a wrong password
	 * and fails the same way. */
	ck_assert_int_eq(run(&w1, m, &bad, 0), SASL_FAIL);
	ck_assert_int_eq(run(&w2, m, &good, 0), SASL_FAIL);
	ck_assert_int_eq(w1.steps, w2.steps);
}
END_TEST

/* SCRAM's salt for an unknown user is stable, as a stored one is. */
START_TEST(scram_dummy_salt_stable)
{
	struct sasl_exchange	*x;
	char			*out1 = NULL, *out2 = NULL, *p1, *p2;
	int			 k;
	char			*outs[2];

	for (k = 0; k < 2; k++) {
		x = sasl_new(SASL_SCRAM_SHA_256);
		ck_assert_int_eq(sasl_input(x, "biwsbj1tYWxsb3J5LHI9YWJjZGVm", 1),
		    SASL_CONTINUE);	/* n,,n=mallory,r=abcdef */
		ck_assert_str_eq(sasl_user_wanted(x), "mallory");
		sasl_set_user(x, NULL);
		ck_assert_int_eq(sasl_step(x, &outs[k]), SASL_CONTINUE);
		sasl_free(x);
	}
	/* gsasl's decoded text is not NUL-terminated: copy it. */
	for (k = 0; k < 2; k++) {
		char *dec = NULL;
		size_t n = 0;

		ck_assert_int_eq(gsasl_base64_from(outs[k], strlen(outs[k]),
		    &dec, &n), GSASL_OK);
		*(k == 0 ? &out1 : &out2) = strndup(dec, n);
		gsasl_free(dec);
	}
	p1 = strstr(out1, ",s=");
	p2 = strstr(out2, ",s=");
	ck_assert_ptr_nonnull(p1);
	ck_assert_ptr_nonnull(p2);
	ck_assert_str_eq(p1, p2);	/* same salt and iteration count */
	ck_assert(strstr(out1, ",i=4096") != NULL);
	free(out1);
	free(out2);
	free(outs[0]);
	free(outs[1]);
}
END_TEST

/* Exchanges for different sessions run on different threads at once
 * (the threadpool): the shared Gsasl context must not mix them up. */
static void *
thread_run(void *arg)
{
	static const char *const tm[] = { "SCRAM-SHA-256", "SCRAM-SHA-1",
	    "CRAM-MD5", "PLAIN" };
	static const char *const ts[] = { vec_scram256, vec_scram1, vec_cram,
	    vec_crypt };
	long k = (long)arg, nwrong = 0;
	int i;

	for (i = 0; i < 12; i++) {
		struct world w;

		memset(&w, 0, sizeof(w));
		w.secret = ts[k % 4];
		if (run(&w, tm[k % 4], i % 2 ? &bad : &good, 0) !=
		    (i % 2 ? SASL_FAIL : SASL_OK))
			nwrong++;
	}
	return (void *)nwrong;
}

START_TEST(threads)
{
	pthread_t t[8];
	void *r;
	long k;

	for (k = 0; k < 8; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, thread_run,
		    (void *)k), 0);
	for (k = 0; k < 8; k++) {
		ck_assert_int_eq(pthread_join(t[k], &r), 0);
		ck_assert_msg(r == NULL, "thread %ld: %ld wrong results", k,
		    (long)r);
	}
}
END_TEST

START_TEST(bad_base64)
{
	struct sasl_exchange	*x;
	int			 m;

	for (m = 0; m < SASL_NMECH; m++) {
		x = sasl_new(m);
		ck_assert_ptr_nonnull(x);
		ck_assert_int_eq(sasl_input(x, "not base64!", 1), SASL_BADB64);
		ck_assert_int_eq(sasl_input(x, "QUJD=", 1), SASL_BADB64);
		ck_assert_int_eq(sasl_input(x, "=", 1), SASL_CONTINUE);
		sasl_free(x);
	}
}
END_TEST

START_TEST(empty_initial_response)
{
	struct sasl_exchange	*x;
	char			*out = NULL;
	int			 m;

	/* No initial response: PLAIN asks with an empty challenge and
	 * the real response follows. */
	x = sasl_new(SASL_PLAIN);
	ck_assert_int_eq(sasl_input(x, NULL, 1), SASL_CONTINUE);
	ck_assert_ptr_null(sasl_user_wanted(x));
	ck_assert_int_eq(sasl_step(x, &out), SASL_CONTINUE);
	ck_assert_str_eq(out, "");
	free(out);
	/* \0alice\0secret */
	ck_assert_int_eq(sasl_input(x, "AGFsaWNlAHNlY3JldA==", 0),
	    SASL_CONTINUE);
	ck_assert_str_eq(sasl_user_wanted(x), "alice");
	sasl_set_user(x, user_from("alice", "{PLAIN}secret"));
	ck_assert_int_eq(sasl_step(x, &out), SASL_OK);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(sasl_authid(x), "alice");
	sasl_free(x);

	/* RFC 5034 §4: "=" is a present, empty response.  No mechanism's
	 * first client message may be empty (PLAIN, SCRAM: the message;
	 * LOGIN: the user name), and CRAM-MD5 takes no initial response at
	 * all: each fails at once, with no challenge. */
	for (m = 0; m < SASL_NMECH; m++) {
		x = sasl_new(m);
		ck_assert_int_eq(sasl_input(x, "=", 1), SASL_CONTINUE);
		ck_assert_ptr_null(sasl_user_wanted(x));
		ck_assert_msg(sasl_step(x, &out) == SASL_FAIL, "%s with =",
		    sasl_mech_name(m));
		ck_assert_ptr_null(out);
		sasl_free(x);
	}
	/* The same for an empty line after the empty challenge. */
	x = sasl_new(SASL_PLAIN);
	ck_assert_int_eq(sasl_input(x, NULL, 1), SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(x, &out), SASL_CONTINUE);
	free(out);
	ck_assert_int_eq(sasl_input(x, "", 0), SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(x, &out), SASL_FAIL);
	ck_assert_ptr_null(out);
	sasl_free(x);
	/* LOGIN's empty answer to "User Name" names no one. */
	x = sasl_new(SASL_LOGIN);
	ck_assert_int_eq(sasl_input(x, NULL, 1), SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(x, &out), SASL_CONTINUE);
	ck_assert_str_ne(out, "");
	free(out);
	ck_assert_int_eq(sasl_input(x, "", 0), SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(x, &out), SASL_FAIL);
	sasl_free(x);

	/* CRAM-MD5 is server-first: with no initial response it sends its
	 * challenge; a non-empty initial response is refused too. */
	x = sasl_new(SASL_CRAM_MD5);
	ck_assert_int_eq(sasl_input(x, NULL, 1), SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(x, &out), SASL_CONTINUE);
	ck_assert_str_ne(out, "");
	free(out);
	sasl_free(x);
	x = sasl_new(SASL_CRAM_MD5);
	ck_assert_int_eq(sasl_input(x, "YWxpY2U=", 1), SASL_CONTINUE);
	ck_assert_int_eq(sasl_step(x, &out), SASL_FAIL);
	ck_assert_ptr_null(out);
	sasl_free(x);

	/* A PLAIN message with no NULs names nobody and fails. */
	x = sasl_new(SASL_PLAIN);
	ck_assert_int_eq(sasl_input(x, "YWxpY2U=", 1), SASL_CONTINUE);
	ck_assert_ptr_null(sasl_user_wanted(x));
	ck_assert_int_eq(sasl_step(x, &out), SASL_FAIL);
	sasl_free(x);
}
END_TEST

/* One AUTH PLAIN message, built by hand (gsasl's client might prepare
 * the strings itself), against the user "alice" {PLAIN}secret. */
static int
plain_raw(const char *authzid, const char *authcid, const char *pw,
    char *authid, size_t authid_size)
{
	struct sasl_exchange	*x;
	char			 msg[256], *b64 = NULL, *out = NULL;
	const char		*name;
	size_t			 n, b64len = 0;
	int			 rc;

	n = (size_t)snprintf(msg, sizeof(msg), "%s%c%s%c%s", authzid, '\0',
	    authcid, '\0', pw);
	ck_assert_int_lt(n, sizeof(msg));
	ck_assert_int_eq(gsasl_base64_to(msg, n, &b64, &b64len), GSASL_OK);
	x = sasl_new(SASL_PLAIN);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(sasl_input(x, b64, 1), SASL_CONTINUE);
	gsasl_free(b64);
	if ((name = sasl_user_wanted(x)) != NULL)
		sasl_set_user(x, strcmp(name, "alice") == 0 ?
		    user_from("alice", "{PLAIN}secret") : NULL);
	rc = sasl_step(x, &out);
	ck_assert_ptr_null(out);
	snprintf(authid, authid_size, "%s", rc == SASL_OK ? sasl_authid(x) :
	    "");
	sasl_free(x);
	return rc;
}

/* RFC 5034 §4, RFC 4616 §2: identities and password are matched in
 * their SASLprep form (RFC 4013); U+00AD SOFT HYPHEN maps to nothing. */
START_TEST(saslprep)
{
	char	 id[64];

	ck_assert_int_eq(plain_raw("", "alice", "secret", id, sizeof(id)),
	    SASL_OK);
	ck_assert_str_eq(id, "alice");
	ck_assert_int_eq(plain_raw("\xc2\xad" "alice", "alice", "secret", id,
	    sizeof(id)), SASL_OK);
	ck_assert_str_eq(id, "alice");
	ck_assert_int_eq(plain_raw("", "al\xc2\xadice", "secret", id,
	    sizeof(id)), SASL_OK);
	ck_assert_str_eq(id, "alice");	/* the prepared name */
	ck_assert_int_eq(plain_raw("alice", "alice", "sec\xc2\xadret", id,
	    sizeof(id)), SASL_OK);
	/* An authzid that prepares to "" without being sent empty, or
	 * that cannot be prepared, fails (RFC 5034 §4). */
	ck_assert_int_eq(plain_raw("\xc2\xad", "alice", "secret", id,
	    sizeof(id)), SASL_FAIL);
	ck_assert_int_eq(plain_raw("alice\x07", "alice", "secret", id,
	    sizeof(id)), SASL_FAIL);
	ck_assert_int_eq(plain_raw("bob", "alice", "secret", id, sizeof(id)),
	    SASL_FAIL);
	/* A name with a prohibited character names no one. */
	ck_assert_int_eq(plain_raw("", "alice\x07", "secret", id,
	    sizeof(id)), SASL_FAIL);
	ck_assert_int_eq(plain_raw("", "alice", "secret\x07", id,
	    sizeof(id)), SASL_FAIL);
}
END_TEST

START_TEST(mech_names)
{
	ck_assert_int_eq(sasl_mech_find("scram-sha-256"), SASL_SCRAM_SHA_256);
	ck_assert_int_eq(sasl_mech_find("PLAIN"), SASL_PLAIN);
	ck_assert_int_eq(sasl_mech_find("DIGEST-MD5"), -1);
	ck_assert_int_eq(sasl_mech_find("GSSAPI"), -1);
	ck_assert_int_eq(sasl_mech_find("ANONYMOUS"), -1);
	ck_assert_int_eq(sasl_mech_find("SCRAM-SHA-256-PLUS"), -1);
	ck_assert_int_eq(sasl_mech_find(""), -1);
	ck_assert_ptr_null(sasl_new(-1));
	ck_assert_ptr_null(sasl_new(SASL_NMECH));
	ck_assert(sasl_mech_cleartext(SASL_PLAIN));
	ck_assert(sasl_mech_cleartext(SASL_LOGIN));
	ck_assert(!sasl_mech_cleartext(SASL_CRAM_MD5));
	ck_assert(sasl_mech_allowed(SASL_CRAM_MD5, "PLAIN"));
	ck_assert(!sasl_mech_allowed(SASL_CRAM_MD5, "BLF-CRYPT"));
}
END_TEST

/* --- Dovecot's formats ---------------------------------------------------- */

START_TEST(secret_vectors)
{
	const char *const v[] = { vec_scram256, vec_scram1, vec_cram };
	struct auth_user *u;
	size_t i;

	for (i = 0; i < 3; i++) {
		u = user_from("u", v[i]);
		ck_assert_int_eq(auth_check_password(u, "secret"), AUTH_OK);
		ck_assert_int_eq(auth_check_password(u, "Secret"), AUTH_FAIL);
		ck_assert_int_eq(auth_check_password(u, ""), AUTH_FAIL);
		/* APOP needs the secret itself. */
		ck_assert_int_eq(auth_check_apop(u, "<1@x>",
		    "00000000000000000000000000000000"), AUTH_ESCHEME);
		auth_user_free(u);
	}
}
END_TEST

START_TEST(hash_roundtrip)
{
	const char *const schemes[] = { "SCRAM-SHA-256", "SCRAM-SHA-1",
	    "CRAM-MD5" };
	struct auth_user *u;
	char *h, *h2;
	size_t i;

	for (i = 0; i < 3; i++) {
		h = auth_hash_password(schemes[i], "pässwörd");
		ck_assert_ptr_nonnull(h);
		ck_assert_msg(strncmp(h + 1, schemes[i], strlen(schemes[i]))
		    == 0, "%s", h);
		u = user_from("u", h);
		ck_assert_int_eq(auth_check_password(u, "pässwörd"), AUTH_OK);
		ck_assert_int_eq(auth_check_password(u, "password"), AUTH_FAIL);
		auth_user_free(u);
		h2 = auth_hash_password(schemes[i], "pässwörd");
		/* SCRAM: a fresh salt each time; CRAM-MD5 has none. */
		if (i < 2) {
			ck_assert_str_ne(h, h2);
			ck_assert(strstr(h, "}4096,") != NULL);
		} else
			ck_assert_str_eq(h, h2);
		free(h);
		free(h2);
	}
	/* The CRAM-MD5 states for "secret" are exactly doveadm's. */
	h = auth_hash_password("CRAM-MD5", "secret");
	ck_assert_str_eq(h, vec_cram);
	free(h);
}
END_TEST

START_TEST(malformed_secrets)
{
	const char *const bad_lines[] = {
		"u:{SCRAM-SHA-256}4096,E1ybPQp+JtF+WC7wt3Liew==,AAAA,AAAA",
		"u:{SCRAM-SHA-256}0,E1ybPQp+JtF+WC7wt3Liew==,"
		    "9ZAFicSSGl6pzXNYuBhn/ePdUe0A/Y0vSXai9zuMfwg=,"
		    "if+uWCJo2S7G0eXuC2GIHzNdvSikIxW5zKX6KDcDuRA=",
		"u:{SCRAM-SHA-1}4096,ywtB9b3iGYNyYKY8vl0NBQ==,"
		    "K6SkjvChYjyHIauiqqDN16gjir4=",
		"u:{SCRAM-SHA-1}4096,!!,K6SkjvChYjyHIauiqqDN16gjir4=,"
		    "zF/gK5Xs6+0lon9UQv4bvTZt40o=",
		/* a SHA-1 key under SHA-256 */
		"u:{SCRAM-SHA-256}4096,ywtB9b3iGYNyYKY8vl0NBQ==,"
		    "K6SkjvChYjyHIauiqqDN16gjir4=,zF/gK5Xs6+0lon9UQv4bvTZt40o=",
		"u:{CRAM-MD5}cd3ba7de",
		"u:{CRAM-MD5}zd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bba"
		    "ac395731b56",
	};
	struct auth_user u;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		ck_assert_msg(auth_passwd_parse_line(bad_lines[i],
		    strlen(bad_lines[i]), &u, &why) == -1, "%s", bad_lines[i]);
		ck_assert_str_eq(why, "malformed secret for its {SCHEME}");
	}
}
END_TEST

/* --- LOGIN-DELAY ------------------------------------------------------------ */

START_TEST(login_delay_table)
{
	struct login_delay *t = login_delay_new();
	char name[32];
	int i;

	ck_assert_ptr_nonnull(t);
	/* No delay: always allowed, nothing kept. */
	ck_assert_int_eq(login_delay_check(t, "alice", 0, 1000),
	    LOGIN_DELAY_ALLOW);
	ck_assert_int_eq(login_delay_count(t), 0);
	ck_assert_int_eq(login_delay_check(t, "alice", 60, 1000),
	    LOGIN_DELAY_ALLOW);
	ck_assert_int_eq(login_delay_check(t, "alice", 60, 1000 + 59999),
	    LOGIN_DELAY_REFUSE);
	/* The refused attempt did not move the stamp. */
	ck_assert_int_eq(login_delay_check(t, "alice", 60, 1000 + 60000),
	    LOGIN_DELAY_ALLOW);
	ck_assert_int_eq(login_delay_check(t, "alice", 60, 1000 + 60001),
	    LOGIN_DELAY_REFUSE);
	/* Another user is not affected. */
	ck_assert_int_eq(login_delay_check(t, "bob", 60, 61001),
	    LOGIN_DELAY_ALLOW);
	ck_assert_int_eq(login_delay_count(t), 2);
	/* Many users; old stamps are swept as the table grows. */
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		ck_assert_int_eq(login_delay_check(t, name, 60,
		    200000 + (uint64_t)i * 1000), LOGIN_DELAY_ALLOW);
	}
	ck_assert_int_le(login_delay_count(t), 200);
	ck_assert_int_eq(login_delay_check(t, "user4999", 60,
	    200000 + 4999 * 1000 + 1), LOGIN_DELAY_REFUSE);
	login_delay_free(t);
}
END_TEST

static Suite *
sasl_suite(void)
{
	Suite	*s = suite_create("sasl");
	TCase	*tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, client_setup, client_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, plain_secret_serves_all, 0, 5);
	tcase_add_loop_test(tc, stored_schemes, 0, 4);
	tcase_add_loop_test(tc, authzid_mismatch, 0, 5);
	tcase_add_loop_test(tc, unknown_user_same_shape, 0, 5);
	tcase_add_test(tc, scram_dummy_salt_stable);
	tcase_add_test(tc, threads);
	tcase_add_test(tc, bad_base64);
	tcase_add_test(tc, empty_initial_response);
	tcase_add_test(tc, mech_names);
	tcase_add_test(tc, saslprep);
	suite_add_tcase(s, tc);
	tc = tcase_create("secrets");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, secret_vectors);
	tcase_add_test(tc, hash_roundtrip);
	tcase_add_test(tc, malformed_secrets);
	tcase_add_test(tc, login_delay_table);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(sasl_suite());
	int	 nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
