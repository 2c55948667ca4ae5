# Makefile - a thin driver: premake5.lua describes the build, premake4
# generates build/*.make from it, and these targets run the result.
#
#   make            check/install packages, build release (build/)
#   make test       build release and asan (build/asan/), run Criterion and
#                   busted in both
#   make demo       build, run examples/tour.lua
#   make bench      build, run bench/run.sh
#   make lint       luacheck the Lua sources
#   make doc        the Lua API reference (LDoc) in build/doc/
#   make example NAME=x  build, run examples/x.lua
#   make fuzz       install clang, run the libFuzzer harnesses (fuzz/run, 2 min)
#   make reliability  the long reliability run (tools/reliability, ~10 min)
#   make corpus     snare on real programs (tools/corpus; a step of make test)
#   make build      build release without the package check
#   make install    LUADIR=... LIBDIR=... [BINDIR=...] (used by the rockspec)

PREMAKE := premake4
LUA := lua5.4
BUSTED := /usr/bin/busted
TIMEOUT := timeout 600
# busted runs each spec file in a process of its own, two at once
# (tools/busted_jobs), each file within a step's limit; all of them took
# 270-420 s in release and 540-600 s under ASan one at a time on these
# 2-core machines, so the whole run's limit is wider than a step's.
BUSTED_TIMEOUT := timeout 1500
BUSTED_JOBS := tools/busted_jobs 2 $(TIMEOUT)
BENCH_TIMEOUT := timeout 1800

ROOT := $(CURDIR)
FIXTURES := $(ROOT)/build/fixtures
EXAMPLES := $(ROOT)/build/examples

# The Lua interpreter is not instrumented, so an ASan-built module needs the
# runtime preloaded. Leak checking is off there (the interpreter's own
# allocations at exit are not ours) and on for the Criterion binary. The
# sanitizers' SEGV/BUS/FPE/ILL handlers are off everywhere: catching those
# signals is snare's job, and the tests check that it does; memory errors
# are still reported through the instrumentation. tools/sanitized fails a
# step whose output holds a sanitizer report (see why there).
# The quarantine of freed blocks is 16 MB, not ASan's 256: a use after
# free is still caught for the last 16 MB freed (Lua's garbage and
# libdwarf's work), and a snare process no longer faults in a fresh page
# for nearly every allocation: `snare debug` of a program to its first
# stop and a few steps went from 660 to 505 ms (means of 5 runs).
LIBASAN := $(shell gcc -print-file-name=libasan.so)
ASAN_COMMON := handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:allow_user_segv_handler=1:abort_on_error=0:quarantine_size_mb=16
UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1

# $(call env_for,BUILD_DIR): the environment every test, demo and benchmark
# run gets, pointing at the lua/ sources and the module built in BUILD_DIR.
env_for = SNARE_BUILD=$(ROOT)/$(1) SNARE_FIXTURES=$(FIXTURES) \
	SNARE_EXAMPLES=$(EXAMPLES) \
	LUA_PATH='$(ROOT)/lua/?.lua;$(ROOT)/lua/?/init.lua;;' \
	LUA_CPATH='$(ROOT)/$(1)/lua/?.so;;'

TEST_STEPS := layers lint corpus-build criterion-release busted-release \
	criterion-asan busted-asan oracle fuzz-smoke doc corpus

.PHONY: all setup generate build build-asan module test $(TEST_STEPS) \
	demo example bench lint install clean fuzz reliability

# Steps here run one at a time (the generated makefiles still honour -j):
# both configurations write the same fixture files, and test output must
# not interleave.
.NOTPARALLEL:

all: setup build

setup:
	@tools/setup

# Regenerated every time (it takes milliseconds) so new source files and
# fixtures are always picked up.
generate:
	@$(PREMAKE) --file=premake5.lua gmake >/dev/null

# One job per core inside a configuration (its projects have their own
# object directories; a plain `make test`, as CI runs it, built one file
# at a time). The two configurations still build one after the other.
BUILD_JOBS := -j$(shell nproc)

build: generate
	$(MAKE) -C build $(BUILD_JOBS) config=release

build-asan: generate
	$(MAKE) -C build $(BUILD_JOBS) config=asan

# What an installed snare runs, for the rockspec: the Lua module, the
# agent, the helpers of `snare attach` and `starti`, the tour's library.
module: generate
	$(MAKE) -C build config=release snare snare_agent snare_attach \
		snare_start examples_demo

# -k: every step runs and prints its summary even when an earlier one
# failed; make still exits non-zero if any did.
test: setup build build-asan
	@tools/setup gdb clang lua-ldoc lua-markdown dwz
	@$(MAKE) --no-print-directory -k $(TEST_STEPS)

criterion-release:
	@echo "==== Criterion (release) ===="
	$(call env_for,build) $(TIMEOUT) build/bin/snare_tests --jobs 2

# gdb's answers in the busted specs, kept by the release run for the ASan
# one (spec/gdb_cache.lua): emptied first, so each release run asks gdb.
GDB_CACHE := $(ROOT)/build/gdb_cache

busted-release:
	@echo "==== busted (release) ===="
	rm -rf $(GDB_CACHE)
	$(call env_for,build) SNARE_GDB_CACHE=$(GDB_CACHE) $(BUSTED_TIMEOUT) \
		$(BUSTED_JOBS) $(LUA) $(BUSTED) --cpath='$(ROOT)/build/lua/?.so'

criterion-asan:
	@echo "==== Criterion (asan) ===="
	$(call env_for,build/asan) ASAN_OPTIONS=$(ASAN_COMMON):detect_leaks=1 \
		LSAN_OPTIONS=suppressions=$(ROOT)/tools/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=$(UBSAN_OPTIONS) \
		tools/sanitized $(TIMEOUT) build/asan/bin/snare_tests --jobs 2

# snare's DWARF answers against gdb's on the fixtures: `info line` for
# every line, `break FILE:LINE` and `break FUNCTION` (all locations).
# Two at a time (tools/parallel): each keeps about one core busy (gdb,
# then snare, on the same question), and they share nothing but the
# read-only fixtures and corpus; each one's output is printed whole, in
# this order. All run even when one fails.
oracle:
	@echo "==== gdb oracle (lines, breakpoint locations, frames, steps, expressions, disassembly) ===="
	@$(call env_for,build) tools/parallel 2 \
		"$(TIMEOUT) spec/debuginfo_oracle/run.sh build/debuginfo_oracle/driver" \
		"$(TIMEOUT) spec/frames_oracle/run.sh" \
		"$(TIMEOUT) spec/stepping_oracle/run.sh" \
		"$(TIMEOUT) spec/expr_oracle/run.sh" \
		"$(TIMEOUT) spec/libc_oracle/run.sh build/debuginfo_oracle/driver" \
		"$(TIMEOUT) spec/cxx_names_oracle/run.sh build/debuginfo_oracle/driver" \
		"$(TIMEOUT) spec/debug_program_oracle/run.sh" \
		"$(TIMEOUT) spec/disasm_oracle/run.sh build/disasm_oracle/driver"

busted-asan:
	@echo "==== busted (asan) ===="
	$(call env_for,build/asan) ASAN_OPTIONS=$(ASAN_COMMON):detect_leaks=0 \
		UBSAN_OPTIONS=$(UBSAN_OPTIONS) SNARE_GDB_CACHE=$(GDB_CACHE) \
		tools/sanitized $(BUSTED_TIMEOUT) $(BUSTED_JOBS) \
		env LD_PRELOAD=$(LIBASAN) $(LUA) $(BUSTED) \
		--cpath='$(ROOT)/build/asan/lua/?.so'

demo: setup build
	$(call env_for,build) $(TIMEOUT) $(LUA) examples/tour.lua

# One example by name: make example NAME=threads runs examples/threads.lua.
example: setup build
	@test -f examples/$(NAME).lua || \
		{ echo "make example: no examples/$(NAME).lua"; exit 1; }
	$(call env_for,build) $(TIMEOUT) $(LUA) examples/$(NAME).lua

# The Lua API reference from the doc comments (config.ld says which files).
# A step of `make test` too (under a second): a warning, such as a
# misspelt tag or a @param that does not match the function, fails it.
# --testing leaves the date out, so the output is reproducible.
doc:
	@echo "==== LDoc (build/doc/) ===="
	@tools/setup lua-ldoc lua-markdown
	ldoc --fatalwarnings --testing .

bench: build
	@tools/setup gdb
	@if [ -x bench/run.sh ]; then \
		$(call env_for,build) $(BENCH_TIMEOUT) bench/run.sh; \
	else \
		echo "make bench: no bench/run.sh yet"; \
	fi

# libFuzzer on the ELF and DWARF readers with a fixed seed and run count.
# `make test` installs clang, so the smoke run always happens there.
fuzz-smoke:
	@echo "==== libFuzzer smoke run ===="
	$(TIMEOUT) fuzz/run smoke

fuzz: build
	@tools/setup clang
	$(TIMEOUT) fuzz/run 60

reliability: setup
	tools/reliability

# The real-world corpus: programs from Debian source packages built at
# eight compiler settings, run plain and under snare profile and trace
# (same output and status), call counts checked against uftrace's. The
# first run on a machine fetches and builds (tools/corpus/build says how
# long; cached in /var/cache/snare/corpus, which CI's clean clone reuses);
# after that only the runs, under four minutes. tools/corpus/watch then
# checks watchpoint hit counts against gdb's on bzip2.
# Two checkouts building at once wait for each other (one cache).
CORPUS_CACHE := $(or $(SNARE_CORPUS_CACHE),/var/cache/snare/corpus)
CORPUS_BUILD_TIMEOUT := timeout 3600

# Built (or linked from the cache) before the specs, so that the specs and
# oracles on real programs run rather than stay pending.
corpus-build: build
	@echo "==== real-world corpus: build (tools/corpus) ===="
	@tools/setup uftrace clang binutils
	@mkdir -p $(CORPUS_CACHE)
	$(CORPUS_BUILD_TIMEOUT) flock $(CORPUS_CACHE)/.lock \
		sh -c 'tools/corpus/fetch && tools/corpus/build'

corpus: corpus-build
	@echo "==== real-world corpus (tools/corpus) ===="
	$(TIMEOUT) tools/corpus/run
	$(TIMEOUT) tools/corpus/record_filters
	@tools/setup gdb
	$(TIMEOUT) tools/corpus/watch

lint: layers
	@echo "==== luacheck ===="
	luacheck $(wildcard lua spec examples bench bin/snare)

# lib/ depends downward only (tools/layers, DESIGN.md); also a test step.
layers:
	@echo "==== layers of lib/ ===="
	@tools/layers

# Installs the Lua layer, the module and the command-line tool (when there
# is one) into the directories luarocks passes, the agent and the helper
# programs beside the module (where bin/snare looks for them:
# lua/snare/cli/profile.lua's find_agent and find_helper), and the tour
# with its example library next to them (what `snare demo` runs when
# installed).
install:
	@test -n "$(LUADIR)" && test -n "$(LIBDIR)" || \
		{ echo "make install needs LUADIR and LIBDIR"; exit 1; }
	cd lua && find . -name '*.lua' -exec install -D -m 644 {} '$(LUADIR)/{}' \;
	install -D -m 755 build/lua/snare/core.so '$(LIBDIR)/snare/core.so'
	install -D -m 755 build/lib/snare_agent.so '$(LIBDIR)/snare/snare_agent.so'
	install -D -m 755 build/bin/snare_attach '$(LIBDIR)/snare/snare_attach'
	install -D -m 755 build/bin/snare_start '$(LIBDIR)/snare/snare_start'
	if [ -f bin/snare ] && [ -n "$(BINDIR)" ]; then \
		install -D -m 755 bin/snare '$(BINDIR)/snare'; \
	fi
	install -D -m 644 examples/tour.lua '$(LUADIR)/snare/examples/tour.lua'
	install -D -m 755 build/examples/libdemo.so \
		'$(LIBDIR)/snare/examples/libdemo.so'

clean:
	rm -rf build
