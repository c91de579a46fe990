/* TCP connect over IPv4 or IPv6 with a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conform.h"

int
net_connect(const char *host, const char *port, int timeout_ms, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct pollfd pfd;
	socklen_t sl;
	int fd = -1, rc, soerr = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s port %s: %s", host, port,
		    gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "%s port %s: no address", host, port);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc < 0 && errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			rc = poll(&pfd, 1, timeout_ms);
			if (rc == 0) {
				errno = ETIMEDOUT;
				rc = -1;
			} else if (rc > 0) {
				sl = sizeof(soerr);
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
				    &sl);
				errno = soerr;
				rc = soerr ? -1 : 0;
			}
		}
		if (rc == 0)
			break;
		snprintf(err, errlen, "%s port %s: %s", host, port,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}
