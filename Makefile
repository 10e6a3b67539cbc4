# SPDX-License-Identifier: GPL-2.0-only
# APF Suite top-level driver.  Each component keeps its own Makefile; this
# one wires them together.  Heavier tiers (kernel, QEMU, lab, packages,
# bench) get their own targets as their components land.

APFCTL_DIR := tools/apfctl
APFCTL     := $(APFCTL_DIR)/build/apfctl

.PHONY: all deps run check check-apfctl install clean bench-apfctl help

all:
	$(MAKE) -C $(APFCTL_DIR) all
	$(MAKE) -C tools/apf-boot all

help:
	@echo "make deps      install build/test dependencies (root, Debian 12)"
	@echo "make run       build and run 'apfctl status' on this machine"
	@echo "make check     every test tier that runs on this machine"
	@echo "make install   install into DESTDIR/PREFIX"
	@echo "make bench-apfctl  apfctl's own benchmark (bench/results/; BASELINE=REV compares)"
	@echo "make rebase    move the kernel and QEMU bases to Debian's newest (see README)"
	@echo "make arm64-packages / arm64-install-check  arm64 .debs and aarch64 RPMs in the repositories; the .debs installed in an arm64 root (README)"

# Debian packages for building and testing (idempotent).
deps:
	scripts/install-deps

# The main job: what APF support does this machine have, and its VMs.
run: all
	scripts/mount-kernel-fs
	$(APFCTL) status

check: check-apfctl check-apf-boot

check-apfctl:
	scripts/mount-kernel-fs
	$(MAKE) -C $(APFCTL_DIR) check

install:
	$(MAKE) -C $(APFCTL_DIR) install
	$(MAKE) -C tools/apf-boot install

# apf-boot (issue 14): the APF kernel as boot default and kexec target, the
# kvm module options in modprobe.d.
.PHONY: check-apf-boot
check-apf-boot:
	$(MAKE) -C tools/apf-boot check

# BASELINE=REV: the same benchmark against libapf of REV first, and the
# ratios (bench/apfctl/run-bench --baseline).
bench-apfctl: all
	bench/apfctl/run-bench $(if $(BASELINE),--baseline $(BASELINE))

clean:
	$(MAKE) -C $(APFCTL_DIR) clean
	$(MAKE) -C tools/apf-boot clean

# --- kernel/ (issue 2): host and guest APF series, lab kernels, packages ---
.PHONY: kernel-check kernel-source kernel-apply kernel-lab kernel-deb kernel-rpm \
	kernel-pkg-check kernel-rebase kernel-configs
check: kernel-check
kernel-check kernel-source kernel-apply kernel-lab kernel-deb kernel-rpm \
kernel-pkg-check kernel-rebase kernel-configs:
	$(MAKE) -C kernel $(@:kernel-%=%)

# --- bases (issue 13): follow Debian's security updates ---
# rebase: move every pinned base (kernel/base.mk + kernel/configs/debian/,
# qemu/base.mk + the carried firmware) to the newest version in the archive,
# the series applied with fuzz 0 first; prints what changed.  make check
# keeps working when a pinned base has left the archive (it warns); the
# release targets (kernel-deb, qemu-deb, ...) fail until the rebase.
.PHONY: rebase
rebase: kernel-rebase qemu-rebase

# libvirt hook, systemd units, kexec helper (issue 4).  The hook's logic is
# apfctl's (its tests run in check-apfctl); these check the files around it.
.PHONY: check-libvirt-hooks check-systemd install-ops ops-check
check: check-libvirt-hooks check-systemd
install: install-ops

check-libvirt-hooks: all
	$(MAKE) -C libvirt-hooks check

check-systemd: all
	$(MAKE) -C systemd check

install-ops:
	$(MAKE) -C libvirt-hooks install
	$(MAKE) -C systemd install

# The units and apf-kexec for real: a Debian bookworm VM (QEMU TCG) with
# systemd as PID 1, rebooted and kexec'ed from kernel A (6.1) to B (6.12).
# Builds its root once (debootstrap, cached in $$APF_OPS_CACHE, default
# /var/tmp/apf-ops); bounded by OPS_TIMEOUT seconds in all.  Needs root.
OPS_TIMEOUT ?= 1800
ops-check: all
	timeout $(OPS_TIMEOUT) sh -c 'tests/ops/build-root && \
		APF_OPS_CHECK=1 /usr/bin/python3 -m pytest -q -s tests/ops'

# --- qemu/ (issue 7): APF patches on QEMU 10.0, qemu-system-x86_64 for the lab, .debs ---
# qemu-check: fresh unpack + series, checkpatch, compile of the touched objects,
# qemu-system-x86_64 and the qtests the series touches, the upstream postings.
# qemu-repro-check: two clean package builds compared (~40 min); qemu-drift-test:
# the pinned base hidden, a newer one simulated, check/deb/rebase (~6 min).
.PHONY: qemu-check qemu-source qemu-apply qemu-build qemu-test qemu-deb qemu-rpm qemu-rebase \
	qemu-repro-check qemu-drift-test qemu-deb-install-test
check: qemu-check
qemu-check qemu-source qemu-apply qemu-build qemu-test qemu-deb qemu-rpm qemu-rebase \
qemu-repro-check qemu-drift-test qemu-deb-install-test:
	$(MAKE) -C qemu $(@:qemu-%=%)

# --- tests/lab (issue 8): nested KVM under QEMU's emulator, real async PFs ---
# lab-smoke: Debian's stock 6.12 kernels, scenario a (< 5 min; in check).
# lab-check: our lab kernels (make -C kernel lab, cached there) and our QEMU
# (make -C qemu build, incremental: the lab's L0, with the TCG fixes 0007, 0008),
# scenarios b-f and h, a table of events, counters and verdicts.  See tests/lab/README.md.
# lab-stress-smoke: our QEMU, then 3 trials of the swap stress scenario that
# fail on any L1 or L2 failure: the regression test of qemu/patches 0007/0008.
.PHONY: lab-smoke lab-check lab-stress-smoke
check: lab-smoke
lab-smoke:
	$(MAKE) -C tests/lab smoke
lab-check:
	$(MAKE) -C kernel lab
	$(MAKE) -C qemu build
	$(MAKE) -C tests/lab check
lab-stress-smoke:
	$(MAKE) -C qemu build
	$(MAKE) -C tests/lab stress-smoke

# --- packaging/ (issue 3): .deb/.rpm of apfctl, hooks, ansible, metapackages ---
# deb/rpm: the quick packages (kernel-deb/qemu-deb build the long ones);
# repo: signed apt + yum repositories in packaging/build/repo;
# packaging-check: lint, reproducibility, install/remove/purge/upgrade tests.
.PHONY: deb rpm repo packaging-check packaging-clean
check: packaging-check
clean: packaging-clean
deb rpm repo:
	$(MAKE) -C packaging $@
packaging-check packaging-clean:
	$(MAKE) -C packaging $(@:packaging-%=%)

# --- arm64 packages (issue 20): apfctl, hooks, meta packages for arm64 ---
# arm64-deps: the foreign architecture, cross gcc, arm64 -dev packages,
# qemu-user-static (root).  arm64-packages: cross-built .debs
# (packaging/build/debs-arm64) and aarch64 RPMs (packaging/build/rpms-aarch64),
# then make repo publishes amd64 and arm64 (apt), x86_64 and aarch64 (yum).
# arm64-install-check: apt-get install apf-host and apf-guest from that
# repository in an arm64 bookworm root under qemu-user (root; ~10 min the
# first time, ~5 min with the root cached); OUT=DIR keeps the transcript
# and dpkg -I (packaging/results/<date>-arm64/).  Not in check: too long.
.PHONY: arm64-deps arm64-packages arm64-install-check
arm64-deps:
	APF_CROSS_ARCHES=arm64 scripts/install-deps
arm64-packages:
	$(MAKE) -C packaging deb-arm64
	$(MAKE) -C packaging rpm-aarch64
	$(MAKE) -C packaging repo
arm64-install-check: arm64-packages
	$(MAKE) -C packaging install-check-arm64 $(if $(OUT),OUT=$(abspath $(OUT)))

# --- tests/fleet (issue 5): the Ansible collection against 3 lab VMs ---
# Not in `make check`: tens of minutes of emulated boots.  The suite's
# repository (make repo, with the guest kernel of make kernel-deb) served
# over http; 3 Debian VMs under QEMU TCG (image cached in
# $$APF_FLEET_CACHE, default /var/tmp/apf-fleet); rollout.yml for real,
# again for idempotence, then a failing health check on the second host.
# FLEET_TIMEOUT bounds the test (seconds); see tests/fleet/README.md.
.PHONY: fleet-check
FLEET_TIMEOUT ?= 5400
FLEET_GUEST_KERNEL = linux-image-$(shell kernel/scripts/names.sh guest | sed -n 's/^guest.uname_r=//p')
fleet-check:
	@ls kernel/build/packages/$(FLEET_GUEST_KERNEL)_*.deb >/dev/null 2>&1 || { \
		echo "fleet-check: no $(FLEET_GUEST_KERNEL) .deb in kernel/build/packages: run make kernel-deb" >&2; \
		exit 1; }
	$(MAKE) repo
	tests/fleet/build-image
	timeout -k 30 $$(( $(FLEET_TIMEOUT) + 120 )) env APF_FLEET_CHECK=1 \
		FLEET_TIMEOUT=$(FLEET_TIMEOUT) /usr/bin/python3 -m pytest -q -s \
		-p no:cacheprovider tests/fleet

# --- bench/ (issue 9): overcommitted-guest throughput, APF on/halt/off ---
# bench: a short run with apf-bench on this host (needs a KVM that boots
# guests, cgroup v2 and swap on a disk; apf-bench says what is missing).
# bench-lab: the natapov configuration inside the VM lab with our kernels
# and QEMU; results and plot in bench/results/<date>-lab/ (bench/results/README.md).
# bench-check (in make check): the workload's and apf-bench's own tests
# (cmocka, pytest, ASan/UBSan, valgrind, cppcheck, clang-tidy; no KVM).
# bench-smoke: one run each of off, halt and pv in the VM lab (~5 min once
# the lab kernels are built), then the mode invariants: off queues no async
# fault, halt notifies the guest of none and halts the vCPU, pv computes
# more than off (bench/README.md).  Not in check yet: see bench/README.md.
.PHONY: bench bench-lab bench-check bench-smoke
check: bench-check
bench-check:
	$(MAKE) -C bench check
bench:
	$(MAKE) -C bench bench
bench-lab:
	$(MAKE) -C kernel lab
	$(MAKE) -C qemu build
	$(MAKE) -C bench lab
bench-smoke:
	$(MAKE) -C kernel lab
	$(MAKE) -C qemu build
	$(MAKE) -C bench smoke

# --- ansible/ (issue 5): the apf_suite.fleet collection ---
# ansible-check: ansible-lint (production profile), --syntax-check of every
# playbook, collection build/install, the lock and fact tasks for real on
# localhost (ansible/tests).  The rollout itself runs in the fleet test.
.PHONY: ansible-check
check: ansible-check
ansible-check: all
	$(MAKE) -C ansible/tests check
