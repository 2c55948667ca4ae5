-- snare-scm-1.rockspec - `luarocks make` from a checkout of this repository.
-- Builds what bin/snare runs (premake4 + make, see premake5.lua and the
-- Makefile's module and install targets) and installs lua/**.lua,
-- bin/snare and, beside snare/core.so, the agent (snare_agent.so) and
-- the helpers of `snare attach` and `starti` (snare_attach, snare_start).
rockspec_format = "3.0"
package = "snare"
version = "scm-1"

source = {
  url = "git+file://.",
}

description = {
  summary = "In-process debugger and tracer for native and JIT code on Linux x86-64",
  detailed = [[
    A small C core (traps, code patching, signal handling, stepping, DWARF)
    driven from Lua 5.4: breakpoint conditions, step policies and tracing
    hooks are Lua callbacks.
  ]],
}

supported_platforms = { "linux" }

dependencies = {
  "lua >= 5.4, < 5.5",
  "lpeg >= 1.0",
}

external_dependencies = {
  ZYDIS = { header = "Zydis/Zydis.h", library = "Zydis" },
  LIBELF = { header = "libelf.h", library = "elf" },
  LIBDWARF = { header = "libdwarf/libdwarf.h", library = "dwarf" },
  LIBZSTD = { header = "zstd.h", library = "zstd" },
  LIBUNWIND = { library = "unwind" },
}

build = {
  type = "command",
  build_command = "make module",
  install_command = "make install LUADIR='$(LUADIR)' LIBDIR='$(LIBDIR)' BINDIR='$(BINDIR)'",
}
