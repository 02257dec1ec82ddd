# vfiobuf: top-level build.  `make`, `make check`, `make install`, `make deps`.
# Three layers, one folder each (src/README draws them):
#   src/lib     the core library (libvfiobuf): never prints, knows no argv
#   src/daemon  the serve daemon, on the core library
#   src/cli     the command line (argp, printing), on both
# Calls run one way: each layer is compiled with the include paths of the
# layers below it only, so the core cannot include a daemon or CLI header.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/vendor-completions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
DESTDIR    ?=

CC         ?= cc
PKGS       := libpci libnl-3.0 jansson zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
# Start-up (issue 18; figures in README, "Benchmarks"): every library the
# dynamic loader maps costs each run, --version included.  libpci (which
# brings libudev and zlib) is opened by the first name lookup or dump read
# (src/lib/libpci_lazy.c), so it is not linked.  libnl-3, jansson and zlib
# are linked statically when their archives are installed (Debian's -dev
# packages ship them); VB_STATIC_DEPS=0 links them as shared libraries, as
# the distribution packages do (packaging/: Debian and Fedora policy).
DYN_PKGS   := libnl-3.0 jansson zlib
VB_STATIC_DEPS ?= 1
static_archive = $(filter /%,$(shell $(CC) -print-file-name=lib$(1).a))
ifeq ($(VB_STATIC_DEPS),1)
STATIC_LS  := $(foreach l,$(patsubst -l%,%,$(shell pkg-config --libs-only-l $(DYN_PKGS))),\
		$(if $(call static_archive,$(l)),-l$(l)))
endif
SHARED_LS  := $(filter-out $(STATIC_LS),$(shell pkg-config --libs-only-l $(DYN_PKGS)))
PKG_LIBS   := $(shell pkg-config --libs-only-L $(DYN_PKGS))
ifneq ($(strip $(STATIC_LS)),)
PKG_LIBS   += -Wl,-Bstatic $(STATIC_LS) -Wl,-Bdynamic
endif
# dlopen is in libc since glibc 2.34; older ones need libdl
PKG_LIBS   += $(SHARED_LS) -Wl,--push-state,--as-needed -ldl -Wl,--pop-state

# The user's CFLAGS, CPPFLAGS and LDFLAGS are theirs (make CFLAGS=-O0 works);
# what the build itself needs is kept apart and always applied, as git's
# Makefile does with ALL_CFLAGS.
CFLAGS     ?= -O2 -g
VB_CPPFLAGS := -D_GNU_SOURCE -DVFIOBUF_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
VB_CFLAGS  := -std=gnu11 -Wall -Wextra -Wformat-security -MMD -MP
VB_LDFLAGS :=
ifeq ($(CI),true)
VB_CFLAGS  += -Werror
endif

ifeq ($(SANITIZE),1)
BUILD      ?= build/asan
VB_CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
VB_LDFLAGS += -fsanitize=address,undefined
else
BUILD      ?= build/default
endif

ALL_CFLAGS  = $(VB_CPPFLAGS) $(CPPFLAGS) $(VB_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(VB_LDFLAGS) $(LDFLAGS)
LDLIBS     += $(PKG_LIBS)

LIB_INC    := -Isrc/lib
DAEMON_INC := $(LIB_INC) -Isrc/daemon
CLI_INC    := $(DAEMON_INC) -Isrc/cli

LIB_OBJS    := $(patsubst src/%.c,$(BUILD)/%.o,$(wildcard src/lib/*.c))
DAEMON_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(wildcard src/daemon/*.c))
CLI_OBJS    := $(patsubst src/%.c,$(BUILD)/%.o,$(filter-out src/cli/main.c,$(wildcard src/cli/*.c)))
MAIN_OBJ    := $(BUILD)/cli/main.o
LIB         := $(BUILD)/libvfiobuf.a
DAEMON_LIB  := $(BUILD)/libvfiobuf-daemon.a
CLI_LIB     := $(BUILD)/libvfiobuf-cli.a
BIN         := $(BUILD)/vfiobuf
ALL_LIBS    := $(CLI_LIB) $(DAEMON_LIB) $(LIB)

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all unit check check-full install uninstall deps clean lab bench fixtures

all: vfiobuf

ifeq ($(SANITIZE),1)
vfiobuf: $(BIN)
	@echo "sanitized binary: $(BIN)"
else
vfiobuf: $(BIN)
	cp $(BIN) $@
endif

$(BIN): $(MAIN_OBJ) $(ALL_LIBS)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(ALL_LIBS) $(LDLIBS)

$(LIB): $(LIB_OBJS)
$(DAEMON_LIB): $(DAEMON_OBJS)
$(CLI_LIB): $(CLI_OBJS)
$(ALL_LIBS):
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/lib/%.o: src/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LIB_INC) -c -o $@ $<

$(BUILD)/daemon/%.o: src/daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DAEMON_INC) -c -o $@ $<

$(BUILD)/cli/%.o: src/cli/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CLI_INC) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CLI_INC) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

unit: $(UNIT_BINS)

# Every suite (unit, ASan/UBSan unit, valgrind, bats on fixtures, man lint,
# completions, QEMU lab) runs from one script that prints the summary line.
check: vfiobuf unit
	$(MAKE) --no-print-directory SANITIZE=1 unit
	VFIOBUF_BUILD=$(BUILD) tests/run-checks.sh

# check plus the suites too slow for CI (documented in README).
check-full: vfiobuf unit
	$(MAKE) --no-print-directory SANITIZE=1 unit
	VFIOBUF_BUILD=$(BUILD) VFIOBUF_CHECK_FULL=1 tests/run-checks.sh

lab: vfiobuf
	tests/lab/lab-run $(if $(LAB_CMD),-- sh -c '$(LAB_CMD)',--shell)

bench: vfiobuf
	@for b in bench/*/run; do [ -x "$$b" ] && "$$b"; done

install: vfiobuf
	install -D -m 0755 vfiobuf $(DESTDIR)$(BINDIR)/vfiobuf
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -D -m 0644 completions/vfiobuf.bash $(DESTDIR)$(BASHCOMPDIR)/vfiobuf
	install -D -m 0644 completions/_vfiobuf $(DESTDIR)$(ZSHCOMPDIR)/_vfiobuf
	install -D -m 0644 completions/vfiobuf.fish $(DESTDIR)$(FISHCOMPDIR)/vfiobuf.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vfiobuf $(DESTDIR)$(BASHCOMPDIR)/vfiobuf \
	      $(DESTDIR)$(ZSHCOMPDIR)/_vfiobuf $(DESTDIR)$(FISHCOMPDIR)/vfiobuf.fish
	for m in man/*.1; do rm -f $(DESTDIR)$(MANDIR)/man1/$$(basename $$m); done

# Debian build and test dependencies (root, or sudo).
DEB_DEPS := build-essential pkg-config libpci-dev libnl-3-dev libjansson-dev zlib1g-dev bzip2 \
	    pciutils pci.ids bats bats-assert bats-support jq mandoc valgrind \
	    bash-completion zsh fish python3 python3-jsonschema graphviz hwloc-nox \
	    qemu-system-x86 busybox-static kmod cpio xz-utils zstd clang libclang-rt-14-dev \
	    prometheus
# tests/cdi.bats: Debian's CDI schema (the library podman 4.3 uses), podman and runc
DEB_DEPS += golang-github-container-orchestrated-devices-container-device-interface-dev podman runc
# Areas may add packages and targets in their own fragments.
-include packaging/packaging.mk tests/lab/lab.mk bench/bench.mk schema/schema.mk

# root runs apt-get directly; anyone else through sudo
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
deps:
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_DEPS)

clean:
	rm -rf build vfiobuf

-include $(LIB_OBJS:.o=.d) $(DAEMON_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(MAIN_OBJ:.o=.d)
