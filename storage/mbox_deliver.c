/*
 * mbox_deliver.c - appending a message to an mbox file (store_deliver()),
 * under the dotlock + fcntl locks (mbox_lock.c), with a From_ separator
 * line and mboxrd quoting (mbox_parse.c); docs/storage.md (mbox,
 * Delivery) has the rules.
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_impl.h"
#include "mbox.h"
#include "mbox_lock.h"
#include "mbox_parse.h"

/* Longest envelope sender we put on a From_ line (RFC 5321 §4.5.3.1.3
 * allows 256 octets for a path). */
#define MBOX_SENDER_MAX	256

/* "From SENDER DATE\n": SENDER made one printable word, DATE as ctime(3)
 * in UTC without zone (RFC 4155 Appendix A). */
static size_t
mbox_from_line(char *buf, size_t len, const char *sender, time_t now)
{
	char who[MBOX_SENDER_MAX + 1], date[64];
	struct tm tm;
	size_t i, n = 0;

	if (sender != NULL && sender[0] == '<')
		sender++;
	for (i = 0; sender != NULL && sender[i] != '\0' &&
	    n < MBOX_SENDER_MAX; i++) {
		unsigned char ch = (unsigned char)sender[i];

		if (ch == '>' && sender[i + 1] == '\0')
			break;
		who[n++] = ch <= 0x20 || ch >= 0x7f ? '_' : (char)ch;
	}
	who[n] = '\0';
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	return (size_t)snprintf(buf, len, "From %s %s\n",
	    n > 0 ? who : "MAILER-DAEMON", date);
}

/* Append the message from IN at *POS of FD. */
static int
mbox_append(int fd, off_t *pos, int in, const char *sender)
{
	struct mbox_encode enc;
	char head[MBOX_SENDER_MAX + 128], tail[3];
	char *ibuf, *obuf;
	size_t n;
	ssize_t got;
	int rc = 0;

	ibuf = malloc(MBOX_IOBUF);
	obuf = malloc(2 * MBOX_IOBUF + MBOX_ENCODE_SLACK);
	if (ibuf == NULL || obuf == NULL) {
		rc = STORE_ENOMEM;
		goto out;
	}
	/* Make the new From_ line a separator: the file must end with an
	 * empty line (RFC 4155 Appendix A). */
	if (*pos > 0) {
		n = *pos < 3 ? (size_t)*pos : 3;
		if (mbox__pread(fd, tail, n, *pos - (off_t)n) != (ssize_t)n) {
			rc = STORE_ETEMP;
			goto out;
		}
		n = mbox_sep_fixup(tail, n, *pos, head);
	} else
		n = 0;
	n += mbox_from_line(head + n, sizeof(head) - n, sender, time(NULL));
	if ((rc = mbox__pwrite(fd, head, n, *pos)) != 0)
		goto out;
	*pos += (off_t)n;
	mbox_encode_init(&enc);
	for (;;) {
		got = read(in, ibuf, MBOX_IOBUF);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			rc = STORE_ETEMP;
			goto out;
		}
		if (got == 0)
			break;
		n = mbox_encode(&enc, ibuf, (size_t)got, obuf);
		if ((rc = mbox__pwrite(fd, obuf, n, *pos)) != 0)
			goto out;
		*pos += (off_t)n;
	}
	n = mbox_encode_finish(&enc, obuf);
	/* The empty line that ends every message (RFC 4155 Appendix A). */
	obuf[n++] = '\n';
	if ((rc = mbox__pwrite(fd, obuf, n, *pos)) != 0)
		goto out;
	*pos += (off_t)n;
out:
	free(ibuf);
	free(obuf);
	return rc;
}

int
mbox__deliver(const char *path, int fd, const char *envelope_from,
    char *err, size_t errlen)
{
	struct mbox_lock lk;
	struct stat sb;
	off_t pos;
	int rc;

	if ((rc = mbox__mkparents(path)) != 0)
		return store__fail(err, errlen, rc, "%s: cannot create "
		    "directory: %s", path, strerror(errno));
	if ((rc = mbox_lock_open(&lk, path, 1, err, errlen)) != 0)
		return rc;
	if (fstat(lk.fd, &sb) == -1) {
		rc = store__fail(err, errlen, STORE_ETEMP, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	pos = sb.st_size;
	rc = mbox_append(lk.fd, &pos, fd, envelope_from);
	if (rc == 0 && fsync(lk.fd) == -1)
		rc = STORE_ETEMP;
	if (rc != 0) {
		/* Leave no partial message behind: readers would see it. */
		if (ftruncate(lk.fd, sb.st_size) == 0)
			(void)fsync(lk.fd);
		store__fail(err, errlen, rc, "%s: delivery failed: %s", path,
		    store_strerror(rc));
	}
out:
	mbox_lock_release(&lk, 0);
	return rc;
}
