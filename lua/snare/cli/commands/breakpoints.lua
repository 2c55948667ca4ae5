-- Breakpoints: break, tbreak, delete, disable, enable, info breakpoints.

local snare = require "snare"
local core = require "snare.core"
local expr = require "snare.expr"
local report = require "snare.cli.report"
local quotes = require "snare.cli.linespec_quotes"
local carry = require "snare.cli.run_carry"
local watch = require "snare.cli.watch"
local names = require "snare.function_names"

-- The LINE of a location written FILE:LINE or LINE, else nil.
local function requested_line(where)
  local line = tonumber(where:match("^%d+$") or where:match(":(%d+)$"))
  return line and line > 0 and line < 2 ^ 31 and line or nil
end

-- The line gdb gives a location at `address` of a breakpoint set at line
-- `first` (nil: none): where statement rows of several lines share the
-- address (a naked function's `{` and body, an optimised function's
-- entry and its first statements), the first of them from `first` on
-- (gdb keeps the line it found the code of), else the address's line.
local function line_of(first, address)
  local row = first and snare.line_at(address)
  return row and (core.statement_line_from(address, first) or row.line)
    or nil
end

-- For `break FUNCTION` whose place (past the prologue) starts inlined
-- calls: the frame of FUNCTION there ({file, line of the call, function}),
-- which gdb names the breakpoint by, as its stops show it; else nil.
local function function_frame(where, bp)
  if #(bp.addresses or {}) > 1 or not where:match("^[%a_][%w_:]*$") then
    return nil
  end
  for outward = 1, 255 do
    local frame = core.source_frame_at(bp.address, outward)
    if not frame then
      return nil
    elseif frame["function"] == where then
      return frame
    end
  end
end

-- For a location of `break FUNCTION` with several: the source frame at
-- `address` of the function named (FUNCTION, or a function FUNCTION's
-- name ends: "size" for Json::Value::size), innermost first, which gdb
-- names the location by (its line stays the innermost's); else nil.
local function named_frame(where, address)
  if not (where and where:match("^[%a_][%w_:]*$")) then
    return nil
  end
  for outward = 0, 255 do
    local frame = core.source_frame_at(address, outward)
    local name = frame and frame["function"]
    if not name then
      return nil
    elseif name == where or name:sub(-#where - 2) == "::" .. where then
      return frame
    end
  end
end

-- "0x7f...: file demo.c, line 8." as gdb announces a breakpoint ("0x7f..."
-- alone where there is no line; "0x7f...: fib. (3 locations)", the
-- location as written, where it has several). `line`: line_of's;
-- `frame`: function_frame's.
local function describe(bp, where, line, frame)
  local text = report.hex(bp.address)
  local row = frame or snare.line_at(bp.address)
  local addresses = bp.addresses
  if addresses and #addresses > 1 then
    if row and where:match("^%d+$") then -- (a line of the default file)
      local unit = core.unit_at(bp.address)
      text = string.format("%s: %s:%s.", text, report.full_path(row.file,
                           unit and unit.comp_dir), where)
    elseif row then
      text = string.format("%s: %s.", text, where)
    end
    return string.format("%s (%d locations)", text, #addresses)
  end
  if row then
    text = string.format("%s: file %s, line %d.", text,
                         report.file_name(row.file, bp.address),
                         line or row.line)
  end
  return text
end

-- What `info breakpoints` says of a location: "in fib at demo.c:8" where
-- it has a line (`line`, line_of's, when given; `frame`, function_frame's,
-- names it instead; `named`, named_frame's, gives the function alone),
-- else "<fib+4>". `function_start`: the location is where a function (or
-- one of its inlined copies) starts, named by the line gdb gives such a
-- place, if any. A C++ function goes by its print name ("in
-- ns::twice(int) at t.cpp:3").
local function what(address, line, frame, function_start, named)
  local row = frame or (function_start and core.function_start_line_at
                        or snare.line_at)(address)
  if row and row["function"] then
    return string.format("in %s at %s:%d",
                         names.print_name(named or row, address),
                         report.file_name(row.file, address),
                         line or row.line)
  end
  local name = snare.describe(address)
  return name and ("<" .. name .. ">") or ""
end

-- Every breakpoint of the prompt decides through its note (of `id`), so that
-- `condition N` and `ignore N` change it later: the C condition
-- (compiled once; its gdb truth taken in the trapped frame at each hit),
-- then the crossings still to ignore. A crossing where the condition is
-- false is no hit to gdb (an ignored one is).
local function decide(dbg, frame, id)
  local note = dbg.notes[id or frame.breakpoint]
  if not note then
    return true
  end
  if note.test and not note.test(frame) then
    note.untrue = (note.untrue or 0) + 1 -- not a hit to gdb
    return false
  end
  if (note.ignore or 0) > 0 then
    note.ignore = note.ignore - 1
    return false
  end
  return true
end

-- `number`: a pending breakpoint's, resolved now (set without a word,
-- as gdb's are); raises as a new one does when it still cannot be set.
local function set_breakpoint(dbg, args, temporary, number)
  local where, text = args:match("^(.-)%s*%f[%w]if%s+(.+)$")
  if not where then
    where = args
  end
  where = quotes.location(dbg, where)
  local test = text and dbg:compile_condition(text)
  -- (its own note: frame.breakpoint is the first of those at the pc)
  local bp
  local opts = { temporary = temporary, number = number,
                 condition = function(frame)
    return decide(dbg, frame, bp and bp.id)
  end }
  local stub = dbg.pending_stub and dbg:pending_stub(where)
  if stub == "undefined" then
    dbg:fail('Function "%s" not defined.', where)
  end
  local location = dbg:location(where)
  local resolved, addresses = pcall(core.locations, location)
  if text and resolved then -- else the breakpoint says why
    dbg:check_condition(text, addresses)
  end
  local ok
  ok, bp = pcall(dbg.session.breakpoint, dbg.session, location, opts)
  if not ok then
    -- a function of no object loaded yet: gdb's pending breakpoint
    -- or of a source file, or in one, none knows yet (gdb's FILE:FUNC)
    local _, said = pcall(dbg.location_failed, dbg, bp, where)
    if dbg.make_pending and not number and type(bp) == "string"
       and (bp:match("unknown symbol") and where:match("^[%a_][%w_]*$")
            or bp:match("no source file named ")
            or bp:match("function '.-' not defined in ")) then
      return dbg:make_pending(args, temporary, tostring(said))
    end
    error(said, 0)
  end
  if test and bp.addresses and #bp.addresses == 1 then -- no pc to ask
    test = dbg:compile_condition(text, true)
  end
  dbg.notes[bp.id] = { temporary = temporary, condition = text,
                       test = test, stub = stub,
                       line_from = requested_line(where),
                       line = #(bp.addresses or {}) <= 1
                         and line_of(requested_line(where), bp.address),
                       frame = function_frame(where, bp),
                       function_start = not where:match("^%*")
                         and not where:match("^%d+$")
                         and not where:match(":%d+$"),
                       where = where }
  dbg.convenience.bpnum = expr.value.of(expr.types.builtin.int, bp.id)
  local kind = temporary and "Temporary breakpoint" or "Breakpoint"
  if number then
    return
  end
  if stub == "pending" then -- gdb's, until the library loads
    io.stderr:write(string.format('Function "%s" not defined.\n', where))
    dbg:out(string.format("%s %d (%s) pending.", kind, bp.id, where))
    dbg.notes[bp.id].pending = where
    dbg.notes[bp.id].stub = nil
    return
  end
  dbg:out(string.format("%s %d at %s", kind, bp.id,
                        stub and string.format("0x%x", stub)
                        or describe(bp, where, dbg.notes[bp.id].line,
                                    dbg.notes[bp.id].frame)))
end

-- Breakpoints and watchpoints, in the order of their shared numbers.
local function all_points(dbg)
  local all = dbg.session:breakpoints()
  for _, wp in ipairs(dbg.session:watchpoints()) do
    all[#all + 1] = wp
  end
  for _, p in ipairs(dbg.pending_points or {}) do
    all[#all + 1] = p
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

-- The points of `points` info breakpoints N... lists (all for none).
local function listed(points, wanted)
  local kept = {}
  for _, p in ipairs(points) do
    if not wanted or wanted[p.id] then
      kept[#kept + 1] = p
    end
  end
  return kept
end

local function info_breakpoints(dbg, args)
  local wanted = watch.numbers(dbg, args)
  local list = dbg.session:breakpoints()
  for _, p in ipairs(dbg.pending_points or {}) do -- (no location yet)
    list[#list + 1] = p
  end
  table.sort(list, function(a, b) return a.id < b.id end)
  list = listed(list, wanted)
  local watchpoints = listed(dbg.session:watchpoints(), wanted)
  if #list == 0 and #watchpoints == 0 then
    dbg:out(wanted and string.format(
      "No breakpoint or watchpoint matching '%s'.", args)
      or "No breakpoints or watchpoints.")
    return
  end
  -- (gdb's address column is as wide as a pending row needs when every
  -- row is one)
  local narrow = #watchpoints == 0
  for _, bp in ipairs(list) do
    narrow = narrow and (bp.pending or dbg.pending_stub ~= nil
                         and (dbg.notes[bp.id] or {}).pending ~= nil)
  end
  dbg:out(narrow and "Num     Type           Disp Enb Address    What"
          or "Num     Type           Disp Enb Address            What")
  for _, bp in ipairs(list) do
    local note = dbg.notes[bp.id] or {}
    local stub = note.stub and dbg.pending_stub and note.stub
    local addresses = stub and { stub } or bp.addresses or { bp.address }
    local row = string.format("%-7d breakpoint     %-4s %-3s ", bp.id,
                              note.temporary and "del" or "keep",
                              bp.enabled and "y" or "n")
    if bp.pending or note.pending and dbg.pending_stub then
      dbg:out(string.format(narrow and "%s%-10s %s" or "%s%-18s %s", row,
                            "<PENDING>", note.pending))
    elseif #addresses > 1 then
      dbg:out(row .. "<MULTIPLE>         ")
    else
      dbg:out(string.format("%s0x%016x %s", row, report.shown(addresses[1]),
                            what(addresses[1], not stub and note.line,
                                 not stub and note.frame,
                                 note.function_start)))
    end
    if note.condition and not note.unparsed then
      dbg:out("\tstop only if " .. note.condition)
    end
    -- (before `run`, the count of the last run, as gdb shows it)
    local hits = carry.hits(bp, note)
    hits = hits > 0 and hits or note.earlier_hits or 0
    if hits > 0 then
      dbg:out(string.format("\tbreakpoint already hit %d time%s", hits,
                            hits == 1 and "" or "s"))
    end
    if (note.ignore or 0) > 0 then
      dbg:out(string.format("\tignore next %d hits", note.ignore))
    end
    for _, line in ipairs(note.commands or {}) do
      dbg:out("        " .. line)
    end
    for i = 1, #addresses > 1 and #addresses or 0 do
      dbg:out(string.format("%-27s %-3s 0x%016x %s", bp.id .. "." .. i,
                            bp.enabled and "y" or "n",
                            report.shown(addresses[i]),
                            what(addresses[i],
                                 line_of(note.line_from, addresses[i]), nil,
                                 note.function_start,
                                 named_frame(note.where, addresses[i]))))
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
    usage = "info breakpoints [N...]", help = "list the breakpoints",
    run = info_breakpoints },
}

commands.set_breakpoint = set_breakpoint
commands.selected = selected
return commands
