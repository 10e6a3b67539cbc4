// SPDX-License-Identifier: GPL-2.0-only
/*
 * labexit: a KVM exit stressor for the lab's L1 host (lab.py stress).
 *
 * The lab's L1 host crashed with `current` read as 0 through %gs after
 * returning from L2 (tests/lab/README.md, "Stress").  Its benchmark runs
 * take minutes per crash; this makes the nested SVM state switch happen as
 * often as the emulator allows: every vCPU thread runs its own tiny VM (no
 * guest kernel: real-mode code at 0x1000) that touches 128 pages and exits
 * to user space with an OUT after every 16 of them; after every full sweep
 * the VMM drops the pages (MADV_DONTNEED), so the next sweep takes a nested
 * page fault exit per page inside L1's KVM.  Syscall threads keep L1's
 * user/kernel transitions (swapgs) going on the other CPUs.
 *
 *   labexit [-t SECS] [-v VCPU_THREADS] [-s SYSCALL_THREADS]
 *
 * Prints one line: LABEXIT: vcpus=N secs=S io_exits=N sweeps=N syscalls=N.
 * Exit status 0, or 1 with a message when KVM fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE   (1u << 20)
#define CODE_GPA   0x1000u
#define SWEEP_GPA  0x20000u
#define SWEEP_SIZE 0x80000u        /* 128 pages, 8 segments of 64 KiB */
#define SEGS_PER_SWEEP 8

/* Real-mode guest: for ds = 0x2000..0x9000, touch the 16 pages of the
 * segment, OUT to port 0x80 (exit to user space), next segment. */
extern const unsigned char guest_code[], guest_code_end[];
__asm__(".pushsection .rodata\n"
	".globl guest_code\n"
	"guest_code:\n"
	".code16\n"
	"1:	mov $0x2000, %ax\n"
	"3:	mov %ax, %ds\n"
	"	xor %bx, %bx\n"
	"	outb %al, $0x80\n"
	"2:	movb %al, (%bx)\n"
	"	add $0x1000, %bx\n"
	"	jnz 2b\n"
	"	mov %ds, %ax\n"
	"	add $0x1000, %ax\n"
	"	cmp $0xa000, %ax\n"
	"	jb 3b\n"
	"	jmp 1b\n"
	".code64\n"
	".globl guest_code_end\n"
	"guest_code_end:\n"
	".popsection\n");

static atomic_bool stop;
static atomic_ulong io_exits, sweeps, syscalls;
static int kvm_fd;

static void die(const char *what)
{
	fprintf(stderr, "labexit: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *vcpu_thread(void *arg)
{
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	struct kvm_run *run;
	unsigned long segs = 0;
	int vm, vcpu, mmap_size;
	unsigned char *mem;

	(void)arg;
	vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap guest memory");
	memcpy(mem + CODE_GPA, guest_code, (size_t)(guest_code_end - guest_code));
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS");
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS");

	while (!atomic_load(&stop)) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		if (run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "labexit: unexpected exit reason %u\n", run->exit_reason);
			exit(1);
		}
		atomic_fetch_add(&io_exits, 1);
		/* A full sweep done: drop the pages, so the next one faults. */
		if (++segs % SEGS_PER_SWEEP == 0) {
			if (madvise(mem + SWEEP_GPA, SWEEP_SIZE, MADV_DONTNEED) < 0)
				die("madvise");
			atomic_fetch_add(&sweeps, 1);
		}
	}
	munmap(run, (size_t)mmap_size);
	munmap(mem, MEM_SIZE);
	close(vcpu);
	close(vm);
	return NULL;
}

static void *syscall_thread(void *arg)
{
	unsigned long n = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		syscall(SYS_getppid);
		if (++n % 4096 == 0)
			sched_yield();
	}
	atomic_fetch_add(&syscalls, n);
	return NULL;
}

int main(int argc, char **argv)
{
	int secs = 30, nvcpu = 2, nsys = 1, opt, i;
	pthread_t th[64];
	int nth = 0;

	while ((opt = getopt(argc, argv, "t:v:s:")) != -1) {
		switch (opt) {
		case 't': secs = atoi(optarg); break;
		case 'v': nvcpu = atoi(optarg); break;
		case 's': nsys = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: labexit [-t SECS] [-v VCPU_THREADS] [-s SYSCALL_THREADS]\n");
			return 2;
		}
	}
	if (secs <= 0 || nvcpu < 1 || nsys < 0 || nvcpu + nsys > 64) {
		fprintf(stderr, "labexit: -t > 0, -v >= 1, -s >= 0, at most 64 threads\n");
		return 2;
	}
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("/dev/kvm");
	for (i = 0; i < nvcpu; i++)
		if (pthread_create(&th[nth++], NULL, vcpu_thread, NULL))
			die("pthread_create");
	for (i = 0; i < nsys; i++)
		if (pthread_create(&th[nth++], NULL, syscall_thread, NULL))
			die("pthread_create");
	sleep((unsigned int)secs);
	atomic_store(&stop, 1);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	printf("LABEXIT: vcpus=%d secs=%d io_exits=%lu sweeps=%lu syscalls=%lu\n", nvcpu, secs,
	       atomic_load(&io_exits), atomic_load(&sweeps), atomic_load(&syscalls));
	return 0;
}
