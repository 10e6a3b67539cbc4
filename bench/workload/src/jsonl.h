/* SPDX-License-Identifier: GPL-2.0-only */
/* One-line JSON records, each written as "APFWL <json>\n" in a single
 * write() so that a harness can pick them out of a serial console that the
 * guest kernel also prints to (one write keeps printk from splitting it). */
#ifndef APFWL_JSONL_H
#define APFWL_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JL_PREFIX "APFWL "
#define JL_MAX 65536   /* enough for 2 x 1024 per-thread rates */
#define JL_DEPTH 8

struct jl {
	char buf[JL_MAX];
	size_t len;
	bool overflow;          /* something did not fit: jl_finish fails */
	int depth;              /* open containers, the record itself is 1 */
	bool first[JL_DEPTH];   /* no comma before the next member */
};

/* Starts a record: {"type":"<type>" */
void jl_begin(struct jl *j, const char *type);
/* Members.  key is NULL for array elements. */
void jl_u64(struct jl *j, const char *key, uint64_t v);
void jl_i64(struct jl *j, const char *key, int64_t v);
/* A number with `decimals` digits after the point; NaN/inf become null. */
void jl_num(struct jl *j, const char *key, double v, int decimals);
void jl_str(struct jl *j, const char *key, const char *v);
void jl_bool(struct jl *j, const char *key, bool v);
void jl_obj_open(struct jl *j, const char *key);
void jl_obj_close(struct jl *j);
void jl_arr_open(struct jl *j, const char *key);
void jl_arr_close(struct jl *j);
/* Closes the record; returns the JSON text, or NULL if it overflowed or
 * its containers are unbalanced. */
const char *jl_finish(struct jl *j);
/* jl_finish plus one write of prefix+json+newline to fd.  On overflow it
 * writes an error record instead.  Returns 0, or -1 if the write failed. */
int jl_emit(struct jl *j, int fd);

/* Convenience records used on every path. */
int jl_emit_error(int fd, const char *message);
int jl_emit_done(int fd, int rc);

#endif
