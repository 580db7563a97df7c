// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem pre-shared keys: an export may require initiators to prove they
 * hold its key.  The target sends a random challenge with its connection
 * reply; the initiator answers in HELLO with HMAC-SHA256(key, challenge ||
 * export name || operation), so a proof is good for one connection, one
 * export and one operation only, and the key never crosses the wire.
 */
#include <crypto/hash.h>
#include <crypto/algapi.h>	/* crypto_memneq() on 6.1 and 6.12 */
#include <linux/err.h>
#include <linux/string.h>

#include "compat.h"
#include "kpmem.h"
#include "rpmem.h"
#include "rpmem_wire.h"

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

/**
 * kpmem_auth_proof() - the proof of holding @key for one connection
 * @key: the key
 * @key_len: its length (valid, non-zero)
 * @challenge: the target's KPMEM_WIRE_CHALLENGE_LEN random bytes
 * @name: the export's name
 * @op: enum kpmem_pool_op
 * @proof: out, KPMEM_WIRE_PROOF_LEN bytes
 *
 * Sleeps (may load the hmac and sha256 modules).
 *
 * Return: 0 or a negative errno.
 */
int kpmem_auth_proof(const u8 *key, u32 key_len, const u8 *challenge, const char *name, u32 op,
		     u8 *proof)
{
	struct crypto_shash *tfm;
	__le32 wire_op = cpu_to_le32(op);
	int ret;

	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	ret = crypto_shash_setkey(tfm, key, key_len);
	if (!ret) {
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		ret = crypto_shash_init(desc);
		if (!ret)
			ret = crypto_shash_update(desc, challenge, KPMEM_WIRE_CHALLENGE_LEN);
		if (!ret)
			ret = crypto_shash_update(desc, name, strlen(name));
		if (!ret)
			ret = crypto_shash_update(desc, (const u8 *)&wire_op, sizeof(wire_op));
		if (!ret)
			ret = crypto_shash_final(desc, proof);
		shash_desc_zero(desc);
	}
	crypto_free_shash(tfm);
	return ret;
}

/**
 * kpmem_auth_check() - does @proof show that the initiator holds @key?
 * @key: the export's key
 * @key_len: its length (non-zero)
 * @challenge: what this connection was challenged with
 * @name: the export's name
 * @op: the operation HELLO asked for
 * @proof: the initiator's KPMEM_WIRE_PROOF_LEN bytes
 *
 * Return: 0, -EACCES, or another negative errno when it cannot be checked.
 */
int kpmem_auth_check(const u8 *key, u32 key_len, const u8 *challenge, const char *name, u32 op,
		     const u8 *proof)
{
	u8 want[KPMEM_WIRE_PROOF_LEN];
	int ret;

	ret = kpmem_auth_proof(key, key_len, challenge, name, op, want);
	if (!ret && crypto_memneq(want, proof, sizeof(want)))
		ret = -EACCES;
	memzero_explicit(want, sizeof(want));
	return ret;
}
