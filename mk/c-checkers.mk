# SPDX-License-Identifier: GPL-2.0-only
# The dynamic checkers every C component's tests run under (tools/apfctl,
# bench/harness, bench/workload), in one place so they stay alike.

ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=all

# --fair-sched: valgrind runs one thread at a time and by default a
# spinning thread can keep another from waking for seconds, which shifts
# the timing the multi-threaded tests look at (seen in CI).
VALGRIND := valgrind -q --fair-sched=yes --leak-check=full \
	    --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99

# $(call valgrind_units,BINARIES): each unit test binary under valgrind.
valgrind_units = @set -e; for t in $(1); do $(VALGRIND) $$t >/dev/null; done; \
	echo "valgrind: unit tests clean"
