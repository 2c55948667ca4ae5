-- What a breakpoint does once set, as gdb changes it: condition N EXPR,
-- ignore N COUNT, commands N ... end; and rbreak REGEX.

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

local function condition(dbg, args)
  local bp, text = numbered(dbg, args, "breakpoint number", bad_argument)
  local note = dbg.notes[bp.id]
  if text == "" then
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
  if count == 0 then
    dbg:out(string.format("Will stop next time breakpoint %d is reached.",
                          bp.id))
  else
    dbg:out(string.format("Will ignore next %d crossing%s of breakpoint %d.",
                          count, count == 1 and "" or "s", bp.id))
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
-- whose name matches, each followed by its prototype as gdb shows it.
local function rbreak(dbg, args)
  if args == "" then
    dbg:fail("Argument required (regular expression).")
  end
  local pattern = regexp.pattern(dbg, args, "rbreak")
  for _, lib in ipairs(dbg.libraries) do
    for _, fn in ipairs(lib:functions()) do
      if fn.name:find(pattern) and not fn.name:match("^sub_%x+$") then
        breakpoints.set_breakpoint(dbg, fn.name, false)
        local t = dbg.env:function_type(fn.address)
        dbg:out(t and (expr.types.name(t, fn.name) .. ";")
                or ("<function, no debug info> " .. fn.name .. ";"))
      end
    end
  end
end

return {
  { name = "rbreak", usage = "rbreak REGEX",
    help = "a breakpoint on every function whose name matches",
    run = rbreak },
  { name = "condition", usage = "condition N [EXPR]",
    help = "stop at breakpoint N only when the C expression holds",
    run = condition },
  { name = "ignore", usage = "ignore N COUNT",
    help = "pass breakpoint N the next COUNT times", run = ignore },
  { name = "commands", usage = "commands [N]",
    help = "commands to run at each stop of breakpoint N, up to `end`",
    run = commands },
}
