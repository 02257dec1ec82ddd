# vfiobuf: top-level build.  `make`, `make check`, `make install`, `make deps`.
# Core library sources are every src/*.c that is not the CLI layer
# (main.c, cmd_*.c, cli_*.c); see src/README for who owns what.

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
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Wformat-security -D_GNU_SOURCE -DVFIOBUF_VERSION='"$(VERSION)"' $(PKG_CFLAGS) -Isrc -MMD -MP
LDLIBS     += $(PKG_LIBS)
ifeq ($(CI),true)
CFLAGS     += -Werror
endif

ifeq ($(SANITIZE),1)
BUILD      ?= build/asan
CFLAGS     += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS    += -fsanitize=address,undefined
else
BUILD      ?= build/default
endif

CLI_SRCS   := src/main.c $(wildcard src/cmd_*.c src/cli_*.c)
CORE_SRCS  := $(filter-out $(CLI_SRCS),$(wildcard src/*.c))
CORE_OBJS  := $(CORE_SRCS:src/%.c=$(BUILD)/src/%.o)
CLI_OBJS   := $(CLI_SRCS:src/%.c=$(BUILD)/src/%.o)
LIB        := $(BUILD)/libvfiobuf.a
BIN        := $(BUILD)/vfiobuf

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

$(BIN): $(CLI_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

$(LIB): $(CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

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
	    qemu-system-x86 busybox-static kmod cpio xz-utils zstd clang libclang-rt-14-dev
# Areas may add packages and targets in their own fragments.
-include packaging/packaging.mk tests/lab/lab.mk bench/bench.mk schema/schema.mk

# root runs apt-get directly; anyone else through sudo
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
deps:
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_DEPS)

clean:
	rm -rf build vfiobuf

-include $(CORE_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
