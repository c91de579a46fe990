/*
 * pop3_lang.c - RFC 6856: the UTF8 command (§2.1), UTF-8 user names and
 * passwords (§2.2), and LANG (§3) with the message catalog it needs.
 *
 * The catalog is keyed by the English text, which is also the format
 * string the compiler checks at each call (pop3_tr() is a format_arg
 * function), so English replies are exactly what they were before LANG
 * existed and the historic profiles, which cannot send LANG, never see
 * anything else.  Response codes, numbers, command names and state
 * names are arguments or stay outside the text: they are never
 * translated.  The greeting is sent before any LANG and stays English.
 */
#include <string.h>

#include "pop3_int.h"
#include "proto_text.h"
#include "session.h"

/* RFC 6856 §3.2: "the language tag ... optionally followed by a single
 * space and a human-readable description of the language in the
 * language itself". */
const struct pop3_lang_info pop3_langs[POP3_NLANGS] = {
	[POP3_LANG_EN] = { "en", "English" },
	[POP3_LANG_DE] = { "de", "Deutsch" },
};

const struct pop3_text pop3_texts[] = {
	/* pop3_dispatch.c */
	{ "Log in first: %s is only valid in the TRANSACTION state.",
	  "Bitte zuerst anmelden: %s ist nur im Zustand TRANSACTION "
	  "gültig." },
	{ "Already logged in: %s is only valid in the AUTHORIZATION state.",
	  "Bereits angemeldet: %s ist nur im Zustand AUTHORIZATION "
	  "gültig." },
	{ "%s is not valid in the %s state.",
	  "%s ist im Zustand %s nicht gültig." },
	{ "Empty command line.", "Leere Befehlszeile." },
	{ "Command line starts with a space.",
	  "Die Befehlszeile beginnt mit einem Leerzeichen." },
	{ "Unknown command: %s", "Unbekannter Befehl: %s" },
	{ "%s Usage: %s", "%s Aufruf: %s" },
	{ "%s", "%s" },
	{ "Argument %d is longer than 40 characters (%s).",
	  "Argument %d ist länger als 40 Zeichen (%s)." },
	/* protocols/common/proto_parse.c, proto_args_problem() */
	{ "Invalid character in arguments.",
	  "Ungültiges Zeichen in den Argumenten." },
	{ "Arguments must be separated by a single space.",
	  "Argumente müssen durch genau ein Leerzeichen getrennt sein." },
	{ "Missing argument.", "Argument fehlt." },
	{ "Too many arguments.", "Zu viele Argumente." },
	/* pop3_session.c */
	{ "Too many bad commands, closing connection.",
	  "Zu viele fehlerhafte Befehle, die Verbindung wird "
	  "geschlossen." },
	{ "Line too long.", "Zeile zu lang." },
	{ "Server shutting down.", "Der Server wird beendet." },
	/* pop3_cmds.c */
	{ "Authentication failed.", "Anmeldung fehlgeschlagen." },
	{ "Too many failed logins, closing connection.",
	  "Zu viele fehlgeschlagene Anmeldungen, die Verbindung wird "
	  "geschlossen." },
	{ "Mailbox is locked by another session.",
	  "Das Postfach ist von einer anderen Sitzung gesperrt." },
	{ "Logged in. %zu message (%llu octets).",
	  "Angemeldet. %zu Nachricht (%llu Oktette)." },
	{ "Logged in. %zu messages (%llu octets).",
	  "Angemeldet. %zu Nachrichten (%llu Oktette)." },
	{ "Logged in too recently: wait %u seconds between logins.",
	  "Die letzte Anmeldung ist zu kurz her: zwischen zwei "
	  "Anmeldungen müssen %u Sekunden liegen." },
	{ "Authentication is temporarily unavailable, try again later.",
	  "Die Anmeldung ist vorübergehend nicht möglich, bitte später "
	  "erneut versuchen." },
	{ "%s must come right after a successful USER.",
	  "%s muss direkt auf ein erfolgreiches USER folgen." },
	{ "%s must come after a successful USER.",
	  "%s muss auf ein erfolgreiches USER folgen." },
	{ "Plaintext passwords are refused on this connection: send STLS "
	  "first, or use AUTH.",
	  "Unverschlüsselte Passwörter werden auf dieser Verbindung "
	  "abgelehnt: zuerst STLS senden oder AUTH verwenden." },
	{ "User name is too long.", "Der Benutzername ist zu lang." },
	{ "User name is not valid UTF-8.",
	  "Der Benutzername ist kein gültiges UTF-8." },
	{ "Password is not valid UTF-8.",
	  "Das Passwort ist kein gültiges UTF-8." },
	{ "Send your password.", "Bitte das Passwort senden." },
	{ "polypop signing off (maildrop empty).",
	  "polypop verabschiedet sich (Postfach leer)." },
	{ "polypop signing off (%zu message left).",
	  "polypop verabschiedet sich (%zu Nachricht verbleibt)." },
	{ "polypop signing off (%zu messages left).",
	  "polypop verabschiedet sich (%zu Nachrichten verbleiben)." },
	{ "Some deleted messages not removed.",
	  "Einige gelöschte Nachrichten wurden nicht entfernt." },
	{ "polypop signing off.", "polypop verabschiedet sich." },
	/* pop3_trans.c and pop3_store_error()'s texts */
	{ "%s: %s.", "%s: %s." },
	{ "Can't open mailbox", "Postfach kann nicht geöffnet werden" },
	{ "Can't read message", "Nachricht kann nicht gelesen werden" },
	{ "Can't delete message", "Nachricht kann nicht gelöscht werden" },
	{ "Can't list discussion groups",
	  "Diskussionsgruppen können nicht aufgelistet werden" },
	{ "Noise after message number.",
	  "Unerwartete Zeichen nach der Nachrichtennummer." },
	{ "Message number is too large.",
	  "Die Nachrichtennummer ist zu groß." },
	{ "Invalid message number.", "Ungültige Nachrichtennummer." },
	{ "There's no message %llu.", "Es gibt keine Nachricht %llu." },
	{ "Message %llu is deleted.", "Nachricht %llu ist gelöscht." },
	{ "scan listing follows", "Liste der Nachrichten folgt" },
	{ "unique-id listing follows", "Liste der eindeutigen IDs folgt" },
	{ "+OK %llu octets\r\n", "+OK %llu Oktette\r\n" },
	{ "Noise after number of lines.",
	  "Unerwartete Zeichen nach der Zeilenzahl." },
	{ "Invalid number of lines.", "Ungültige Zeilenzahl." },
	{ "+OK Top of message follows.\r\n",
	  "+OK Anfang der Nachricht folgt.\r\n" },
	{ "Message %zu deleted.", "Nachricht %zu gelöscht." },
	{ "Nothing to do.", "Nichts zu tun." },
	{ "Maildrop has %zu message (%llu octets).",
	  "Das Postfach enthält %zu Nachricht (%llu Oktette)." },
	{ "Maildrop has %zu messages (%llu octets).",
	  "Das Postfach enthält %zu Nachrichten (%llu Oktette)." },
	/* storage/store.c, store_strerror(), quoted by pop3_store_error() */
	{ "success", "Erfolg" },
	{ "maildrop already locked", "Postfach bereits gesperrt" },
	{ "no such folder", "Ordner existiert nicht" },
	{ "temporary storage failure",
	  "vorübergehender Fehler des Speichers" },
	{ "permanent storage failure", "dauerhafter Fehler des Speichers" },
	{ "invalid argument", "ungültiges Argument" },
	{ "out of memory", "kein Speicher frei" },
	{ "mailbox changed by another program",
	  "Postfach wurde von einem anderen Programm geändert" },
	{ "unknown storage error", "unbekannter Fehler des Speichers" },
	/* pop3_capa.c */
	{ "Capability list follows", "Liste der Fähigkeiten folgt" },
	/* pop3_auth.c */
	{ "Unsupported authentication mechanism. Send AUTH for the list.",
	  "Nicht unterstütztes Anmeldeverfahren. AUTH senden, um die "
	  "Liste zu erhalten." },
	{ "Invalid base64 data, authentication cancelled.",
	  "Ungültige Base64-Daten, die Anmeldung wurde abgebrochen." },
	{ "Supported authentication mechanisms follow.",
	  "Liste der unterstützten Anmeldeverfahren folgt." },
	{ "Authentication cancelled.", "Anmeldung abgebrochen." },
	{ "Response line too long, authentication cancelled.",
	  "Antwortzeile zu lang, die Anmeldung wurde abgebrochen." },
	{ "Command not permitted when TLS active",
	  "Befehl bei aktivem TLS nicht erlaubt" },
	{ "STLS is not permitted after UTF8.",
	  "STLS ist nach UTF8 nicht erlaubt." },
	{ "TLS is not available: the server has no certificate.",
	  "TLS ist nicht verfügbar: der Server hat kein Zertifikat." },
	{ "Begin TLS negotiation", "TLS-Aushandlung beginnt" },
	/* pop3_trans.c */
	{ "Message header holds UTF-8: send UTF8 first to read it.",
	  "Der Kopf der Nachricht enthält UTF-8: zum Lesen zuerst UTF8 "
	  "senden." },
	/* pop3_lang.c */
	{ "UTF-8 mode enabled.", "UTF-8-Modus eingeschaltet." },
	{ "UTF-8 mode was already enabled.",
	  "Der UTF-8-Modus war bereits eingeschaltet." },
	{ "Language listing follows:", "Liste der Sprachen folgt:" },
	{ "%s Language changed.", "%s Sprache geändert." },
	{ "Unknown language: %s. Send LANG for the list.",
	  "Unbekannte Sprache: %s. LANG senden, um die Liste zu "
	  "erhalten." },
};
const size_t pop3_ntexts = sizeof(pop3_texts) / sizeof(pop3_texts[0]);

unsigned long pop3_tr_misses;

const char *
pop3_text_in(enum pop3_lang lang, const char *en)
{
	size_t i;

	if (lang == POP3_LANG_EN || en == NULL)
		return en;
	for (i = 0; i < pop3_ntexts; i++)
		if (pop3_texts[i].en == en ||
		    strcmp(pop3_texts[i].en, en) == 0)
			return pop3_texts[i].de;
	/* A text without a translation is a defect test_pop3_lang.c
	 * catches; the client still gets the English text. */
	pop3_tr_misses++;
	return en;
}

const char *
pop3_tr(const struct pop3 *p, const char *en)
{
	return pop3_text_in(p->lang, en);
}

/* ASCII case-insensitive equality of LEN octets and NUL-terminated B. */
static int
pop3_tag_is(const char *a, size_t len, const char *b)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (y == '\0')
			return 0;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + ('a' - 'A'));
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + ('a' - 'A'));
		if (x != y)
			return 0;
	}
	return b[len] == '\0';
}

int
pop3_lang_find(const char *range, size_t len)
{
	int i;

	/* RFC 6856 §3.2: "*" asks for the administrator's preference. */
	if (len == 1 && range[0] == '*')
		return POP3_LANG_EN;
	/* RFC 4647 §3.4 lookup: "de-CH" falls back to "de" by removing
	 * subtags from the end. */
	while (len > 0) {
		for (i = 0; i < POP3_NLANGS; i++)
			if (pop3_tag_is(range, len, pop3_langs[i].tag))
				return i;
		while (len > 0 && range[len - 1] != '-')
			len--;
		if (len > 0)
			len--;		/* the '-' */
		/* A single-letter subtag before it goes too (§3.4). */
		if (len >= 2 && range[len - 2] == '-')
			len -= 2;
	}
	return -1;
}

int
pop3_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	unsigned long c;

	/* RFC 3629 §4's UTF8-octets: no overlong forms, no surrogates,
	 * nothing above U+10FFFF. */
	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			n = 1;
			c = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			n = 2;
			c = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			n = 3;
			c = p[i] & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			return 0;
		i += n + 1;
	}
	return 1;
}

/* --- UTF8 (RFC 6856 §2.1) ---------------------------------------------- */

int
pop3_cmd_utf8(struct pop3 *p, const struct pop3_cmd *cmd)
{
	(void)cmd;
	/* What UTF-8 mode changes here: the maildrop's octets were always
	 * sent as they are stored (a Maildir or mbox keeps UTF-8 headers
	 * as UTF-8), so the mode's effect is RFC 6856 §2.1's rule that
	 * STLS may no longer follow. */
	if (p->utf8) {
		pop3_ok(p, "UTF-8 mode was already enabled.");
		return POP3_DONE;
	}
	p->utf8 = 1;
	session_log(p->s, "event=utf8");
	pop3_ok(p, "UTF-8 mode enabled.");
	return POP3_DONE;
}

/* --- LANG (RFC 6856 §3) -------------------------------------------------- */

int
pop3_cmd_lang(struct pop3 *p, const struct pop3_cmd *cmd)
{
	char quote[PROTO_QUOTE_MAX + 1];
	size_t i;
	int l;

	if (cmd->nargs == 0) {
		/* RFC 6856 §3.2: a language listing per line. */
		pop3_ok(p, "Language listing follows:");
		for (i = 0; i < POP3_NLANGS; i++)
			session_reply(p->s, "%s %s", pop3_langs[i].tag,
			    pop3_langs[i].name);
		session_reply(p->s, ".");
		return POP3_DONE;
	}
	if ((l = pop3_lang_find(cmd->arg[0].ptr, cmd->arg[0].len)) < 0) {
		/* RFC 6856 §3.2: on -ERR the language stays as it was. */
		pop3_err(p, NULL, "Unknown language: %s. Send LANG for the "
		    "list.", proto_sanitise(cmd->arg[0].ptr, cmd->arg[0].len,
		    quote, sizeof(quote)));
		return POP3_BAD;
	}
	/* "+OK" SP tag SP text, the text already in the new language. */
	p->lang = (enum pop3_lang)l;
	session_log(p->s, "event=lang lang=%s", pop3_langs[l].tag);
	pop3_ok(p, "%s Language changed.", pop3_langs[l].tag);
	return POP3_DONE;
}
