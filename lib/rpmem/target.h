/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The target string of rpmem_create/open/remove: where a kpmem target
 * listens.  Forms (PMDK's): [user@]host[:port], [user@][IPv6][:port], and a
 * bare IPv6 address (more than one ':'), which is the host as a whole.
 * There is no ssh, so the user is accepted and ignored, and the port is the
 * target's rdma_cm port rather than an ssh port.
 */
#ifndef RPMEM_TARGET_H
#define RPMEM_TARGET_H

#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/kpmem.h>

/* PMDK's limit on the user part. */
#define RPMEM_TARGET_USER_MAX 32

struct rpmem_target {
	char user[RPMEM_TARGET_USER_MAX + 1];
	char host[NI_MAXHOST];
	uint16_t port;		/* KPMEM_DEFAULT_PORT unless given */
	bool has_user;
	bool has_port;
};

/**
 * rpmem_target_parse() - split a target string
 * @str: the target string
 * @t: receives the parts
 *
 * Return: 0, or -1 with errno EINVAL and the message set: NULL or empty
 * host, user longer than RPMEM_TARGET_USER_MAX, host longer than
 * NI_MAXHOST - 1, '[' without ']', anything but ":port" after ']', a port
 * that is empty, not decimal or outside 1..65535.
 */
int rpmem_target_parse(const char *str, struct rpmem_target *t);

/**
 * rpmem_target_resolve() - the socket address to connect to
 * @t: a parsed target
 * @sa: receives the first AF_INET or AF_INET6 address of @t->host with
 *	@t->port, prefix_len 0
 *
 * Return: 0, or -1 with errno and the message set: EHOSTUNREACH when the
 * host has no IPv4/IPv6 address, EAGAIN for a temporary resolver failure,
 * ENOMEM, or the resolver's errno.
 */
int rpmem_target_resolve(const struct rpmem_target *t, struct kpmem_sockaddr *sa);

#endif /* RPMEM_TARGET_H */
