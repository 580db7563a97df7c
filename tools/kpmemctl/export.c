// SPDX-License-Identifier: BSD-3-Clause
/*
 * kpmemctl export-add / export-remove / export-list: the target's exports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kpmem_device.h"
#include "kpmemctl.h"

static int open_device(const char *cmd)
{
	char msg[KPMEM_MSG_MAX];
	int fd = kpmem_device_open(KPMEM_DEVICE_PATH, KPMEM_FEAT_RPMEM_TARGET, NULL, msg, sizeof(msg));

	if (fd < 0)
		fprintf(stderr, "kpmemctl %s: %s\n", cmd, msg);
	return fd;
}

/* "ADDR" or "ADDR/PREFIX", IPv4 or IPv6, numeric. */
static int parse_allow(const char *arg, struct kpmem_sockaddr *out)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *ai;
	char host[INET6_ADDRSTRLEN + 8], *slash, *end;
	size_t len = strlen(arg);
	long prefix = 0;

	if (len >= sizeof(host))
		return -1;
	memcpy(host, arg, len + 1);
	slash = strchr(host, '/');
	if (slash) {
		*slash = '\0';
		prefix = strtol(slash + 1, &end, 10);
		if (*end || prefix < 0 || prefix > 128)
			return -1;
	}
	if (getaddrinfo(host, NULL, &hints, &ai))
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = ai->ai_family;
	out->len = ai->ai_addrlen;
	out->prefix_len = prefix;
	memcpy(out->addr, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return (out->family == AF_INET && prefix <= 32) || out->family == AF_INET6 ? 0 : -1;
}

static const char *errno_reason(int err)
{
	switch (err) {
	case EPERM: return "permission denied (CAP_SYS_ADMIN required)";
	case EEXIST: return "an export with this name exists";
	case ENOENT: return "no such export";
	case EBUSY: return "an initiator is connected (use --force)";
	case ENODEV: return "backing is neither a device DAX device nor a regular file";
	case ERANGE: return "size is larger than the device";
	default: return strerror(err);
	}
}

/*
 * --key-file: the raw bytes (16 to 32) initiators must prove they hold
 * (librpmem reads the same file through KPMEM_RPMEM_KEY_FILE).  A file,
 * never the command line, where every user could read it.
 */
static int read_key(const char *path, struct kpmem_export_add *req)
{
	unsigned char buf[KPMEM_KEY_MAX + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "kpmemctl export-add: key file %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < KPMEM_KEY_MIN || n > KPMEM_KEY_MAX) {
		explicit_bzero(buf, sizeof(buf));
		fprintf(stderr, "kpmemctl export-add: key file %s: a key is %d to %d bytes\n", path,
			KPMEM_KEY_MIN, KPMEM_KEY_MAX);
		return -1;
	}
	memcpy(req->key, buf, n);
	req->key_len = n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int cmd_export_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "nohdrs", no_argument, NULL, 'n' },
		{ "allow", required_argument, NULL, 'a' },
		{ "key-file", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct kpmem_export_add req;
	int c, dev, fd;
	char *end;

	memset(&req, 0, sizeof(req));
	while ((c = getopt_long(argc, argv, "s:na:k:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			req.size = strtoull(optarg, &end, 0);
			if (*end == 'K' || *end == 'k')
				req.size <<= 10, end++;
			else if (*end == 'M' || *end == 'm')
				req.size <<= 20, end++;
			else if (*end == 'G' || *end == 'g')
				req.size <<= 30, end++;
			if (*end) {
				fprintf(stderr, "kpmemctl export-add: bad size '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n':
			req.flags |= KPMEM_EXPORT_NOHDRS;
			break;
		case 'a':
			if (req.nallow == KPMEM_EXPORT_ALLOW_MAX ||
			    parse_allow(optarg, &req.allow[req.nallow])) {
				fprintf(stderr, "kpmemctl export-add: bad or too many --allow '%s' (at most %d numeric ADDR[/PREFIX])\n",
					optarg, KPMEM_EXPORT_ALLOW_MAX);
				return 2;
			}
			req.nallow++;
			break;
		case 'k':
			if (read_key(optarg, &req))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: kpmemctl export-add NAME BACKING [--size BYTES[K|M|G]] [--nohdrs] [--allow ADDR[/PREFIX]]... [--key-file PATH]\n");
		return 2;
	}
	if (strlen(argv[optind]) > KPMEM_NAME_MAX) {
		fprintf(stderr, "kpmemctl export-add: name longer than %d characters\n", KPMEM_NAME_MAX);
		return 2;
	}
	snprintf(req.name, sizeof(req.name), "%s", argv[optind]);
	fd = open(argv[optind + 1], O_RDWR | O_CLOEXEC | O_CREAT, 0600);
	if (fd < 0) {
		fprintf(stderr, "kpmemctl export-add: %s: %s\n", argv[optind + 1], strerror(errno));
		return 1;
	}
	req.backing_fd = fd;
	dev = open_device("export-add");
	if (dev < 0) {
		close(fd);
		return 1;
	}
	c = ioctl(dev, KPMEM_IOC_EXPORT_ADD, &req);
	explicit_bzero(req.key, sizeof(req.key));
	if (c) {
		fprintf(stderr, "kpmemctl export-add: export '%s' on %s: %s\n", req.name,
			argv[optind + 1], errno_reason(errno));
		close(fd);
		close(dev);
		return 1;
	}
	close(fd);
	close(dev);
	return 0;
}

int cmd_export_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct kpmem_export_remove req;
	int c, dev;

	memset(&req, 0, sizeof(req));
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c != 'f')
			return 2;
		req.flags |= KPMEM_EXPORT_REMOVE_FORCE;
	}
	if (argc - optind != 1 || strlen(argv[optind]) > KPMEM_NAME_MAX) {
		fprintf(stderr, "usage: kpmemctl export-remove NAME [--force]\n");
		return 2;
	}
	snprintf(req.name, sizeof(req.name), "%s", argv[optind]);
	dev = open_device("export-remove");
	if (dev < 0)
		return 1;
	if (ioctl(dev, KPMEM_IOC_EXPORT_REMOVE, &req)) {
		fprintf(stderr, "kpmemctl export-remove: export '%s': %s\n", req.name,
			errno_reason(errno));
		close(dev);
		return 1;
	}
	close(dev);
	return 0;
}

static void format_addr(const struct kpmem_sockaddr *a, char *buf, size_t len)
{
	if (!a->family ||
	    getnameinfo((const struct sockaddr *)a->addr, a->len, buf, len, NULL, 0, NI_NUMERICHOST))
		snprintf(buf, len, "-");
}

static const char *kind_name(unsigned int kind)
{
	return kind == KPMEM_SOURCE_DEVDAX ? "devdax" : kind == KPMEM_SOURCE_FSDAX ? "fsdax" : "file";
}

int cmd_export_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kpmem_export_list req = { 0 };
	struct kpmem_export_info *infos = NULL;
	int c, dev, json = 0;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j')
			return 2;
		json = 1;
	}
	dev = open_device("export-list");
	if (dev < 0)
		return 1;
	/* The list may grow between the two calls: ask until it fits. */
	for (;;) {
		req.entries = (uintptr_t)infos;
		if (ioctl(dev, KPMEM_IOC_EXPORT_LIST, &req)) {
			fprintf(stderr, "kpmemctl export-list: %s\n", errno_reason(errno));
			free(infos);
			close(dev);
			return 1;
		}
		if (req.count <= req.capacity)
			break;
		free(infos);
		req.capacity = req.count + 4;
		infos = calloc(req.capacity, sizeof(*infos));
		if (!infos) {
			fprintf(stderr, "kpmemctl export-list: out of memory\n");
			close(dev);
			return 1;
		}
	}
	close(dev);

	if (json)
		printf("{\n  \"port\":%u,\n  \"exports\":[", req.port);
	else
		printf("listening on rdma_cm port: %s%.0u\n", req.port ? "" : "no", req.port);
	for (unsigned int i = 0; i < req.count; i++) {
		const struct kpmem_export_info *e = &infos[i];
		char peer[INET6_ADDRSTRLEN];

		format_addr(&e->peer, peer, sizeof(peer));
		if (json) {
			printf("%s\n    {\"name\":\"%s\",\"backing\":\"%s\",\"size\":%llu,"
			       "\"headers\":%s,\"pool\":%s,\"state\":\"%s\",\"peer\":\"%s\","
			       "\"allow\":%u,\"key\":%s,\"connections\":%llu,\"rejected\":%llu,"
			       "\"persists\":%llu,\"bytes_persisted\":%llu,\"reads\":%llu,"
			       "\"errors\":%llu,\"deep_flush\":%s,\"deep_flushes\":%llu}",
			       i ? "," : "", e->name, kind_name(e->backing_kind),
			       (unsigned long long)e->size,
			       e->flags & KPMEM_EXPORT_NOHDRS ? "false" : "true",
			       e->flags & KPMEM_EXPORT_HAS_POOL ? "true" : "false",
			       e->state == KPMEM_EXPORT_CONNECTED ? "connected" : "idle", peer,
			       e->nallow, e->flags & KPMEM_EXPORT_HAS_KEY ? "true" : "false",
			       (unsigned long long)e->connections,
			       (unsigned long long)e->rejected, (unsigned long long)e->persists,
			       (unsigned long long)e->bytes_persisted,
			       (unsigned long long)e->reads, (unsigned long long)e->errors,
			       e->flags & KPMEM_EXPORT_DEEP_FLUSH ? "true" : "false",
			       (unsigned long long)e->deep_flushes);
		} else {
			printf("%s: %s, %llu bytes%s%s, %s%s%s, %llu persists, %llu reads, %llu errors\n",
			       e->name, kind_name(e->backing_kind), (unsigned long long)e->size,
			       e->flags & KPMEM_EXPORT_NOHDRS ? ", no header" : "",
			       e->flags & KPMEM_EXPORT_HAS_KEY ? ", key required" : "",
			       e->flags & KPMEM_EXPORT_HAS_POOL ? "pool, " : "no pool, ",
			       e->state == KPMEM_EXPORT_CONNECTED ? "connected from " : "idle",
			       e->state == KPMEM_EXPORT_CONNECTED ? peer : "",
			       (unsigned long long)e->persists, (unsigned long long)e->reads,
			       (unsigned long long)e->errors);
		}
	}
	if (json)
		printf("%s]\n}\n", req.count ? "\n  " : "");
	free(infos);
	return 0;
}
