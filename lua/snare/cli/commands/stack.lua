-- The stack: backtrace and frame, once the Lua API has backtraces.

local function unavailable(dbg, what)
  dbg:fail("%s: not available yet (needs session:backtrace)", what)
end

return {
  { name = "backtrace", aliases = { "bt", "where" }, usage = "backtrace",
    help = "show the call stack",
    run = function(dbg) unavailable(dbg, "backtrace") end },
  { name = "frame", aliases = { "f" }, usage = "frame [N]",
    help = "select a frame of the call stack",
    run = function(dbg) unavailable(dbg, "frame") end },
}
