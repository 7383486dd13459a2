# legrec -- build, install and test.
#
#   make                 the Rust core, the legrec tool, app_legrec.so (where
#                        Asterisk's headers are) and mod_legrec.so (where
#                        `pkg-config freeswitch` finds FreeSWITCH), prompts
#   make install         into Asterisk's (and FreeSWITCH's) folders
#   make deb             legrec_<version>_amd64.deb for the installed Asterisk
#                        (scripts/make-deb), in $(BUILD)/
#   make test            the whole test suite (scripts/test)

CARGO      ?= cargo
BUILD      ?= build
# cargo's output folder (CARGO_TARGET_DIR when set: the sid root builds
# into its own, beside the host's).
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
LEGREC_LIB ?= $(TARGET_DIR)/release/liblegrec.a
LEGREC_BIN ?= $(TARGET_DIR)/release/legrec
FLEET_BIN  ?= $(TARGET_DIR)/release/legrec-fleet
NATIVE_LIBS = -lFLAC -lpthread -ldl -lm
include c-shim/hardening.mk

# An Asterisk built from source with ./configure --prefix=PREFIX
# (`make AST_PREFIX=/opt/asterisk-20`): its headers, its asterisk.conf and
# its folders.  Empty: the packaged Asterisk (/usr/include, /etc/asterisk).
# The tests' knob LEGREC_ASTERISK_PREFIX sets it too.
AST_PREFIX  ?= $(LEGREC_ASTERISK_PREFIX)
# The installed Asterisk's folders, as its asterisk.conf names them
# (scripts/asterisk-dir); override for other installs.
ASTMODDIR   ?= $(shell LEGREC_ASTERISK_PREFIX=$(AST_PREFIX) scripts/asterisk-dir astmoddir)
ASTETCDIR   ?= $(shell LEGREC_ASTERISK_PREFIX=$(AST_PREFIX) scripts/asterisk-dir astetcdir)
ASTDATADIR  ?= $(shell LEGREC_ASTERISK_PREFIX=$(AST_PREFIX) scripts/asterisk-dir astdatadir)
BINDIR      ?= /usr/local/bin
AST_HEADER  ?= $(or $(AST_PREFIX:%/=%),/usr)/include/asterisk.h

AST_CFLAGS = -fPIC -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE $(HARDEN_CFLAGS) \
	-DAST_MODULE=\"app_legrec\" -DAST_MODULE_SELF_SYM=__internal_app_legrec_self \
	-Iinclude -Ic-shim/asterisk $(AST_INCLUDE)
# An Asterisk installed elsewhere (from source: /usr/local/include/asterisk.h)
# is built against by naming its asterisk.h, or its AST_PREFIX.  Its headers
# are system headers to us: with -I, -Wextra -Werror stops on Asterisk's own
# strings.h ("'inline' is not at beginning of declaration").
AST_INCLUDE = $(if $(filter-out /usr/include/,$(dir $(AST_HEADER))),-isystem $(dir $(AST_HEADER)))
AST_SOURCES = $(wildcard c-shim/asterisk/*.c)
# One module per Asterisk built against: Asterisk refuses a module built
# with another release's headers.
AST_MODULE_SO ?= $(BUILD)/$(if $(AST_PREFIX),asterisk$(subst /,-,$(AST_PREFIX:%/=%))/)app_legrec.so

PROMPT_NAMES := $(shell grep -v '^\#' sounds/notices.txt | cut -f1)
PROMPTS = $(foreach n,$(PROMPT_NAMES),$(BUILD)/sounds/$(n).wav $(BUILD)/sounds/$(n).wav16)

.PHONY: all rust fleet asterisk freeswitch sounds install install-asterisk deb deb-fleet test clean

all: rust fleet asterisk freeswitch sounds

rust:
	$(CARGO) build --release --locked

# legrec ship / index / search (fleet/): apart from the core the module
# links, so building the module never builds their libraries.
fleet:
	$(CARGO) build --release --locked -p legrec-fleet

asterisk:
	@if [ -f $(AST_HEADER) ]; then $(MAKE) --no-print-directory $(AST_MODULE_SO); \
	else echo "Asterisk headers not found ($(AST_HEADER)): app_legrec.so skipped"; fi

$(AST_MODULE_SO): $(AST_SOURCES) c-shim/asterisk/legrec_ast.h c-shim/asterisk/app_legrec.map include/legrec.h $(LEGREC_LIB) c-shim/hardening.mk $(AST_HEADER)
	@mkdir -p $(dir $@)
	$(CC) -shared $(AST_CFLAGS) -o $@ $(AST_SOURCES) $(LEGREC_LIB) $(NATIVE_LIBS) $(HARDEN_LDFLAGS) \
		-Wl,--version-script=c-shim/asterisk/app_legrec.map -Wl,--exclude-libs,ALL -Wl,--gc-sections

# Where scripts/find-freeswitch finds FreeSWITCH (FREESWITCH_PREFIX,
# /usr/local/freeswitch, /opt/freeswitch, pkg-config).
FS_PREFIX := $(shell scripts/find-freeswitch 2>/dev/null)
FS_MODULE_SO ?= $(BUILD)/mod_legrec.so

freeswitch:
	@if [ -n "$(FS_PREFIX)" ]; then \
		PKG_CONFIG_PATH=$(FS_PREFIX)/lib/pkgconfig:$$PKG_CONFIG_PATH $(MAKE) --no-print-directory -C c-shim/freeswitch \
			LEGREC_LIB=$(abspath $(LEGREC_LIB)) BUILD=$(abspath $(dir $(FS_MODULE_SO))); \
	else echo "FreeSWITCH not found (set FREESWITCH_PREFIX): mod_legrec.so skipped"; fi

sounds: $(PROMPTS)

# The default prompts, spoken by espeak-ng, in the formats Asterisk plays
# natively at 8 and 16 kHz.
$(BUILD)/sounds/%.wav $(BUILD)/sounds/%.wav16: sounds/notices.txt
	@mkdir -p $(BUILD)/sounds
	@text="$$(grep "^$*	" sounds/notices.txt | cut -f2)"; \
	espeak-ng -v en-us -s 150 -w $(BUILD)/sounds/$*.espeak.wav "$$text" && \
	sox $(BUILD)/sounds/$*.espeak.wav -r 8000 -c 1 -b 16 -e signed-integer $(BUILD)/sounds/$*.wav && \
	sox $(BUILD)/sounds/$*.espeak.wav -r 16000 -c 1 -b 16 -e signed-integer -t wav $(BUILD)/sounds/$*.wav16 && \
	rm -f $(BUILD)/sounds/$*.espeak.wav

install: all install-asterisk
	install -D -m 0755 $(LEGREC_BIN) $(DESTDIR)$(BINDIR)/legrec
	install -D -m 0755 $(FLEET_BIN) $(DESTDIR)$(BINDIR)/legrec-fleet
	@if [ -n "$(FS_PREFIX)" ] && [ -f $(BUILD)/mod_legrec.so ]; then \
		PKG_CONFIG_PATH=$(FS_PREFIX)/lib/pkgconfig $(MAKE) --no-print-directory -C c-shim/freeswitch install BUILD=$(abspath $(BUILD)); \
		install -D -m 0644 samples/freeswitch/legrec.conf.xml $(DESTDIR)$(FS_PREFIX)/etc/freeswitch/autoload_configs/legrec.conf.xml.sample; \
	fi

install-asterisk:
	@if [ -f $(AST_MODULE_SO) ]; then \
		scripts/install-stripped $(AST_MODULE_SO) $(DESTDIR)$(ASTMODDIR)/app_legrec.so $(DESTDIR) && \
		install -D -m 0644 c-shim/asterisk/legrec-en_US.xml $(DESTDIR)$(ASTDATADIR)/documentation/thirdparty/legrec-en_US.xml && \
		for p in $(PROMPTS); do install -D -m 0644 $$p $(DESTDIR)$(ASTDATADIR)/sounds/legrec/$$(basename $$p) || exit 1; done && \
		install -D -m 0644 samples/asterisk/legrec.conf $(DESTDIR)$(ASTETCDIR)/legrec.conf.sample && \
		{ [ -e $(DESTDIR)$(ASTETCDIR)/legrec.conf ] || install -m 0640 samples/asterisk/legrec.conf $(DESTDIR)$(ASTETCDIR)/legrec.conf; } && \
		echo "app_legrec installed: load it with 'module load app_legrec.so'"; \
	fi

deb: rust asterisk sounds
	@[ -f $(AST_MODULE_SO) ] || { echo "make deb: app_legrec.so was not built" >&2; exit 1; }
	scripts/make-deb $(AST_MODULE_SO) $(LEGREC_BIN) $(BUILD)

# legrec ship / index / search and the legrec-ship unit, apart from the
# module's package (which is built for one Asterisk).
deb-fleet: fleet
	scripts/make-deb-fleet $(FLEET_BIN) $(BUILD)

test:
	scripts/test

clean:
	rm -rf $(BUILD)
	$(CARGO) clean
