-- exec_program.lua - a script in control of a whole program:
--
--    snare exec examples/exec_program.lua -- build/fixtures/bin/calls 6
--
-- The agent runs it inside the program before main(): it stops the
-- program's main thread at every call of middle() (a breakpoint), hooks
-- leaf() (a Lua callback on each call), counts fib() calls in C, and
-- reports when the program exits.
--
-- run: bin/snare exec examples/exec_program.lua -- build/fixtures/bin/calls 6
-- exit: 3
-- expect: stopped in middle, called from main%+%d+
-- expect: program ended: exit
-- expect: leaf arguments: 0 1 2 3 0 1 2 3 0 1 2 3
-- expect: fib calls: 25
local agent = require "snare.agent"
local snare = require "snare"

local s = agent.session
s:breakpoint("middle")
local leaves = {}
local _hook <close> = snare.hook("leaf", function(call)
  leaves[#leaves + 1] = call.args[1] -- the first integer argument
end)
local fibs <close> = snare.tally("fib")

local how = agent.run {
  event = function(ev)
    if ev.type == "hard-breakpoint" then
      print(string.format("stopped in %s, called from %s", ev.name,
                          snare.describe(ev.stack[2]) or "?"))
    end
  end,
}
print("program ended: " .. how)
print("leaf arguments: " .. table.concat(leaves, " "))
print("fib calls: " .. fibs:report()[1].calls)
