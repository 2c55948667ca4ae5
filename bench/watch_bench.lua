-- watch_bench.lua - run by `snare exec` on bench/watch_target: watches
-- `watched` with a condition that never holds, "skip" (the C path: every
-- hit skipped on the trapped thread, no Lua) or "lua" (a Lua function
-- returning false), and checks the hit count against N: it prints
-- "watch_bench: ok" to stderr only when they match.
local agent = require "snare.agent"
local mode, count = table.unpack(agent.args)
local n = tonumber(count)
local opts = {}
if mode == "skip" then
  opts.skip = 0xffffffff
else
  opts.condition = function() return false end
end
local wp = agent.session:watch("watched", opts)
agent.run()
if wp.hits ~= n or wp.stops ~= 0 then
  io.stderr:write(string.format("watch_bench: %d hits, %d stops; expected "
                                .. "%d hits\n", wp.hits, wp.stops, n))
else
  io.stderr:write("watch_bench: ok\n")
end
