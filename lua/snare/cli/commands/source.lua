-- Source lines: list, once the Lua API maps addresses to lines.

return {
  { name = "list", aliases = { "l" }, usage = "list",
    help = "show source lines around the stop",
    run = function(dbg)
      dbg:fail("list: not available yet (needs snare.line_at)")
    end },
}
