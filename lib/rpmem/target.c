// SPDX-License-Identifier: BSD-3-Clause
/*
 * Parsing and resolving target strings.  Parsing is pure (no I/O) so every
 * form can be tested on its own; resolution uses getaddrinfo, so host
 * names, numeric addresses and IPv6 scope ids ("fe80::1%eth0") all work.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "target.h"

static int parse_port(const char *str, const char *p, uint16_t *port)
{
	unsigned long v = 0;
	const char *c;

	if (*p == '\0')
		return rpmem_fail(EINVAL, "target '%.200s': empty port", str);
	for (c = p; *c; c++) {
		if (*c < '0' || *c > '9')
			return rpmem_fail(EINVAL, "target '%.200s': port '%s' is not a decimal number",
					  str, p);
		v = v * 10 + (unsigned long)(*c - '0');
		if (v > 65535)
			break;
	}
	if (v == 0 || v > 65535)
		return rpmem_fail(EINVAL, "target '%.200s': port '%s' is outside 1..65535", str, p);
	*port = (uint16_t)v;
	return 0;
}

static int set_host(const char *str, struct rpmem_target *t, const char *host, size_t len)
{
	if (len == 0)
		return rpmem_fail(EINVAL, "target '%.200s': empty host", str);
	if (len >= sizeof(t->host))
		return rpmem_fail(EINVAL, "target '%.200s': host longer than %zu characters",
				  str, sizeof(t->host) - 1);
	memcpy(t->host, host, len);
	t->host[len] = '\0';
	return 0;
}

int rpmem_target_parse(const char *str, struct rpmem_target *t)
{
	const char *node, *at, *colon, *port = NULL;
	size_t len;

	memset(t, 0, sizeof(*t));
	t->port = KPMEM_DEFAULT_PORT;
	if (!str)
		return rpmem_fail(EINVAL, "target is NULL");

	/* The first '@' ends the user, as in PMDK. */
	at = strchr(str, '@');
	if (at) {
		len = (size_t)(at - str);
		if (len > RPMEM_TARGET_USER_MAX)
			return rpmem_fail(EINVAL, "target '%.200s': user longer than %d characters",
					  str, RPMEM_TARGET_USER_MAX);
		memcpy(t->user, str, len);
		t->user[len] = '\0';
		t->has_user = true;
		node = at + 1;
	} else {
		node = str;
	}

	if (node[0] == '[') {
		const char *close = strchr(node, ']');

		if (!close)
			return rpmem_fail(EINVAL, "target '%.200s': '[' without ']'", str);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return rpmem_fail(EINVAL, "target '%.200s': only ':port' may follow ']'", str);
		if (set_host(str, t, node + 1, (size_t)(close - node - 1)))
			return -1;
	} else {
		colon = strchr(node, ':');
		/* Exactly one ':' separates a port; more make a bare IPv6 address. */
		if (colon && colon == strrchr(node, ':')) {
			port = colon + 1;
			len = (size_t)(colon - node);
		} else {
			len = strlen(node);
		}
		if (set_host(str, t, node, len))
			return -1;
	}

	if (port) {
		if (parse_port(str, port, &t->port))
			return -1;
		t->has_port = true;
	}
	return 0;
}

static int gai_errno(int rc)
{
	switch (rc) {
	case EAI_AGAIN:
		return EAGAIN;
	case EAI_MEMORY:
		return ENOMEM;
	case EAI_SYSTEM:
		return errno ? errno : EIO;
	default:
		/* EAI_NONAME, EAI_NODATA, EAI_ADDRFAMILY, EAI_FAIL: nowhere to go. */
		return EHOSTUNREACH;
	}
}

int rpmem_target_resolve(const struct rpmem_target *t, struct kpmem_sockaddr *sa)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	/* One entry per address instead of one per socket type. */
	hints.ai_socktype = SOCK_STREAM;
	errno = 0;
	rc = getaddrinfo(t->host, NULL, &hints, &res);
	if (rc) {
		int err = gai_errno(rc);

		return rpmem_fail(err, "cannot resolve target host '%s': %s", t->host,
				  rc == EAI_SYSTEM ? strerror(err) : gai_strerror(rc));
	}

	for (ai = res; ai; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(sa->addr))
			break;
	if (!ai) {
		freeaddrinfo(res);
		return rpmem_fail(EHOSTUNREACH, "target host '%s' has no IPv4 or IPv6 address",
				  t->host);
	}

	/* Set the port in a properly typed copy, then store it as bytes. */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	if (ai->ai_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(t->port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(t->port);
	memset(sa, 0, sizeof(*sa));
	sa->family = (uint16_t)ai->ai_family;
	sa->len = (uint16_t)ai->ai_addrlen;
	memcpy(sa->addr, &ss, ai->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}
