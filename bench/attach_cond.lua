-- attach_cond.lua - the script bench/attach.sh runs inside attach_target
-- with `snare attach PID exec`: a breakpoint on visit_step() whose Lua
-- condition is false, then the go file that starts the timed loop; when
-- the program exits, how it ended and the breakpoint's hits (its C
-- count: hits while the controller itself runs Lua skip the condition,
-- by design). Arguments (agent.args): GOFILE.
local agent = require "snare.agent"

local bp = agent.session:breakpoint("visit_step", {
  condition = function() return false end,
})
assert(io.open(agent.args[1], "w")):close()
local how = agent.run()
print(how, bp.hits)
