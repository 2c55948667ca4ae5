-- What a breakpoint does once set, as gdb changes it: condition N EXPR,
-- ignore N COUNT, commands N ... end; and rbreak REGEX.

local snare = require "snare"
local expr = require "snare.expr"
local breakpoints = require "snare.cli.commands.breakpoints"
local regexp = require "snare.cli.regexp"

-- The breakpoint numbered by the first word of args, and the rest;
-- `bad(word, args)`: gdb's error when that word is not a number.
local function numbered(dbg, args, usage, bad)
  local word, rest = args:match("^(%S+)%s*(.-)$")
  if not word then
    dbg:fail("Argument required (%s).", usage)
  end
  if not word:match("^%d+$") then
    dbg:fail("%s", bad(word, args))
  end
  local bp = breakpoints.selected(dbg, word, function(id)
    dbg:fail("No breakpoint number %d.", id)
  end)[1]
  return bp, rest
end

local function bad_argument(word)
  return string.format("Bad breakpoint argument: '%s'", word)
end

-- The old condition's native program no longer says what bp's false
-- hits are (a watchpoint or a pending breakpoint has none).
local function drop_native(bp)
  if bp.drop_native_condition then
    bp:drop_native_condition()
  end
end

local function condition(dbg, args)
  local bp, text = numbered(dbg, args, "breakpoint number", bad_argument)
  local note = dbg.notes[bp.id]
  if text == "" then
    drop_native(bp)
    note.condition, note.test = nil, nil
    dbg:out(string.format("Breakpoint %d now unconditional.", bp.id))
    return
  end
  -- one address: no pc to ask at each hit (a watchpoint has none)
  local addresses = bp.addresses
  local test = dbg:compile_condition(text, addresses and #addresses == 1)
  -- as gdb, a name not in scope there keeps the old condition
  -- (a watchpoint's scope: the selected frame's)
  if not note.kind then
    addresses = addresses or { bp.address }
  end
  dbg:check_condition(text, addresses)
  drop_native(bp)
  note.test = test
  note.condition = text
end

local function ignore(dbg, args)
  local bp, count_text = numbered(dbg, args, "a breakpoint number",
                                  function(_, whole)
    return string.format("bad breakpoint number: '%s'", whole)
  end)
  local count = math.tointeger(tonumber(count_text))
  if not count then
    dbg:fail("Second argument (specified ignore-count) is missing.")
  end
  count = math.max(count, 0)
  dbg.notes[bp.id].ignore = count
  if dbg.batch then -- gdb says it to a terminal or a pipe only
    return
  elseif count == 0 then
    dbg:out(string.format("Will stop next time breakpoint %d is reached.",
                          bp.id))
  elseif count == 1 then
    dbg:out(string.format("Will ignore next crossing of breakpoint %d.",
                          bp.id))
  else
    dbg:out(string.format("Will ignore next %d crossings of breakpoint %d.",
                          count, bp.id))
  end
end

-- `clear [LOCATION]`: deletes the breakpoints at LOCATION's addresses
-- (alone: the selected frame's line), saying which as gdb does to a
-- terminal or a pipe, and in batch mode when there are several.
local function clear(dbg, args)
  local where = args
  if args == "" then
    local file = dbg.session.stopped and dbg.stop and dbg.stop.file
    local row = file and snare.core.line_at(dbg:selected_frame().pc)
    if not row then
      dbg:fail("No source file specified.")
    end
    where = file .. ":" .. row.line
  end
  local ok, addresses = pcall(snare.core.locations, dbg:location(where))
  if not ok then
    dbg:location_failed(addresses, where)
  end
  local at = {}
  for _, addr in ipairs(addresses) do
    at[addr] = true
  end
  local found, ids = {}, {}
  for _, bp in ipairs(dbg.session:breakpoints()) do
    for _, addr in ipairs(bp.addresses or { bp.address }) do
      if at[addr] then
        found[#found + 1] = bp
        ids[#ids + 1] = tostring(bp.id)
        break
      end
    end
  end
  if #found == 0 then
    dbg:fail(args == "" and "No breakpoint at this line."
             or ("No breakpoint at " .. args .. "."))
  end
  if not dbg.batch or #found > 1 then
    dbg:out(string.format("Deleted breakpoint%s %s ", #found > 1 and "s" or "",
                          table.concat(ids, " ")))
  end
  for _, bp in ipairs(found) do
    dbg.notes[bp.id] = nil
    bp:clear()
  end
end

-- `commands [N]`: the lines up to `end` run after each stop at N (the
-- last breakpoint set when N is left out).
local function commands(dbg, args)
  local bp
  if args == "" then
    local all = dbg.session:breakpoints()
    bp = all[#all]
    if not bp then
      dbg:fail("No breakpoints specified.")
    end
  else
    bp = numbered(dbg, args, "breakpoint number", bad_argument)
  end
  local lines = {}
  while true do
    local line = dbg.source and dbg.source.read(">")
    if line == nil or line:match("^%s*end%s*$") then
      break
    end
    lines[#lines + 1] = line:match("^%s*(.-)%s*$")
  end
  dbg.notes[bp.id].commands = lines
end

-- `rbreak REGEX`: a breakpoint on every function of the loaded libraries
-- whose name matches, each followed by its prototype as gdb shows it; in
-- gdb's order: those with debug information by source file, then name,
-- then the others as the libraries list them.
local function rbreak(dbg, args)
  if args == "" then
    dbg:fail("Argument required (regular expression).")
  end
  local regex = regexp.compile(dbg, args)
  local with_lines, without = {}, {}
  for _, lib in ipairs(dbg.libraries) do
    for _, fn in ipairs(lib:functions()) do
      if regex:find(fn.name) and not fn.name:match("^sub_%x+$") then
        local t = dbg.env:function_type(fn.address)
        local line = t and lib:line_at(fn.address)
        local found = { fn = fn, type = t, file = line and line.file }
        if found.file then
          with_lines[#with_lines + 1] = found
        else
          without[#without + 1] = found
        end
      end
    end
  end
  table.sort(with_lines, function(a, b)
    if a.file ~= b.file then
      return a.file < b.file
    end
    return a.fn.name < b.fn.name
  end)
  table.move(without, 1, #without, #with_lines + 1, with_lines)
  for _, found in ipairs(with_lines) do
    local name = found.fn.name
    breakpoints.set_breakpoint(dbg, name, false)
    dbg:out(found.type and (expr.types.name(found.type, name) .. ";")
            or ("<function, no debug info> " .. name .. ";"))
  end
end

return {
  { name = "rbreak", usage = "rbreak REGEX",
    help = "a breakpoint on every function whose name matches",
    run = rbreak },
  { name = "condition", usage = "condition N [EXPR]",
    help = "stop at breakpoint N only when the C expression holds",
    run = condition },
  { name = "clear", usage = "clear [LOCATION]",
    help = "delete the breakpoints at a location (alone: this line)",
    run = clear },
  { name = "ignore", usage = "ignore N COUNT",
    help = "pass breakpoint N the next COUNT times", run = ignore },
  { name = "commands", usage = "commands [N]",
    help = "commands to run at each stop of breakpoint N, up to `end`",
    run = commands },
}
