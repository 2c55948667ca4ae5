-- count.lua - run by spec/condition_hits_spec.lua under `snare exec`
-- inside condition_loop: one breakpoint on visit() per condition of the
-- file $CONDITIONS (one a line), each written in C and compiled as the
-- prompt's `break visit if COND` is (snare.expr.condition). Every hit is
-- let through (the condition returns false), counting the hits whose
-- condition holds; at the program's exit writes "COUNT\tHOW\tCOND"
-- lines to $COUNTS (HOW: "specialised" when the condition ran as code
-- compiled for the site, else "general").
local agent = require "snare.agent"
local expr = require "snare.expr"

local shared = dofile("spec/condition_env.lua") -- (run from the checkout)
local env, holder = shared.env, shared.holder
local conditions, counts, how = {}, {}, {}
for line in io.lines(os.getenv("CONDITIONS")) do
  local i = #conditions + 1
  conditions[i], counts[i] = line, 0
  local test = expr.condition(line, env, holder)
  agent.session:breakpoint("visit", {
    condition = function(frame)
      if not how[i] then
        how[i] = expr.specialised(line, env, holder, frame) and "specialised"
          or "general"
      end
      if test(frame) then
        counts[i] = counts[i] + 1
      end
      return false
    end,
  })
end
agent.run {}
local out = assert(io.open(os.getenv("COUNTS"), "w"))
for i, text in ipairs(conditions) do
  out:write(counts[i], "\t", how[i] or "unhit", "\t", text, "\n")
end
out:close()
