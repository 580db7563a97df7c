// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem authentication with pre-shared keys (the wire side is described
 * in rpmem_wire.h).
 *
 * Both ends of a connection contribute a random nonce.  From the export's
 * key and both nonces each derives a connection key with HKDF-SHA256
 * (RFC 5869), so nothing computed for one connection is worth anything on
 * another.  The initiator's HELLO MAC covers both addresses as the
 * initiator sees them and everything HELLO asks for; the target's reply
 * MAC covers everything the reply grants and the initiator's MAC.  Neither
 * side learns anything it can replay or relay, and neither accepts the
 * other's answers without its proof.  The key never crosses the wire.
 */
#include <crypto/algapi.h>	/* crypto_memneq() on 6.1 and 6.12 */
#include <crypto/hash.h>
#include <linux/err.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/string.h>

#include "compat.h"
#include "kpmem.h"
#include "rpmem.h"
#include "rpmem_wire.h"

static const char kpmem_auth_key_info[] = "kpmem v4 connection key";
static const char kpmem_auth_hello_label[] = "kpmem v4 hello";
static const char kpmem_auth_reply_label[] = "kpmem v4 hello reply";

/**
 * kpmem_auth_key_ok() - is this a key (or the absence of one)?
 * @key: KPMEM_KEY_MAX bytes
 * @key_len: 0 (no key) or KPMEM_KEY_MIN..KPMEM_KEY_MAX
 *
 * Return: true when @key_len is valid and the bytes past it are zero.
 */
bool kpmem_auth_key_ok(const u8 *key, u32 key_len)
{
	if (key_len && (key_len < KPMEM_KEY_MIN || key_len > KPMEM_KEY_MAX))
		return false;
	return !memchr_inv(key + key_len, 0, KPMEM_KEY_MAX - key_len);
}

struct kpmem_auth_part {
	const void *data;
	size_t len;
};

/* HMAC-SHA256 under @key of the concatenated @parts into @out (32 bytes). */
static int kpmem_hmac(const u8 *key, u32 key_len, const struct kpmem_auth_part *parts,
		      unsigned int nparts, u8 *out)
{
	struct crypto_shash *tfm;
	unsigned int i;
	int ret;

	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	ret = crypto_shash_setkey(tfm, key, key_len);
	if (!ret) {
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		ret = crypto_shash_init(desc);
		for (i = 0; !ret && i < nparts; i++)
			ret = crypto_shash_update(desc, parts[i].data, parts[i].len);
		if (!ret)
			ret = crypto_shash_final(desc, out);
		shash_desc_zero(desc);
	}
	crypto_free_shash(tfm);
	return ret;
}

/**
 * kpmem_auth_conn_key() - the connection key: HKDF-SHA256 of the export key
 * @psk: the export's key
 * @psk_len: its length (valid, non-zero)
 * @nonce_i: the initiator's KPMEM_WIRE_NONCE_LEN bytes
 * @nonce_t: the target's
 * @key: out, KPMEM_WIRE_MAC_LEN bytes
 *
 * Extract with both nonces as the salt, expand one block with a label.
 * Sleeps (may load the hmac and sha256 modules).
 *
 * Return: 0 or a negative errno.
 */
int kpmem_auth_conn_key(const u8 *psk, u32 psk_len, const u8 *nonce_i, const u8 *nonce_t,
			u8 *key)
{
	u8 salt[2 * KPMEM_WIRE_NONCE_LEN], prk[KPMEM_WIRE_MAC_LEN];
	static const u8 counter = 1;
	struct kpmem_auth_part extract = { psk, psk_len };
	struct kpmem_auth_part expand[] = {
		{ kpmem_auth_key_info, sizeof(kpmem_auth_key_info) - 1 },
		{ &counter, 1 },
	};
	int ret;

	memcpy(salt, nonce_i, KPMEM_WIRE_NONCE_LEN);
	memcpy(salt + KPMEM_WIRE_NONCE_LEN, nonce_t, KPMEM_WIRE_NONCE_LEN);
	ret = kpmem_hmac(salt, sizeof(salt), &extract, 1, prk);
	if (!ret)
		ret = kpmem_hmac(prk, sizeof(prk), expand, ARRAY_SIZE(expand), key);
	memzero_explicit(prk, sizeof(prk));
	return ret;
}

/* An address as the 16 bytes of its IPv6 form (IPv4 mapped), for MACs. */
static void kpmem_auth_addr(const struct sockaddr *sa, u8 *out)
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else if (sa->sa_family == AF_INET) {
		out[10] = 0xff;
		out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

/**
 * kpmem_auth_hello_mac() - the initiator's proof in HELLO
 * @key: the connection key
 * @initiator: the initiator's address
 * @target: the target's address
 * @hello: the HELLO; its @mac field is not covered
 * @mac: out, KPMEM_WIRE_MAC_LEN bytes
 *
 * Return: 0 or a negative errno.
 */
int kpmem_auth_hello_mac(const u8 *key, const struct sockaddr *initiator,
			 const struct sockaddr *target, const struct kpmem_wire_hello *hello,
			 u8 *mac)
{
	u8 addrs[32];
	struct kpmem_auth_part parts[] = {
		{ kpmem_auth_hello_label, sizeof(kpmem_auth_hello_label) - 1 },
		{ addrs, sizeof(addrs) },
		{ hello, offsetof(struct kpmem_wire_hello, mac) },
	};

	BUILD_BUG_ON(offsetofend(struct kpmem_wire_hello, mac) != sizeof(*hello));
	kpmem_auth_addr(initiator, addrs);
	kpmem_auth_addr(target, addrs + 16);
	return kpmem_hmac(key, KPMEM_WIRE_MAC_LEN, parts, ARRAY_SIZE(parts), mac);
}

/**
 * kpmem_auth_reply_mac() - the target's proof in the HELLO reply
 * @key: the connection key
 * @hello_mac: the initiator's MAC it answers
 * @reply: the reply; its @mac field is not covered
 * @segs: the segments following it
 * @nsegs: how many
 * @mac: out, KPMEM_WIRE_MAC_LEN bytes
 *
 * Return: 0 or a negative errno.
 */
int kpmem_auth_reply_mac(const u8 *key, const u8 *hello_mac,
			 const struct kpmem_wire_hello_reply *reply,
			 const struct kpmem_wire_seg *segs, u32 nsegs, u8 *mac)
{
	struct kpmem_auth_part parts[] = {
		{ kpmem_auth_reply_label, sizeof(kpmem_auth_reply_label) - 1 },
		{ hello_mac, KPMEM_WIRE_MAC_LEN },
		{ reply, offsetof(struct kpmem_wire_hello_reply, mac) },
		{ segs, (size_t)nsegs * sizeof(*segs) },
	};

	BUILD_BUG_ON(offsetofend(struct kpmem_wire_hello_reply, mac) != sizeof(*reply));
	return kpmem_hmac(key, KPMEM_WIRE_MAC_LEN, parts, ARRAY_SIZE(parts), mac);
}

/**
 * kpmem_auth_mac_equal() - compare two MACs in constant time
 * @a: KPMEM_WIRE_MAC_LEN bytes
 * @b: KPMEM_WIRE_MAC_LEN bytes
 *
 * Return: true when they are equal.
 */
bool kpmem_auth_mac_equal(const u8 *a, const u8 *b)
{
	return !crypto_memneq(a, b, KPMEM_WIRE_MAC_LEN);
}
