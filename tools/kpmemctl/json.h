/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small strict JSON reader and a string writer, for kpmemctl's saved
 * exports (/etc/kpmem/exports.json) and its per-export records.
 *
 * The reader takes RFC 8259 JSON and nothing else: no comments, no
 * trailing commas, no byte order mark, no leading zeros, no NaN, only
 * space/tab/CR/LF between tokens, valid UTF-8 in strings, no duplicate keys
 * in an object, no NUL character in a string.  Values nest at most
 * JSON_MAX_DEPTH deep.  An error names the line and column where the input
 * stopped making sense.
 */
#ifndef KPMEMCTL_JSON_H
#define KPMEMCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	32

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/**
 * struct json_value - one parsed value
 * @type: what it is
 * @line: line of its first character (from 1)
 * @column: column of its first character (from 1, in bytes)
 * @text: JSON_STRING: the decoded UTF-8, NUL-terminated; JSON_NUMBER: the
 *	number as written
 * @count: JSON_ARRAY, JSON_OBJECT: number of members
 * @items: JSON_ARRAY: the elements; JSON_OBJECT: the members' values
 * @keys: JSON_OBJECT: the members' names, in the order written
 */
struct json_value {
	enum json_type type;
	unsigned int line;
	unsigned int column;
	char *text;
	size_t count;
	struct json_value *items;
	char **keys;
};

/**
 * json_parse() - parse one JSON text
 * @buf: the text (need not be NUL-terminated)
 * @len: its length
 * @out: receives the value (free with json_free())
 * @err: receives "line L, column C: what is wrong" on failure
 * @errlen: size of @err
 *
 * Return: 0, -EINVAL on a syntax error, -ENOMEM.
 */
int json_parse(const char *buf, size_t len, struct json_value **out, char *err, size_t errlen);

/** json_free() - free what json_parse() returned (NULL is fine) */
void json_free(struct json_value *v);

/** json_member() - @obj's member @key, or NULL (also when @obj is no object) */
const struct json_value *json_member(const struct json_value *obj, const char *key);

/**
 * json_to_u64() - a JSON number that is a non-negative integer
 * @v: the value
 * @out: receives it
 *
 * Return: 0, or -EINVAL when @v is no number, has a sign, fraction or
 * exponent, or does not fit 64 bits.
 */
int json_to_u64(const struct json_value *v, uint64_t *out);

/** json_type_name() - "a string", "an object", ...: for messages */
const char *json_type_name(enum json_type type);

/** json_utf8_valid() - is @s valid UTF-8 (what a JSON string may hold)? */
bool json_utf8_valid(const char *s);

/**
 * json_put_string() - write @s to @f as a JSON string, quoted and escaped
 * @f: the stream
 * @s: valid UTF-8 (check with json_utf8_valid())
 *
 * Quotes, backslashes and control characters are escaped; other
 * characters are written as they are.
 */
void json_put_string(FILE *f, const char *s);

#endif /* KPMEMCTL_JSON_H */
