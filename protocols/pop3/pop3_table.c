/*
 * pop3_table.c - the POP3 command table: every command of every revision,
 * one row each, with one column per profile saying whether that revision
 * has it and which section governs it there.
 *
 * RFC 1081, 1082 and 1225 have no section numbers, so they are cited by
 * heading.  RFC 1082 only adds XTND to RFC 1081, so its other columns cite
 * RFC 1081.  The current profile follows RFC 1939; the extensions after it
 * cite their own RFCs.
 */
#include <string.h>

#include "pop3_int.h"
#include "proto_parse.h"

#define H_AUTH		"The AUTHORIZATION State"
#define H_TRANS		"The TRANSACTION State"
#define H_QUIT		"The AUTHORIZATION State; The UPDATE State"
#define H_OPT		"Optional POP3 Commands"

/* The three revisions that share RFC 1081's text. */
#define MIN_1081(h) \
	[POP3_RFC1081] = { "RFC 1081, " h, 0 }, \
	[POP3_RFC1082] = { "RFC 1081, " h, 0 }, \
	[POP3_RFC1225] = { "RFC 1225, " h, 0 }
#define OPT_1081(h) \
	[POP3_RFC1081] = { "RFC 1081, " h, 1 }, \
	[POP3_RFC1082] = { "RFC 1081, " h, 1 }, \
	[POP3_RFC1225] = { "RFC 1225, " h, 1 }
/* The revisions with numbered sections, from 1460 on. */
#define MIN_1460(s)	[POP3_RFC1460] = { "RFC 1460 " s, 0 }
#define OPT_1460(s)	[POP3_RFC1460] = { "RFC 1460 " s, 1 }
#define MIN_1725(s)	[POP3_RFC1725] = { "RFC 1725 " s, 0 }
#define OPT_1725(s)	[POP3_RFC1725] = { "RFC 1725 " s, 1 }
/* RFC 1939 and the current profile, which follows it. */
#define MIN_1939(s) \
	[POP3_RFC1939] = { "RFC 1939 " s, 0 }, \
	[POP3_CURRENT] = { "RFC 1939 " s, 0 }
#define OPT_1939(s) \
	[POP3_RFC1939] = { "RFC 1939 " s, 1 }, \
	[POP3_CURRENT] = { "RFC 1939 " s, 1 }

/* Commands that came after RFC 1939: only the current profile has them,
 * each governed by its own RFC. */
#define EXT(s)		[POP3_CURRENT] = { s, 1 }

/*
 * Order: AUTHORIZATION commands, then TRANSACTION ones, each roughly as
 * the RFCs present them.  QUIT is one row valid in two states; its handler
 * tells them apart (ends the session, or enters UPDATE).  No row allows
 * UPDATE: the session reads no command there.
 */
const struct pop3_command pop3_commands[] = {
	{ "USER", POP3_S_AUTH, 1, 1, POP3_ARGS_SPLIT, pop3_cmd_user,
	    "USER name", "+OK", POP3_ML_NEVER, POP3_STAY, POP3_STAY,
	    "names the maildrop; PASS (or RPOP) must follow",
	    { MIN_1081(H_AUTH), MIN_1460("§4"), MIN_1725("§4"),
	      OPT_1939("§7") } },
	{ "PASS", POP3_S_AUTH, 1, 1, POP3_ARGS_REST, pop3_cmd_pass,
	    "PASS string", "+OK maildrop locked and ready", POP3_ML_NEVER,
	    POP3_GO_TRANSACTION, POP3_STAY,
	    "the password for the name given by USER",
	    { MIN_1081(H_AUTH), MIN_1460("§4"), MIN_1725("§4"),
	      OPT_1939("§7") } },
	{ "RPOP", POP3_S_AUTH, 1, 1, POP3_ARGS_SPLIT, pop3_cmd_rpop,
	    "RPOP user", "+OK maildrop locked and ready", POP3_ML_NEVER,
	    POP3_GO_TRANSACTION, POP3_STAY,
	    "instead of PASS: trust the client host's user, from a "
	    "reserved port",
	    { OPT_1081(H_OPT) } },
	{ "APOP", POP3_S_AUTH, 2, 2, POP3_ARGS_SPLIT, pop3_cmd_apop,
	    "APOP name digest", "+OK maildrop locked and ready",
	    POP3_ML_NEVER, POP3_GO_TRANSACTION, POP3_STAY,
	    "log in with MD5(greeting timestamp + shared secret)",
	    { OPT_1460("§7"), OPT_1725("§7"), OPT_1939("§7") } },
	{ "AUTH", POP3_S_AUTH, 0, 2, POP3_ARGS_SPLIT, pop3_cmd_auth,
	    "AUTH [mechanism [initial-response]]",
	    "+OK maildrop locked and ready, after \"+ \" challenges",
	    POP3_ML_NOARG, POP3_GO_TRANSACTION, POP3_STAY,
	    "SASL login (PLAIN, LOGIN, CRAM-MD5, SCRAM-*); alone, lists the "
	    "mechanisms (polypop)",
	    { EXT("RFC 5034 §4") } },
	{ "STLS", POP3_S_AUTH, 0, 0, POP3_ARGS_SPLIT, pop3_cmd_stls,
	    "STLS", "+OK Begin TLS negotiation", POP3_ML_NEVER,
	    POP3_STAY, POP3_STAY,
	    "starts TLS; what was sent before it is forgotten",
	    { EXT("RFC 2595 §4") } },
	{ "UTF8", POP3_S_AUTH, 0, 0, POP3_ARGS_SPLIT, pop3_cmd_utf8,
	    "UTF8", "+OK", POP3_ML_NEVER, POP3_STAY, POP3_STAY,
	    "UTF-8 mode (STLS no longer allowed)",
	    { EXT("RFC 6856 §2.1") } },
	{ "CAPA", POP3_S_AUTH | POP3_S_TRANS, 0, 0, POP3_ARGS_SPLIT,
	    pop3_cmd_capa, "CAPA", "+OK, then one capability per line",
	    POP3_ML_ALWAYS, POP3_STAY, POP3_STAY,
	    "the capabilities usable now (RFC 2449 §6)",
	    { EXT("RFC 2449 §5") } },
	{ "LANG", POP3_S_AUTH | POP3_S_TRANS, 0, 1, POP3_ARGS_SPLIT,
	    pop3_cmd_lang, "LANG [language]",
	    "+OK tag text, or a language listing", POP3_ML_NOARG,
	    POP3_STAY, POP3_STAY,
	    "the language of reply texts: en or de; alone, lists them",
	    { EXT("RFC 6856 §3") } },
	{ "QUIT", POP3_S_AUTH | POP3_S_TRANS, 0, 0, POP3_ARGS_SPLIT,
	    pop3_cmd_quit, "QUIT", "+OK", POP3_ML_NEVER,
	    POP3_GO_END, POP3_GO_UPDATE,
	    "ends the session; from TRANSACTION, removes deleted messages",
	    { MIN_1081(H_QUIT), MIN_1460("§4, §6"), MIN_1725("§4, §6"),
	      MIN_1939("§4, §6") } },
	{ "STAT", POP3_S_TRANS, 0, 0, POP3_ARGS_SPLIT, pop3_cmd_stat,
	    "STAT", "+OK nn mm", POP3_ML_NEVER, POP3_STAY, POP3_STAY,
	    "the drop listing: message count and size in octets",
	    { MIN_1081(H_TRANS), MIN_1460("§5"), MIN_1725("§5"),
	      MIN_1939("§5") } },
	{ "LIST", POP3_S_TRANS, 0, 1, POP3_ARGS_SPLIT, pop3_cmd_list,
	    "LIST [msg]", "+OK msg size, or a scan listing per message",
	    POP3_ML_NOARG, POP3_STAY, POP3_STAY,
	    "scan listings: message number and size",
	    { MIN_1081(H_TRANS), MIN_1460("§5"), MIN_1725("§5"),
	      MIN_1939("§5") } },
	{ "RETR", POP3_S_TRANS, 1, 1, POP3_ARGS_SPLIT, pop3_cmd_retr,
	    "RETR msg", "+OK, then the message", POP3_ML_ALWAYS,
	    POP3_STAY, POP3_STAY,
	    "sends a whole message, byte-stuffed",
	    { MIN_1081(H_TRANS), MIN_1460("§5"), MIN_1725("§5"),
	      MIN_1939("§5") } },
	{ "DELE", POP3_S_TRANS, 1, 1, POP3_ARGS_SPLIT, pop3_cmd_dele,
	    "DELE msg", "+OK message deleted", POP3_ML_NEVER,
	    POP3_STAY, POP3_STAY,
	    "marks a message deleted; removed at QUIT",
	    { MIN_1081(H_TRANS), MIN_1460("§5"), MIN_1725("§5"),
	      MIN_1939("§5") } },
	{ "NOOP", POP3_S_TRANS, 0, 0, POP3_ARGS_SPLIT, pop3_cmd_noop,
	    "NOOP", "+OK", POP3_ML_NEVER, POP3_STAY, POP3_STAY,
	    "does nothing",
	    { MIN_1081(H_TRANS), MIN_1460("§5"), MIN_1725("§5"),
	      MIN_1939("§5") } },
	{ "LAST", POP3_S_TRANS, 0, 0, POP3_ARGS_SPLIT, pop3_cmd_last,
	    "LAST", "+OK nn", POP3_ML_NEVER, POP3_STAY, POP3_STAY,
	    "the highest message number accessed (RETR, DELE), kept "
	    "across sessions",
	    { MIN_1081(H_TRANS), MIN_1460("§5") } },
	{ "RSET", POP3_S_TRANS, 0, 0, POP3_ARGS_SPLIT, pop3_cmd_rset,
	    "RSET", "+OK", POP3_ML_NEVER, POP3_STAY, POP3_STAY,
	    "unmarks deleted messages",
	    { MIN_1081(H_TRANS), MIN_1460("§5"), MIN_1725("§5"),
	      MIN_1939("§5") } },
	{ "TOP", POP3_S_TRANS, 2, 2, POP3_ARGS_SPLIT, pop3_cmd_top,
	    "TOP msg n", "+OK, then the header and n body lines",
	    POP3_ML_ALWAYS, POP3_STAY, POP3_STAY,
	    "the header, the blank line and the first n lines of the body",
	    { OPT_1081(H_OPT), OPT_1460("§7"), OPT_1725("§7"),
	      OPT_1939("§7") } },
	{ "UIDL", POP3_S_TRANS, 0, 1, POP3_ARGS_SPLIT, pop3_cmd_uidl,
	    "UIDL [msg]", "+OK msg uid, or a unique-id listing per message",
	    POP3_ML_NOARG, POP3_STAY, POP3_STAY,
	    "unique-id listings that persist across sessions",
	    { OPT_1725("§7"), OPT_1939("§7") } },
	{ "XTND", POP3_S_TRANS, 1, 2, POP3_ARGS_SPLIT, pop3_cmd_xtnd,
	    "XTND BBOARDS [name] | ARCHIVE name | X-BBOARDS name",
	    "+OK XTND, then discussion group listings", POP3_ML_ALWAYS,
	    POP3_STAY, POP3_STAY,
	    "discussion groups (bulletin boards)",
	    { [POP3_RFC1082] = { "RFC 1082, The XTND Command", 1 } } },
};
const size_t pop3_ncommands = sizeof(pop3_commands) / sizeof(pop3_commands[0]);

const struct pop3_command *
pop3_command_find(const char *kw, size_t len)
{
	size_t i;

	for (i = 0; i < pop3_ncommands; i++)
		if (proto_keyword_is(kw, len, pop3_commands[i].name))
			return &pop3_commands[i];
	return NULL;
}

const char *
pop3_command_section(const struct pop3_command *c, enum pop3_profile pr)
{
	if ((unsigned)pr >= POP3_NPROFILES)
		return NULL;
	return c->in[pr].section;
}

int
pop3_profile_has(enum pop3_profile pr, const char *name)
{
	const struct pop3_command *c;

	c = pop3_command_find(name, strlen(name));
	return c != NULL && pop3_command_section(c, pr) != NULL;
}
