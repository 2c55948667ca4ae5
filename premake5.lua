-- premake5.lua - the build description of snare.
--
-- Written in the subset of premake that Debian's premake4 (4.3) also reads,
-- so `premake4 --file=premake5.lua gmake` works where premake5 is absent.
-- The top-level Makefile drives it; see README.md "Layout" for the outputs.
--
-- Outputs (release; the asan configuration puts the same files under
-- build/asan/ instead of build/):
--   build/lib/libsnare_core.a       core: lib/, arch/x86_64/, os/linux/
--   build/lua/snare/core.so         Lua module snare.core
--   build/bin/snare_tests           Criterion tests from spec/c/
--   build/debuginfo_oracle/driver   spec/debuginfo_oracle/driver.c
--   build/disasm_oracle/driver      spec/disasm_oracle/driver.c
--   build/lib/snare_agent.so        agent/: the LD_PRELOAD agent
--   build/bin/snare_attach          os/linux/attach/: snare attach's helper
--   build/bin/snare_start           os/linux/start/: starti's held start
-- Built once, never sanitized, the same in both configurations:
--   build/fixtures/O0/libNAME.so    spec/fixtures/NAME.c at -g -O0
--   build/fixtures/O2/libNAME.so    spec/fixtures/NAME.c at -g -O2
--   build/examples/libNAME.so       examples/targets/NAME.c at -g -O0
--   build/fixtures/bin/NAME         spec/fixtures/programs/NAME.c(pp), -g -O0

local warnings = { "-std=c11", "-Wall", "-Wextra", "-Werror" }
local cxx_warnings = { "-std=c++17", "-Wall", "-Wextra", "-Werror" }
local sanitizers = "-fsanitize=address,undefined"
local system_libs = { "Zydis", "elf", "dwarf", "zstd", "unwind", "pthread", "dl" }

-- Keep debug information in every output: premake4 strips (-s) unless the
-- Symbols flag is set, and premake5 spells that flag differently.
local function keep_symbols()
  if _PREMAKE_VERSION:sub(1, 1) == "4" then
    flags { "Symbols" }
  else
    symbols "On"
  end
end

solution "snare"
  configurations { "release", "asan" }
  location "build"
  language "C"

-- Flags for the projects built in both configurations. `subdir` is where
-- the target goes below build/ (release) or build/asan/ (asan).
local function core_settings(name, subdir)
  includedirs { "lib/include", "lib" }
  defines { "_GNU_SOURCE" }
  buildoptions(warnings)
  buildoptions { "-fPIC", "-fvisibility=hidden" }
  keep_symbols()

  configuration "release"
    buildoptions { "-O2", "-g" }
    targetdir("build/" .. subdir)
    objdir("build/obj/release/" .. name)

  configuration "asan"
    buildoptions { "-O1", "-g", sanitizers, "-fno-omit-frame-pointer",
                   "-fno-sanitize-recover=all" }
    linkoptions { sanitizers }
    targetdir("build/asan/" .. subdir)
    objdir("build/obj/asan/" .. name)

  configuration {}
end

project "snare_core"
  kind "StaticLib"
  files { "lib/**.c", "arch/x86_64/**.c", "os/linux/**.c" }
  -- the helpers below, programs
  excludes { "os/linux/attach/**.c", "os/linux/start/**.c" }
  core_settings("snare_core", "lib")

-- The interpreter that loads the module provides the Lua symbols, so
-- liblua is deliberately not linked.
-- It carries the agent's interposers of the unwinder too: exported
-- globally (bindings/threads.c), they come before the libgcc_s and
-- libstdc++ of C++ libraries snare.load opens later.
project "snare"
  kind "SharedLib"
  files { "bindings/**.c", "agent/unwind_interpose.c" }
  includedirs { "/usr/include/lua5.4" }
  targetname "core"
  targetprefix ""
  links { "snare_core" }
  links(system_libs)
  -- The agent reaches the lifecycle API (lib/process.c) through dlsym
  -- only: nothing in the bindings pulls it out of the archive.
  linkoptions { "-Wl,-u,snare_threads_forget_all", "-Wl,-u,snare_signal_chain",
                "-Wl,-u,snare_signals_reserved", "-Wl,-u,snare_fork_child",
                "-Wl,-u,snare_descriptor_keep" }
  core_settings("snare", "lua/snare")

-- The LD_PRELOAD agent of `snare profile|trace|exec -- PROG` (agent/):
-- embeds a Lua state, so it links liblua; the snare C API it calls comes
-- from the snare.core module that state loads.
project "snare_agent"
  kind "SharedLib"
  files { "agent/**.c" }
  includedirs { "/usr/include/lua5.4" }
  targetname "snare_agent"
  targetprefix ""
  links { "lua5.4", "unwind", "pthread", "dl", "m" }
  core_settings("snare_agent", "lib")

-- The helper of `snare attach PID` (os/linux/attach/): ptrace loads the
-- agent into the running process, then it relays with the agent.
project "snare_attach"
  kind "ConsoleApp"
  files { "os/linux/attach/**.c" }
  targetname "snare_attach"
  links { "elf" }
  core_settings("snare_attach", "bin")

-- The helper of `starti` at `snare debug -- PROG` (os/linux/start/): the
-- program held by ptrace at its first instruction while a prompt asks.
project "snare_start"
  kind "ConsoleApp"
  files { "os/linux/start/**.c" }
  targetname "snare_start"
  core_settings("snare_start", "bin")

project "snare_tests"
  kind "ConsoleApp"
  files { "spec/c/**.c" }
  links { "snare_core", "criterion", "tcc" } -- libtcc: JIT code tests
  -- Export the C API to the fixtures the tests load (threads.c calls it).
  linkoptions { "-rdynamic" }
  links(system_libs)
  core_settings("snare_tests", "bin")

-- The gdb oracle's driver (spec/debuginfo_oracle/run.sh, run by make test):
-- prints snare's line answers for comparison with gdb's.
project "debuginfo_oracle"
  kind "ConsoleApp"
  files { "spec/debuginfo_oracle/driver.c" }
  targetname "driver"
  links { "snare_core" }
  links(system_libs)
  core_settings("debuginfo_oracle", "debuginfo_oracle")

-- The disassembly oracle's driver (spec/disasm_oracle/run.sh and
-- spec/disassemble_objdump_spec.lua): snare's text of each instruction
-- objdump shows, compared with objdump's.
project "disasm_oracle"
  kind "ConsoleApp"
  files { "spec/disasm_oracle/driver.c" }
  targetname "driver"
  links { "snare_core" }
  links(system_libs)
  core_settings("disasm_oracle", "disasm_oracle")

-- One shared object per target source and optimisation level. Targets are
-- what snare debugs, so they are built like ordinary user code: no
-- sanitizers, no forced frame pointers, identical in both configurations.
local function target_project(source, level, dir, target_kind)
  local name = path.getbasename(source)
  local id = dir:gsub("/", "_") .. "_" .. name
  local cxx = source:match("%.cpp$")
  project(id)
    kind(target_kind or "SharedLib")
    if cxx then
      language "C++"
    end
    files { source }
    targetname(name)
    targetdir("build/" .. dir)
    objdir("build/obj/" .. dir .. "/" .. name)
    defines { "_GNU_SOURCE" }
    buildoptions(cxx and cxx_warnings or warnings)
    buildoptions { "-fPIC", "-g", "-" .. level }
    includedirs { "lib/include" } -- fixtures may call the public C API
    if name:match("_static$") then
      linkoptions { "-static" } -- a program no library can be preloaded into
    end
    keep_symbols()
end

for _, source in ipairs(os.matchfiles("spec/fixtures/*.c")) do
  target_project(source, "O0", "fixtures/O0")
  target_project(source, "O2", "fixtures/O2")
end
for _, source in ipairs(os.matchfiles("spec/fixtures/*.cpp")) do
  target_project(source, "O0", "fixtures/O0")
  target_project(source, "O2", "fixtures/O2")
end

-- Whole programs for `snare profile -- PROG` (spec/cli_profile_spec.lua),
-- in C and in C++ (demangled names); the libraries some of them call.
-- A fixture library a program links (by its project, found at run time
-- through the rpath): twin_globals defines the library's globals again.
local program_links = { unwind_backtrace = { "unwind" }, nested_calls = { "z" },
                        twin_globals = { "fixtures_O0_twin_globals_lib" } }
local fixture_library_dir = os.getcwd() .. "/build/fixtures/O0"
for _, source in ipairs(os.matchfiles("spec/fixtures/programs/*.c*")) do
  target_project(source, "O0", "fixtures/bin", "ConsoleApp")
  local linked = program_links[path.getbasename(source)] or {}
  links(linked)
  if linked[1] and linked[1]:match("^fixtures_") then
    linkoptions { "-Wl,-rpath," .. fixture_library_dir }
  end
  if path.getbasename(source) == "break_locations" then
    files { "spec/fixtures/programs/break_locations_asm.S" }
  end
  if path.getbasename(source) == "file_data" then -- (two units)
    files { "spec/fixtures/programs/file_data/other.c" }
  end
  if path.getbasename(source) == "lua_embedded" then
    includedirs { "/usr/include/lua5.4" }
    linkoptions { "-rdynamic", "-l:liblua5.4.a", "-lm" }
    -- No DWARF: the agent then hooks every function symbol, Lua's too.
    buildoptions { "-g0" }
  end
end

for _, source in ipairs(os.matchfiles("examples/targets/*.c")) do
  target_project(source, "O0", "examples")
end
