-- libc_steps_gdb_spec.lua - `snare debug -- PROG` against gdb 13 on step,
-- next, stepi, finish and bt through glibc with its separate debug file
-- (libc6-dbg): spec/fixtures/programs/stdio_steps.c's ferror and fgetc,
-- and posix_fadvise, whose syscall instruction a step runs over.
-- glibc 2.36 inlines _IO_ferror into itself (a DW_TAG_inlined_subroutine
-- of _IO_ferror inside _IO_ferror, its rows at one address several
-- lines): a step stops at the call line 31 first, the next step enters
-- the inlined frame, which gdb shows with its frame line although the
-- function's name is its caller's. The program runs a thread before the
-- steps, so that libc locks the stream under gdb as under snare (whose
-- threads make the process a threaded one: libc's unlocked path, taken
-- in a program that never had a thread, is another course through
-- _IO_ferror). gdb's lines about that thread are left out.
local compare = require "spec.gdb_compare"
local dp = require "spec.debug_program_helpers"
local helpers = require "spec.helpers"

local program = helpers.program("stdio_steps")

-- Whether gdb is there and finds libc's debug file (gdb without the
-- sanitizer runtime the ASan run preloads).
local function has_libc_debug()
  local pipe = io.popen("env -u LD_PRELOAD gdb -nx -batch "
    .. "-iex 'set debuginfod enabled off' -ex 'info line _IO_ferror' "
    .. "/lib/x86_64-linux-gnu/libc.so.6 2>&1")
  local out = pipe and pipe:read("a") or ""
  if pipe then
    pipe:close()
  end
  return out:match("ferror%.c") ~= nil
end

-- The compared lines of a debugger's output, without gdb's lines on the
-- program's thread (snare reports none: it follows the thread silently).
local function kept(text)
  local lines = {}
  for _, line in ipairs(compare.lines(text)) do
    if not line:match("^%[New Thread")
       and not line:match("^%[Thread .* exited%]") then
      lines[#lines + 1] = line
    end
  end
  return lines
end

-- name, commands, and what gdb's line `at` (its place among the lines
-- compared) must match: the case is about what it says.
local CASES = {
  { "ferror and fgetc (_IO_ferror inlined into itself)",
    { "break stdio_steps.c:20", "run", "step", "step", "step", "step", "bt",
      "step", "next", "step", "step", "finish", "step", "step", "step",
      "step", "step", "bt", "next", "next", "step", "finish", "next", "next",
      "next" },
    6, "^_IO_ferror %(fp=0x%) at %./libio/ferror%.c:37$" },
  -- a step over the syscall instruction stops right after it (line 52),
  -- as gdb's ptrace step does (then next over printf: a step into it
  -- would enter the ASan runtime's interceptor in the ASan run)
  { "posix_fadvise, stepi and next over its system call",
    { "break stdio_steps.c:23", "run", "step", "finish", "step", "stepi",
      "stepi", "stepi", "stepi", "bt", "next", "next", "next", "next" },
    11, "^52\tin %.%./sysdeps/unix/sysv/linux/posix_fadvise64%.c$" },
}

describe("steps into libc with its debug file", function()
  for _, case in ipairs(CASES) do
    local name, commands, at, expected = table.unpack(case)
    it("stop and print as gdb's: " .. name, function()
      if not has_libc_debug() then
        pending("no gdb or no libc6-dbg")
        return
      end
      local gout, gerr = dp.gdb_batch(commands, program)
      local sout, serr = dp.snare_debug(commands, program)
      local g, s = kept(gout .. gerr), kept(sout .. serr)
      local count = compare.differences(g, s)
      print(string.format("FIGURE libc steps (%s, %d commands): %d lines, "
        .. "%d mismatches with gdb", name, #commands, #g, count))
      if count > 0 then
        print("gdb:\n" .. table.concat(g, "\n") .. "\nsnare:\n"
              .. table.concat(s, "\n"))
      end
      assert.matches(expected, g[at] or "")
      assert.is_true(#g > #commands)
      assert.equals(0, count)
    end)
  end
end)
