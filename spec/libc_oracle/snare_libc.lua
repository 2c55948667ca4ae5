-- snare_libc.lua - the snare half of the libc oracle (run.sh): with the
-- C library's DWARF read from its separate debug file, prints
--   bt LINE         "F func file line" for each frame at libc_calls.c:LINE
--                   (libc_calls_sort(8) calls qsort, whose callback stops)
--   step LINE COUNT "S func file line" after each of COUNT `step`s from
--                   libc_calls.c:LINE, reached by libc_calls_env() or,
--                   past that function, libc_calls_parse("42")
--   break 0 NAME... "NAME func OFFSET..." for the locations of a session
--                   breakpoint on each name (offsets in libc), as
--                   spec/debuginfo_oracle/breaks.py prints them
-- in the form gdb_libc.py prints under gdb. Files are base names: gdb
-- names the fixture's file relative to its build directory.
-- Usage: lua5.4 snare_libc.lua LIBRARY MODE LINE [COUNT]
local snare = require "snare"

local path, mode, line, count = arg[1], arg[2], tonumber(arg[3]),
  tonumber(arg[4] or 0)
local lib <close> = assert(snare.load(path))
local libc <close> = assert(snare.load("libc.so.6")) -- path may be libc too
local s <close> = snare.session { timeout = 10000 }

local function base(file) return file and file:match("[^/]*$") or "?" end

if mode == "break" then
  for i = 4, #arg do
    local bp = s:breakpoint(arg[i])
    local at = {}
    for _, a in ipairs(bp.addresses) do
      at[#at + 1] = string.format("0x%x", a - libc.base)
    end
    print(arg[i] .. " func " .. table.concat(at, " "))
    bp:clear()
  end
  return
end
s:breakpoint("libc_calls.c:" .. line)
if mode == "bt" then
  local stop = s:call(lib:symbol("libc_calls_sort"), 8)
  assert(stop.kind == "breakpoint", "did not stop: " .. tostring(stop.kind))
  for _, f in ipairs(s:backtrace()) do
    print(string.format("%s %s %s %s", f.tail_call and "T" or "F", f.func,
                        base(f.file), f.line))
    if f.func == "libc_calls_sort" then break end
  end
else
  local env = lib:function_info("libc_calls_env")
  local in_env = lib:addresses("libc_calls.c:" .. line)[1] < env.ranges[1].high
  local stop = in_env and s:call(lib:symbol("libc_calls_env"))
    or s:call(lib:symbol("libc_calls_parse"), "42")
  assert(stop.kind == "breakpoint", "did not stop: " .. tostring(stop.kind))
  for _ = 1, count do
    stop = s:step_line()
    if stop.kind == "exit" then break end
    print(string.format("S %s %s %s", stop.func or "?", base(stop.file),
      stop.line or "?"))
  end
end
if s.state ~= "exited" then pcall(s.abort, s) end
