// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for the pair's QEMUs: every TCP socket they create or
 * accept gets TCP_NODELAY.  QEMU 7.2's socket netdev leaves Nagle on, so a
 * small frame sent while an earlier one was unacknowledged waited for the
 * host's delayed ACK: about 40 ms a round trip between the guests, for
 * every small RDMA message.  (Its UDP netdev avoids Nagle but drops
 * bursts until RC retries give up.)
 */
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void nodelay(int fd)
{
	int one = 1, type = 0;
	socklen_t len = sizeof(type);

	/* Not TCP (or not a socket): setsockopt fails, and that is fine. */
	if (fd >= 0 && !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) && type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	int fd;

	if (!real)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	fd = real(domain, type, protocol);
	if (domain == AF_INET || domain == AF_INET6)
		nodelay(fd);
	return fd;
}

int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	int fd;

	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	fd = real(sockfd, addr, addrlen, flags);
	nodelay(fd);
	return fd;
}

int accept(int sockfd, struct sockaddr *addr, socklen_t *addrlen)
{
	return accept4(sockfd, addr, addrlen, 0);
}
