// SPDX-License-Identifier: GPL-2.0-only
/* apf-workload: the guest side of the APF overcommit benchmark.  Runs as an
 * ordinary program, or as /init of an initramfs when it is PID 1. */
#include <unistd.h>

#include "pid1.h"
#include "run.h"

int main(int argc, char **argv)
{
	if (getpid() == 1)
		wl_pid1_main(argc, argv);
	return wl_main(argc, argv, STDOUT_FILENO);
}
