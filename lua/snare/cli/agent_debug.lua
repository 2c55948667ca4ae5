-- agent_debug.lua - the controller script of `snare attach PID debug`:
-- the prompt of `snare debug`, run inside the process on the agent's
-- session (its threads are attached to it), reading snare's stdin.
-- `detach` (or `quit`, or the end of input) leaves the process; so does
-- snare being told to detach, at the next command. Its argument
-- (agent.args): "1" when snare's stdin is a terminal (the prompt shows).
local agent = require "snare.agent"
local Debugger = require "snare.cli.debugger"
local attached_stops = require "snare.cli.attached_stops"

local interactive = agent.args[1] == "1"
-- the program's threads stop at breakpoints: the prompt serves them
local view = attached_stops.view(agent.session)
local dbg = assert(Debugger.new { session = view })
-- the program runs while the prompt waits: continue waits for a stop
-- even when no thread is stopped yet
dbg.commands:find("continue").run = function(d)
  local stop = d.session:continue()
  if stop then
    d:show_stop(stop)
  end
end
io.stdout:setvbuf("line")
local pid = io.open("/proc/self/stat"):read("n")
io.stdout:write(("Attached to process %d.\n"):format(pid))
while true do
  if interactive then
    io.stdout:write("(snare) ")
    io.stdout:flush()
  end
  local line = io.read("l")
  if line == nil or line:match("^%s*detach%s*$") or line:match("^%s*quit%s*$")
     or line:match("^%s*q%s*$") then
    break
  end
  if dbg:execute(line) then
    break
  end
  if require("snare.agent.core").ending() or view.faulted then
    break
  end
end
view:release()
io.stdout:write(("Detaching from process %d.\n"):format(pid))
