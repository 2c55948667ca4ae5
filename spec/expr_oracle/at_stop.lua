-- at_stop.lua - the snare side of the expression oracle (run.sh), run
-- by `snare exec` inside a corpus program: at the first hit of
-- $ORACLE_BREAK it prints each expression of the file $ORACLE_EXPRS with
-- frame:eval into $ORACLE_OUT, as "@@@ EXPR" then "$ = TEXT" (or the
-- error), and lets the program run on.
local agent = require "snare.agent"

local exprs = {}
for line in io.lines(os.getenv("ORACLE_EXPRS")) do
  exprs[#exprs + 1] = line
end
local out = assert(io.open(os.getenv("ORACLE_OUT"), "w"))

local done = false
agent.session:breakpoint(os.getenv("ORACLE_BREAK"), {
  condition = function(frame)
    if done then
      return false
    end
    done = true
    for _, text in ipairs(exprs) do
      local ok, _, shown = pcall(frame.eval, frame, text)
      out:write("@@@ ", text, "\n", ok and ("$ = " .. shown)
                or tostring(_), "\n")
    end
    out:close()
    return false
  end,
})
agent.run {}
