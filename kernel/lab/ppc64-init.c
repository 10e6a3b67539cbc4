// SPDX-License-Identifier: GPL-2.0-only
/*
 * /init of the powernv9 run of async_pf_test (scripts/ppc64-pnv-selftest.sh):
 * mounts /dev, /proc and /sys, runs the test, prints its exit status and
 * powers the machine off.
 */
#include <stdio.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int st = 0;
	pid_t pid;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	pid = fork();
	if (!pid) {
		execl("/async_pf_test", "async_pf_test", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("APF-TEST-EXIT %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
