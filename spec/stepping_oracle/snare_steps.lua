-- snare_steps.lua LIB FUNCTION COMMAND COUNT: calls stepping_main(4) in
-- LIB to a breakpoint on FUNCTION, repeats s:step_line() (COMMAND "step")
-- or s:next() ("next") up to COUNT times and prints "SEQ func:line ...",
-- as gdb_steps.py does under gdb.
local snare = require "snare"

local path, func, command, count = arg[1], arg[2], arg[3], tonumber(arg[4])
local _lib <close> = assert(snare.load(path))
local s <close> = snare.session{ timeout = 10000 }
s:breakpoint(func) -- kept, as gdb keeps it: it ends steps over calls
local stop = s:call("stepping_main", 4)

local method = command == "step" and "step_line" or "next"

local function where(st)
  if st.kind == "exit" then
    return "exit"
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
