/*
 * login_delay.h - RFC 2449 §6.5 / §8.1.1 LOGIN-DELAY bookkeeping: when
 * each user last logged in successfully.
 *
 * In memory only: a restart forgets every stamp, so the first login
 * after a restart is always allowed.  Entries older than the delay can
 * no longer refuse anything and are dropped as the table grows, so it
 * holds at most the users who logged in within the last delay (a subset
 * of the users file).  Not thread-safe: the server uses it on the loop.
 */
#ifndef POLYPOP_LOGIN_DELAY_H
#define POLYPOP_LOGIN_DELAY_H

#include <stddef.h>
#include <stdint.h>

struct login_delay;

struct login_delay *login_delay_new(void);
void login_delay_free(struct login_delay *t);
size_t login_delay_count(const struct login_delay *t);

enum login_delay_result {
	LOGIN_DELAY_ALLOW = 0,	/* NAME's stamp is now NOW_MS */
	LOGIN_DELAY_REFUSE = 1,	/* too soon; the stamp did not move */
	LOGIN_DELAY_ENOMEM = -1,
};

/*
 * A successful login of NAME at NOW_MS (a monotonic clock in ms).
 * DELAY_S == 0 allows always and records nothing.  Otherwise REFUSE if
 * NAME's last allowed login was less than DELAY_S seconds before NOW_MS,
 * else ALLOW and stamp it.
 */
int login_delay_check(struct login_delay *t, const char *name,
    unsigned delay_s, uint64_t now_ms);

#endif /* POLYPOP_LOGIN_DELAY_H */
