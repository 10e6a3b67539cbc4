/* SPDX-License-Identifier: GPL-2.0-only */
/* The machine a result came from: host, CPU, memory, kernel, KVM
 * parameters, QEMU, swap devices (results.json "machine"). */
#ifndef BENCH_MACHINE_H
#define BENCH_MACHINE_H

#include <stddef.h>

#include "preflight.h"

struct json_object;

struct json_object *bench_machine_json(const struct bench_env *e);
/* Host name for the default results directory ("host" when unknown). */
void bench_hostname(char *buf, size_t cap);

#endif
