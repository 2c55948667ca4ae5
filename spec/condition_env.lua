-- condition_env.lua - the environment in which spec/condition_hits/ and
-- spec/native_conditions/ compile their C conditions (snare.expr.env
-- over a condition's frame, its registers and compiled reads), and the
-- holder whose `frame` it reads.
local expr = require "snare.expr"

local holder = {}
local env = expr.env {
  frame = function() return holder.frame end,
  register = function(name) return holder.frame:reg(name) end,
  compiled_reads = true,
}
return { env = env, holder = holder }
