-- snare_corpus_steps.lua - the snare half of the stepping oracle on a
-- corpus program: run as `snare exec snare_corpus_steps.lua FUNCTION
-- COMMAND COUNT PROGRAM ARGS... -- PROGRAM`, it calls the program's main
-- with PROGRAM ARGS as its argv on the session's worker (the program's
-- own main never runs: the script ends the process), stops at `break
-- FUNCTION` (kept, as gdb keeps it), repeats s:step_line() (COMMAND
-- "step") or s:next() ("next") up to COUNT times and prints "SEQ
-- func:line ...", as gdb_steps.py does under gdb: back in main counts as
-- "exit", a function without lines "func:0".
local agent = require "snare.agent"
local snare = require "snare"

-- libc known by its symbols only, as gdb -iex 'set debug-file-directory
-- /nonexistent' knows it: a step that jumps into malloc stops there.
snare.debug_file_directory("/nonexistent")
local _libc <close> = assert(snare.load("libc.so.6")) -- kept from the GC

local func, command, count = agent.args[1], agent.args[2],
  tonumber(agent.args[3])
local s = agent.session
s:breakpoint(func)
local stop = s:call_main("main", table.move(agent.args, 4, #agent.args, 1, {}))
local method = command == "step" and "step_line" or "next"

local function where(st)
  if st.kind == "exit" or st.func == "main" then
    return "exit"
  end
  if st.func and not st.line then -- gdb's line 0: no line information
    return st.func .. ":0"
  end
  return string.format("%s:%s", st.func or "?", st.line or "?")
end

local seq = { where(stop) }
for _ = 1, count do
  if seq[#seq] == "exit" then
    break
  end
  local ok, result = pcall(s[method], s)
  if not ok then -- printed as the step gdb made, so it counts once
    seq[#seq + 1] = "error:" .. tostring(result):gsub("%s", "_")
    break
  end
  stop = result
  seq[#seq + 1] = where(stop)
end
print("SEQ " .. table.concat(seq, " "))
io.stdout:flush()
if stop.kind ~= "exit" then
  pcall(s.abort, s)
end
os.exit(0)
