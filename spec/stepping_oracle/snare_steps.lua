-- snare_steps.lua LIB FUNCTION COMMAND COUNT [ENTRY]: calls ENTRY()
-- (default stepping_main(4)) in LIB to a breakpoint on FUNCTION, repeats
-- s:step_line() (COMMAND "step") or s:next() ("next") up to COUNT times
-- and prints "SEQ func:line ...", as gdb_steps.py does under gdb (a
-- function without lines as "func:0").
local snare = require "snare"

local path, func, command, count = arg[1], arg[2], arg[3], tonumber(arg[4])
-- libc by its symbols alone, as gdb -iex 'set debug-file-directory
-- /nonexistent' knows it
snare.debug_file_directory("/nonexistent")
local _libc <close> = assert(snare.load("libc.so.6"))
local _lib <close> = assert(snare.load(path))
local s <close> = snare.session{ timeout = 10000 }
s:breakpoint(func) -- kept, as gdb keeps it: it ends steps over calls
local stop
if arg[5] then
  stop = s:call(arg[5])
else
  stop = s:call("stepping_main", 4)
end

local method = command == "step" and "step_line" or "next"

local function where(st)
  if st.kind == "exit" then
    return "exit"
  end
  if st.func and not st.line then
    return st.func .. ":0"
  end
  return string.format("%s:%s", st.func or "?", st.line or "?")
end

local seq = { where(stop) }
for _ = 1, count do
  if seq[#seq] == "exit" then
    break
  end
  stop = s[method](s)
  seq[#seq + 1] = where(stop)
end
print("SEQ " .. table.concat(seq, " "))
