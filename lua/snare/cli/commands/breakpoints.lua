-- Breakpoints: break, tbreak, delete, disable, enable, info breakpoints.

local snare = require "snare"
local core = require "snare.core"
local report = require "snare.cli.report"
local watch = require "snare.cli.watch"

-- "0x7f... <fib+12>: file demo.c, line 8." as gdb announces a breakpoint.
local function describe(bp)
  local text = report.address(bp.address)
  local row = snare.line_at(bp.address)
  if row then
    text = string.format("%s: file %s, line %d.", text,
                         row.file:match("[^/]*$"), row.line)
  end
  local addresses = bp.addresses
  if addresses and #addresses > 1 then
    text = string.format("%s (%d locations)", text, #addresses)
  end
  return text
end

-- Every breakpoint of the prompt decides through its note, so that
-- `condition N` and `ignore N` change it later: the C condition
-- (compiled once; its gdb truth taken in the trapped frame at each hit),
-- then the crossings still to ignore.
local function decide(dbg, frame)
  local note = dbg.notes[frame.breakpoint]
  if not note then
    return true
  end
  if note.test and not note.test(frame) then
    return false
  end
  if (note.ignore or 0) > 0 then
    note.ignore = note.ignore - 1
    return false
  end
  return true
end

local function set_breakpoint(dbg, args, temporary)
  local where, text = args:match("^(.-)%s*%f[%w]if%s+(.+)$")
  if not where then
    where = args
  end
  local test = text and dbg:compile_condition(text)
  local location = dbg:location(where)
  local resolved, addresses = pcall(core.locations, location)
  if text and resolved then -- else the breakpoint says why
    dbg:check_condition(text, addresses)
  end
  local opts = { temporary = temporary,
                 condition = function(frame) return decide(dbg, frame) end }
  local ok, bp = pcall(dbg.session.breakpoint, dbg.session, location, opts)
  if not ok then
    dbg:location_failed(bp, where)
  end
  if test and bp.addresses and #bp.addresses == 1 then -- no pc to ask
    test = dbg:compile_condition(text, true)
  end
  dbg.notes[bp.id] = { temporary = temporary, condition = text,
                       test = test }
  dbg:out(string.format("%s %d at %s", temporary and "Temporary breakpoint"
                        or "Breakpoint", bp.id, describe(bp)))
end

-- Breakpoints and watchpoints, in the order of their shared numbers.
local function all_points(dbg)
  local all = dbg.session:breakpoints()
  for _, wp in ipairs(dbg.session:watchpoints()) do
    all[#all + 1] = wp
  end
  table.sort(all, function(a, b) return a.id < b.id end)
  return all
end

-- The breakpoints and watchpoints the numbers in args name (all of them
-- for none).
local function selected(dbg, args, missing)
  local all = all_points(dbg)
  if args == "" then
    return all
  end
  local by_id, list = {}, {}
  for _, bp in ipairs(all) do
    by_id[bp.id] = bp
  end
  -- numbers and ranges (2-4) as gdb reads them; one that is none is
  -- noted, as gdb notes it, or passed to `missing`
  missing = missing or function(id)
    dbg:out(string.format("No breakpoint number %d.", id))
  end
  for word in args:gmatch("%S+") do
    local first, last = word:match("^(%d+)%-(%d*)$")
    first = math.tointeger(tonumber(first or word))
    last = last == nil and first or math.tointeger(tonumber(last))
    if not first then
      dbg:fail("Bad breakpoint number '%s'", word)
    elseif not last or last < first then
      dbg:fail("inverted range")
    end
    for id = first, last do
      if by_id[id] then
        list[#list + 1] = by_id[id]
      else
        missing(id)
      end
    end
  end
  return list
end

local function info_breakpoints(dbg)
  local list = dbg.session:breakpoints()
  local watchpoints = dbg.session:watchpoints()
  if #list == 0 and #watchpoints == 0 then
    dbg:out("No breakpoints or watchpoints.")
    return
  end
  dbg:out("Num     Type           Disp Enb Address            What")
  for _, bp in ipairs(list) do
    local note = dbg.notes[bp.id] or {}
    local name = snare.describe(bp.address)
    dbg:out(string.format("%-7d breakpoint     %-4s %-3s 0x%016x %s", bp.id,
                          note.temporary and "del" or "keep",
                          bp.enabled and "y" or "n", bp.address,
                          name and ("<" .. name .. ">") or ""))
    if note.condition then
      dbg:out("\tstop only if " .. note.condition)
    end
    if bp.hits > 0 then
      dbg:out(string.format("\tbreakpoint already hit %d time%s", bp.hits,
                            bp.hits == 1 and "" or "s"))
    end
    if (note.ignore or 0) > 0 then
      dbg:out(string.format("\tignore next %d hits", note.ignore))
    end
    for _, line in ipairs(note.commands or {}) do
      dbg:out("        " .. line)
    end
  end
  for _, wp in ipairs(watchpoints) do
    for _, row in ipairs(watch.rows(wp, dbg.notes[wp.id])) do
      dbg:out(row)
    end
  end
end

local commands = {
  { name = "break", aliases = { "b", "br" },
    usage = "break [LOCATION] [if EXPR]",
    help = "set a breakpoint at a function, *ADDRESS or FILE:LINE",
    details = "EXPR is C, in the frame that hit: break f if p->len > 3 && name[0] == 'a'",
    run = function(dbg, args) set_breakpoint(dbg, args, false) end },
  { name = "tbreak", usage = "tbreak [LOCATION] [if EXPR]",
    help = "set a breakpoint that is deleted when it stops",
    run = function(dbg, args) set_breakpoint(dbg, args, true) end },
  { name = "delete", aliases = { "d" }, usage = "delete [N...]",
    help = "delete breakpoints (all without numbers)",
    run = function(dbg, args)
      for _, bp in ipairs(selected(dbg, args)) do
        dbg.notes[bp.id] = nil
        bp:clear()
      end
    end },
  { name = "disable", usage = "disable [N...]", help = "disable breakpoints",
    run = function(dbg, args)
      for _, bp in ipairs(selected(dbg, args)) do bp:disable() end
    end },
  { name = "enable", usage = "enable [N...]", help = "enable breakpoints",
    run = function(dbg, args)
      for _, bp in ipairs(selected(dbg, args)) do bp:enable() end
    end },
  { name = "breakpoints", group = "info", aliases = { "b", "break" },
    usage = "info breakpoints", help = "list the breakpoints",
    run = info_breakpoints },
}

commands.set_breakpoint = set_breakpoint
commands.selected = selected
return commands
