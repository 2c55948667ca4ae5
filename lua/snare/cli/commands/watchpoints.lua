-- Watchpoints: watch, rwatch, awatch, info watchpoints. `delete`,
-- `disable`, `enable` and `info breakpoints` (breakpoints.lua) take
-- watchpoints too: they share the breakpoints' numbers.

local expr = require "snare.expr"
local watch = require "snare.cli.watch"

-- `watch EXPR [if COND]`: EXPR a variable (a local of the innermost
-- frame, else a global or static) or `*ADDRESS-EXPR` (8 bytes there).
local function set_watchpoint(dbg, args, kind)
  local expression, condition = args:match("^(.-)%s*%f[%w]if%s+(.+)$")
  expression = expression or args
  if expression == "" then
    dbg:fail("Argument required (expression to compute).")
  end
  local where = expression
  local address = expression:match("^%*%s*(.+)$")
  if address then
    where = dbg:address(address)
  elseif not expression:match("^[%a_][%w_]*$") then
    dbg:fail("Cannot watch %s: give a variable's name or *ADDRESS.",
             expression)
  end
  local opts = { kind = kind }
  if condition then
    opts.condition = dbg:compile_condition(condition)
    dbg:check_condition(condition)
  end
  local ok, wp = pcall(dbg.session.watch, dbg.session, where, opts)
  if not ok then
    local name = tostring(wp):match("unknown symbol '(.-)'")
    if name then
      dbg:fail('No symbol "%s" in current context.', name)
    end
    dbg:fail("Could not insert watchpoint %s: %s", expression,
             (tostring(wp):gsub("^.-cannot watch [^:]*: ", "")))
  end
  local note = { kind = kind, expression = expression, condition = condition,
                 length = wp.length }
  dbg.notes[wp.id] = note
  dbg.convenience.bpnum = expr.value.of(expr.types.builtin.int, wp.id)
  dbg:out(watch.title(wp.id, note))
end

local function info_watchpoints(dbg, args)
  local wanted = watch.numbers(dbg, args)
  local list = {}
  for _, wp in ipairs(dbg.session:watchpoints()) do
    if not wanted or wanted[wp.id] then
      list[#list + 1] = wp
    end
  end
  if #list == 0 then
    dbg:out(wanted and string.format("No watchpoint matching '%s'.", args)
            or "No watchpoints.")
    return
  end
  dbg:out("Num     Type           Disp Enb Address            What")
  for _, wp in ipairs(list) do
    for _, row in ipairs(watch.rows(wp, dbg.notes[wp.id])) do
      dbg:out(row)
    end
  end
end

return {
  { name = "watch", usage = "watch VARIABLE|*ADDRESS [if EXPR]",
    help = "stop when a variable's value changes (a hardware watchpoint)",
    details = "EXPR is Lua, with the registers in scope, as break's",
    run = function(dbg, args) set_watchpoint(dbg, args, "write") end },
  { name = "rwatch", usage = "rwatch VARIABLE|*ADDRESS [if EXPR]",
    help = "stop when a variable is read",
    run = function(dbg, args) set_watchpoint(dbg, args, "read") end },
  { name = "awatch", usage = "awatch VARIABLE|*ADDRESS [if EXPR]",
    help = "stop when a variable is read or written",
    run = function(dbg, args) set_watchpoint(dbg, args, "access") end },
  { name = "watchpoints", group = "info", aliases = { "wat" },
    usage = "info watchpoints [N...]", help = "list the watchpoints",
    run = info_watchpoints },
}
