-- count.lua - run by spec/native_conditions_spec.lua under `snare exec`:
-- for each "FUNCTION\tCONDITION" line of $CONDITIONS, two breakpoints on
-- the function, the condition compiled as the prompt's `break FUNCTION if
-- CONDITION` is (snare.expr.condition), once lowered to a native program
-- at its first hit where it can be (native) and once left to Lua. Every
-- hit is let through, counting those whose condition holds. At the
-- program's exit writes to $COUNTS, per line: the native breakpoint's
-- count, the Lua one's, the native one's condition mechanism, its false
-- hits that reached Lua (all of them for "lua"; at most the first for
-- "native": the core rejected the rest), the function and condition.
local agent = require "snare.agent"
local expr = require "snare.expr"

local shared = dofile("spec/condition_env.lua") -- (run from the checkout)
local env, holder = shared.env, shared.holder

local rows = {}

-- A breakpoint on `where` counting the hits where `text` holds into
-- row[field], its false hits that reach Lua into row[field .. "_false"].
local function counted(row, field, where, text, native)
  local test = expr.condition(text, env, holder, false, native)
  row[field], row[field .. "_false"] = 0, 0
  return agent.session:breakpoint(where, {
    condition = function(frame)
      if test(frame) then
        row[field] = row[field] + 1
      else
        row[field .. "_false"] = row[field .. "_false"] + 1
      end
      return false
    end,
  })
end

for line in io.lines(os.getenv("CONDITIONS")) do
  local where, text = line:match("^([^\t]+)\t(.+)$")
  local row = { where = where, text = text }
  row.native_bp = counted(row, "native", where, text, true)
  counted(row, "lua", where, text, false)
  rows[#rows + 1] = row
end
agent.run {}
local out = assert(io.open(os.getenv("COUNTS"), "w"))
for _, row in ipairs(rows) do
  out:write(row.native, "\t", row.lua, "\t",
            row.native_bp.condition_mechanism or "-", "\t",
            row.native_false, "\t", row.where, "\t", row.text, "\n")
end
out:close()
