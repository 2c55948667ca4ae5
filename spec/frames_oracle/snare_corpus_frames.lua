-- snare_corpus_frames.lua - the snare half of the frames oracle on a
-- corpus program: run as `snare exec snare_corpus_frames.lua FUNCTION
-- PROGRAM ARGS... -- PROGRAM`, it calls the program's main with PROGRAM
-- ARGS as its argv on the session's worker (before the program's own main
-- runs, which it never does: the script ends the process), stops at the
-- first `break FUNCTION` and prints the frames up to main in
-- gdb_frames.py's form.
local agent = require "snare.agent"

local func = agent.args[1]
local s = agent.session

-- Scalars as gdb writes them; aggregates are not compared (corpus.py).
local function render(v)
  if v == nil then return "<optimized out>" end
  if math.type(v) == "integer" then return string.format("%d", v) end
  if math.type(v) == "float" then return string.format("%.17g", v) end
  if type(v) == "table" then return "{...}" end
  return tostring(v)
end

local function base(path)
  return path and path:match("[^/]*$") or "??"
end

s:breakpoint(func)
local argv = table.move(agent.args, 2, #agent.args, 1, {})
local stop = s:call_main("main", argv)
if stop.kind ~= "breakpoint" then
  print("no stop: " .. tostring(stop.kind))
  os.exit(0)
end
for _, f in ipairs(s:backtrace()) do
  print(string.format("F %d %s %s:%d %d", f.index, f.func or "??",
                      base(f.file), f.line or 0, f.inlined and 1 or 0))
  for _, list in ipairs{ f:params(), f:locals() } do
    for _, e in ipairs(list) do
      print(string.format("V %d %s %s", f.index, e.name, render(e.value)))
    end
  end
  if f.func == "main" then break end
end
s:abort()
os.exit(0)
