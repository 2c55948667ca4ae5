-- pending_breakpoints.lua - gdb's pending breakpoints for `snare debug --
-- PROG`: `break FUNC` for a function of no object loaded yet, made as
-- `set breakpoint pending` says (on: pending; off: refused; auto: gdb's
-- question, answered no when the input is not a terminal).
--
-- Resolving them when the library loads is not done yet: a stop at
-- r_debug's r_brk holds the loader's lock, which the controller's
-- unwinding and symbol lookups of the stopped thread take (dlsym, dladdr).
local M = {}

--- Installs pending breakpoints into `dbg` (its make_pending and
-- pending_points). `o`: session (the agent's), mode (function() ->
-- "auto"|"on"|"off"), interactive (gdb asks), ask (function(question)
-- -> answer line).
function M.install(dbg, o)
  local points = {}
  dbg.pending_points = points
  -- The pseudo breakpoint `info breakpoints`, delete, enable and disable
  -- see until it resolves.
  local function pending(number, args, where, temporary)
    local point = { id = number, enabled = true, hits = 0, addresses = {},
                    pending = true, args = args, temporary = temporary }
    function point.clear()
      for i, p in ipairs(points) do
        if p == point then
          table.remove(points, i)
        end
      end
    end
    function point.enable() point.enabled = true end
    function point.disable() point.enabled = false end
    dbg.notes[number] = { temporary = temporary, pending = where,
                          condition = args:match("%f[%w]if%s+(.+)$") }
    points[#points + 1] = point
  end

  function dbg.make_pending(d, args, where, temporary)
    local mode = o.mode()
    if mode == "off" then
      d:fail('Function "%s" not defined.', where)
    end
    io.stderr:write(string.format('Function "%s" not defined.\n', where))
    local question = "Make breakpoint pending on future shared library load? "
                     .. "(y or [n]) "
    if mode == "auto" and not o.interactive then
      d:out(question .. "[answered N; input not from terminal]")
      return
    elseif mode == "auto" and not (o.ask(question) or ""):match("^%s*[yY]") then
      return
    end
    local number = o.session:breakpoint_number()
    pending(number, args, where, temporary)
    d:out(string.format("%s %d (%s) pending.", temporary
                        and "Temporary breakpoint" or "Breakpoint", number,
                        where))
  end
end

return M
