# SPDX-License-Identifier: GPL-2.0-only
# APF Suite top-level driver.  Each component keeps its own Makefile; this
# one wires them together.  Heavier tiers (kernel, QEMU, lab, packages,
# bench) get their own targets as their components land.

APFCTL_DIR := tools/apfctl
APFCTL     := $(APFCTL_DIR)/build/apfctl

.PHONY: all deps run check check-apfctl install clean bench-apfctl help

all:
	$(MAKE) -C $(APFCTL_DIR) all

help:
	@echo "make deps      install build/test dependencies (root, Debian 12)"
	@echo "make run       build and run 'apfctl status' on this machine"
	@echo "make check     every test tier that runs on this machine"
	@echo "make install   install into DESTDIR/PREFIX"
	@echo "make bench-apfctl  apfctl's own latency benchmark (bench/results/)"

# Debian packages for building and testing (idempotent).
deps:
	scripts/install-deps

# The main job: what APF support does this machine have, and its VMs.
run: all
	scripts/mount-kernel-fs
	$(APFCTL) status

check: check-apfctl

check-apfctl:
	scripts/mount-kernel-fs
	$(MAKE) -C $(APFCTL_DIR) check

install:
	$(MAKE) -C $(APFCTL_DIR) install

bench-apfctl: all
	bench/apfctl/run-bench

clean:
	$(MAKE) -C $(APFCTL_DIR) clean
