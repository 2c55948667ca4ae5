-- specialised.lua - run by run.sh under `snare exec` inside a corpus
-- program: at the first hit of $ORACLE_BREAK, each expression of
-- $ORACLE_EXPRS is evaluated in the breakpoint's frame both ways a
-- condition can run it: by the general evaluator (snare.expr over value
-- objects) and by the code compiled for the site (snare.expr.specialise).
-- Their values (gdb's text and type), truths and errors must be equal.
-- Writes "specialised N of M, mismatches K" and each mismatch to
-- $ORACLE_OUT (with $ORACLE_VERBOSE, every specialised result too).
local agent = require "snare.agent"
local expr = require "snare.expr"

local exprs = {}
for line in io.lines(os.getenv("ORACLE_EXPRS")) do
  exprs[#exprs + 1] = line
end
local out = assert(io.open(os.getenv("ORACLE_OUT"), "w"))

-- "value TEXT of TYPE, truth T" or "error MESSAGE" of a function's result.
local function outcome(f, frame)
  local ok, v = pcall(f, frame)
  if not ok then
    return "error " .. tostring(v)
  end
  return string.format("value %s of %s", expr.format(v),
                       expr.types.name(v.type))
end

local function truth_of(f, frame)
  local ok, t = pcall(f, frame)
  return ok and tostring(t) or "error " .. tostring(t)
end

local holder = {}
local env = expr.env {
  frame = function() return holder.frame end,
  register = function(name) return holder.frame:reg(name) end,
  compiled_reads = true,
}

local done = false
agent.session:breakpoint(os.getenv("ORACLE_BREAK"), {
  condition = function(frame)
    if done then
      return false
    end
    done = true
    local specialised, mismatches = 0, 0
    for _, text in ipairs(exprs) do
      local general = function(f)
        holder.frame = f
        local ok, v = pcall(expr.evaluate, text, env)
        holder.frame = nil
        if not ok then
          error(v, 0)
        end
        return v
      end
      local ok, value_of, test = pcall(expr.specialised, text, env, holder,
                                       frame)
      if ok and value_of then
        specialised = specialised + 1
        local want, got = outcome(general, frame), outcome(value_of, frame)
        local want_truth = truth_of(function(f)
          return expr.truth(general(f))
        end, frame)
        local got_truth = truth_of(test, frame)
        if os.getenv("ORACLE_VERBOSE") then -- what was compared
          out:write(string.format("SAME? %s: %s, %s\n", text, got, got_truth))
        end
        if want ~= got or want_truth ~= got_truth then
          mismatches = mismatches + 1
          out:write(string.format("MISMATCH %s\n  general     %s, %s\n"
                                  .. "  specialised %s, %s\n", text, want,
                                  want_truth, got, got_truth))
        end
      end
    end
    out:write(string.format("specialised %d of %d, mismatches %d\n",
                            specialised, #exprs, mismatches))
    out:close()
    return false
  end,
})
agent.run {}
