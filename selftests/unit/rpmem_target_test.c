// SPDX-License-Identifier: GPL-2.0
/*
 * librpmem target strings on the host: every form PMDK accepts, what each
 * part becomes, every malformed form (EINVAL plus a message naming the
 * string), and resolution into the struct kpmem_sockaddr the module gets.
 * Linked against the library's objects, since the parser is internal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "kselftest_harness.h"
#include "librpmem.h"
#include "target.h"

/* @user NULL: no '@' in the string; @port 0: no port in the string. */
static void check_parses(struct __test_metadata *_metadata, const char *str,
			 const char *user, const char *host, unsigned port)
{
	struct rpmem_target t;

	ASSERT_EQ(0, rpmem_target_parse(str, &t)) TH_LOG("%s: %s", str, rpmem_errormsg());
	ASSERT_STREQ(host, t.host);
	ASSERT_EQ(user != NULL, t.has_user);
	if (user) {
		ASSERT_STREQ(user, t.user);
	}
	ASSERT_EQ(port != 0, t.has_port);
	ASSERT_EQ(port ? port : KPMEM_DEFAULT_PORT, t.port);
}

#define ASSERT_PARSES(str, user, host, port) check_parses(_metadata, str, user, host, port)

/* EINVAL, and a message that quotes the string (when there is one). */
#define ASSERT_REJECTS(str, what) do {							\
	struct rpmem_target t;								\
	errno = 0;									\
	ASSERT_EQ(-1, rpmem_target_parse(str, &t)) TH_LOG("accepted '%s'", (const char *)(str)); \
	ASSERT_EQ(EINVAL, errno);							\
	ASSERT_NE(NULL, strstr(rpmem_errormsg(), what)) TH_LOG("message: %s", rpmem_errormsg()); \
} while (0)

TEST(host_alone_uses_the_default_port)
{
	ASSERT_PARSES("node1", NULL, "node1", 0);
	ASSERT_PARSES("10.77.0.2", NULL, "10.77.0.2", 0);
}

TEST(host_with_port)
{
	ASSERT_PARSES("node1:1234", NULL, "node1", 1234);
	ASSERT_PARSES("10.77.0.2:7441", NULL, "10.77.0.2", 7441);
	ASSERT_PARSES("h:1", NULL, "h", 1);
	ASSERT_PARSES("h:65535", NULL, "h", 65535);
	ASSERT_PARSES("h:007", NULL, "h", 7);
}

TEST(user_is_accepted_and_kept_apart)
{
	ASSERT_PARSES("alice@node1", "alice", "node1", 0);
	ASSERT_PARSES("alice@node1:22", "alice", "node1", 22);
	ASSERT_PARSES("alice@[::1]:9", "alice", "::1", 9);
	/* PMDK splits at the first '@' and does not forbid an empty user. */
	ASSERT_PARSES("@node1", "", "node1", 0);
}

TEST(user_of_32_characters_is_accepted_33_is_not)
{
	ASSERT_PARSES("uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu@h", "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu", "h", 0);
	ASSERT_REJECTS("uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu@h", "user longer than 32");
}

TEST(bracketed_ipv6_with_and_without_port)
{
	ASSERT_PARSES("[::1]", NULL, "::1", 0);
	ASSERT_PARSES("[fe80::1%eth0]", NULL, "fe80::1%eth0", 0);
	ASSERT_PARSES("[2001:db8::7]:7440", NULL, "2001:db8::7", 7440);
}

TEST(bare_ipv6_is_the_whole_host)
{
	ASSERT_PARSES("::1", NULL, "::1", 0);
	ASSERT_PARSES("fe80::1", NULL, "fe80::1", 0);
	/* Two or more ':' never split off a port, even if it looks like one. */
	ASSERT_PARSES("2001:db8::1:7440", NULL, "2001:db8::1:7440", 0);
	ASSERT_PARSES("u@fe80::2", "u", "fe80::2", 0);
}

TEST(null_and_empty_hosts_are_einval)
{
	struct rpmem_target t;

	errno = 0;
	ASSERT_EQ(-1, rpmem_target_parse(NULL, &t));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_STRNE("", rpmem_errormsg());

	ASSERT_REJECTS("", "empty host");
	ASSERT_REJECTS("user@", "empty host");
	ASSERT_REJECTS("@", "empty host");
	ASSERT_REJECTS(":7440", "empty host");
	ASSERT_REJECTS("[]", "empty host");
	ASSERT_REJECTS("[]:7440", "empty host");
	ASSERT_REJECTS("u@[]", "empty host");
}

TEST(malformed_brackets_are_einval)
{
	ASSERT_REJECTS("[::1", "'[' without ']'");
	ASSERT_REJECTS("u@[::1:7440", "'[' without ']'");
	ASSERT_REJECTS("[::1]7440", "only ':port'");
	ASSERT_REJECTS("[::1]x", "only ':port'");
	ASSERT_REJECTS("[::1]:", "empty port");
}

TEST(bad_ports_are_einval)
{
	ASSERT_REJECTS("h:", "empty port");
	ASSERT_REJECTS("h:0", "outside 1..65535");
	ASSERT_REJECTS("h:65536", "outside 1..65535");
	ASSERT_REJECTS("h:99999999999999999999999", "outside 1..65535");
	ASSERT_REJECTS("h:12a", "not a decimal number");
	ASSERT_REJECTS("h:-1", "not a decimal number");
	ASSERT_REJECTS("h:+1", "not a decimal number");
	ASSERT_REJECTS("h: 1", "not a decimal number");
	ASSERT_REJECTS("h:ssh", "not a decimal number");
	ASSERT_REJECTS("[::1]:x", "not a decimal number");
}

TEST(messages_quote_the_target)
{
	ASSERT_REJECTS("node9:0", "target 'node9:0'");
}

TEST(overlong_host_is_einval)
{
	char s[NI_MAXHOST + 8];

	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	ASSERT_REJECTS(s, "host longer than");

	/* The longest host that fits is fine. */
	s[NI_MAXHOST - 1] = '\0';
	ASSERT_PARSES(s, NULL, s, 0);
}

TEST(numeric_ipv4_resolves_with_port_in_network_order)
{
	struct kpmem_sockaddr sa;
	struct rpmem_target t;
	struct sockaddr_in sin;

	memset(&sa, 0xff, sizeof(sa));
	ASSERT_EQ(0, rpmem_target_parse("127.0.0.1:9000", &t));
	ASSERT_EQ(0, rpmem_target_resolve(&t, &sa)) TH_LOG("%s", rpmem_errormsg());
	ASSERT_EQ(AF_INET, sa.family);
	ASSERT_EQ(sizeof(struct sockaddr_in), (size_t)sa.len);
	ASSERT_EQ(0U, sa.prefix_len);
	ASSERT_EQ(0U, sa.reserved);
	memcpy(&sin, sa.addr, sizeof(sin));
	ASSERT_EQ(AF_INET, sin.sin_family);
	ASSERT_EQ(htons(9000), sin.sin_port);
	ASSERT_EQ(htonl(INADDR_LOOPBACK), sin.sin_addr.s_addr);
	/* Unused address bytes are zero, not left over. */
	for (size_t i = sizeof(sin); i < sizeof(sa.addr); i++) {
		ASSERT_EQ(0, sa.addr[i]);
	}
}

TEST(ipv6_resolves_with_default_port)
{
	struct kpmem_sockaddr sa;
	struct rpmem_target t;
	struct sockaddr_in6 sin6;

	ASSERT_EQ(0, rpmem_target_parse("user@[::1]", &t));
	ASSERT_EQ(0, rpmem_target_resolve(&t, &sa)) TH_LOG("%s", rpmem_errormsg());
	ASSERT_EQ(AF_INET6, sa.family);
	ASSERT_EQ(sizeof(struct sockaddr_in6), (size_t)sa.len);
	memcpy(&sin6, sa.addr, sizeof(sin6));
	ASSERT_EQ(htons(KPMEM_DEFAULT_PORT), sin6.sin6_port);
	ASSERT_EQ(0, memcmp(&sin6.sin6_addr, &in6addr_loopback, sizeof(in6addr_loopback)));

	ASSERT_EQ(0, rpmem_target_parse("::1", &t));
	ASSERT_EQ(0, rpmem_target_resolve(&t, &sa));
	ASSERT_EQ(AF_INET6, sa.family);
}

TEST(ipv6_scope_id_is_kept)
{
	struct kpmem_sockaddr sa;
	struct rpmem_target t;
	struct sockaddr_in6 sin6;
	unsigned lo = if_nametoindex("lo");

	ASSERT_NE(0U, lo) TH_LOG("no loopback interface");
	ASSERT_EQ(0, rpmem_target_parse("[fe80::1%lo]:7000", &t));
	ASSERT_EQ(0, rpmem_target_resolve(&t, &sa)) TH_LOG("%s", rpmem_errormsg());
	memcpy(&sin6, sa.addr, sizeof(sin6));
	ASSERT_EQ(lo, sin6.sin6_scope_id);
	ASSERT_EQ(htons(7000), sin6.sin6_port);
}

TEST(host_names_resolve)
{
	struct kpmem_sockaddr sa;
	struct rpmem_target t;

	ASSERT_EQ(0, rpmem_target_parse("localhost", &t));
	ASSERT_EQ(0, rpmem_target_resolve(&t, &sa)) TH_LOG("localhost: %s", rpmem_errormsg());
	ASSERT_TRUE(sa.family == AF_INET || sa.family == AF_INET6);
}

TEST(unresolvable_host_fails_naming_it)
{
	struct kpmem_sockaddr sa;
	struct rpmem_target t;

	ASSERT_EQ(0, rpmem_target_parse("no-such-host.invalid", &t));
	errno = 0;
	ASSERT_EQ(-1, rpmem_target_resolve(&t, &sa));
	/* EAGAIN when no resolver answers at all. */
	ASSERT_TRUE(errno == EHOSTUNREACH || errno == EAGAIN) TH_LOG("errno %d", errno);
	ASSERT_NE(NULL, strstr(rpmem_errormsg(), "'no-such-host.invalid'"))
		TH_LOG("message: %s", rpmem_errormsg());
}

TEST_HARNESS_MAIN
