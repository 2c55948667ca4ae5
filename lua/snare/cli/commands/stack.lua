-- The stack: backtrace, frame, up, down.

local snare = require "snare"
local expr = require "snare.expr"
local report = require "snare.cli.report"
local frame_values = require "snare.cli.commands.frame_values"
local source = require "snare.cli.source"

local function frames(dbg, message)
  dbg:require_stopped(message or "No stack.")
  return dbg.session:backtrace()
end

-- Whether frame i of list (1: the innermost) shows the line of an
-- inlined call, which has no pc of its own: a caller of an inlined
-- frame, or the innermost where the stop hides the inlined calls that
-- begin at its pc (gdb's frame_show_address).
local function at_call_site(dbg, list, i)
  if i > 1 then
    return list[i - 1].inlined
  end
  local stop = dbg.stop
  return stop ~= nil and stop.inline_hidden ~= nil and list[1] ~= nil
    and stop.pc == list[1].pc
end

-- The integer C expression `text` is, as gdb reads a count or a level
-- (truncated).
local function number_of(dbg, text)
  local n = expr.value.number(dbg:evaluate(text))
  n = math.tointeger(n) or math.tointeger(math.floor(n))
  if not n then
    dbg:fail("Invalid number \"%s\".", text)
  end
  return n
end

-- `backtrace [full] [N]`: N (an expression, as gdb's) innermost frames,
-- or with N negative the -N outermost; full: each with its locals.
local function backtrace(dbg, args)
  local list = frames(dbg)
  local full, rest = args:match("^%-?(full)%s*(.-)$")
  args = full and rest or args
  local limit = args ~= "" and number_of(dbg, args) or math.huge
  local first = limit < 0 and math.max(1, #list + limit + 1) or 1
  for i = first, #list do
    if i > limit and limit >= 0 then
      if not dbg.batch then -- (gdb says it where a command is from_tty)
        dbg:out("(More stack frames follow...)")
      end
      break
    end
    dbg:out(report.stack_frame(list[i], at_call_site(dbg, list, i)))
    if full then
      frame_values.frame_locals(dbg, list[i])
    end
  end
end

-- Selects frame n and shows it (with its source line when known).
local function select(dbg, n, message)
  local list = frames(dbg, message)
  local frame = list[n + 1]
  if not frame then
    dbg:fail("No frame at level %d.", n)
  end
  dbg.frame_index, dbg.listed = n, nil
  -- the caller of an inlined call shows no address, as in bt
  dbg:out(report.stack_frame(frame, at_call_site(dbg, list, n + 1)))
  if frame.file and frame.line then
    source.show(function(text) dbg:out(text) end, frame.file, frame.line)
  end
end

-- up and down: as far as the stack goes; past its end only with a
-- count (gdb's rule: a bare `up` at the outermost frame is an error).
local at_end = {
  [1] = "Initial frame selected; you cannot go up.",
  [-1] = "Bottom (innermost) frame selected; you cannot go down.",
}

local function relative(step)
  return function(dbg, args)
    local list = frames(dbg) -- (before the count: "No stack." first)
    local n = args ~= "" and number_of(dbg, args) or 1
    local wanted = (dbg.frame_index or 0) + step * n
    local target = math.max(0, math.min(wanted, #list - 1))
    if target ~= wanted and args == "" then
      dbg:fail(at_end[step])
    end
    select(dbg, target)
  end
end

-- The innermost frame of function `name` (its level), as gdb's `frame
-- function NAME` finds it.
local function level_of_function(dbg, name)
  for i, frame in ipairs(frames(dbg)) do
    if frame.func == name then
      return i - 1
    end
  end
  if not snare.symbol(name) then
    dbg:fail('Function "%s" not defined.', name)
  end
  dbg:fail('No frame for function "%s".', name)
end

-- `frame [N]`, `frame level N`, `frame function NAME`.
local function frame_command(dbg, args)
  local how, rest = args:match("^(%a+)%s*(.-)$")
  if how == "function" then
    if rest == "" then
      dbg:fail("Missing function name argument")
    end
    return select(dbg, level_of_function(dbg, rest))
  elseif how == "level" then
    args = rest
    if args == "" then
      dbg:fail("Argument required (expression to compute).")
    end
  end
  if args == "" then
    return select(dbg, dbg.frame_index or 0)
  end
  -- (gdb's `frame N` before run looks for the registers first)
  dbg:require_stopped("No registers.")
  select(dbg, number_of(dbg, args))
end

return {
  { name = "backtrace", aliases = { "bt", "where" },
    usage = "backtrace [full] [N]",
    help = "show the call stack (N innermost frames, -N outermost; full: "
      .. "with their locals)", run = backtrace },
  { name = "frame", aliases = { "f" }, usage = "frame [N|level N|function NAME]",
    help = "select frame N (print and list then use its variables)",
    run = frame_command },
  { name = "up", usage = "up [N]", help = "select the caller's frame",
    run = relative(1) },
  { name = "down", usage = "down [N]", help = "select the callee's frame",
    run = relative(-1) },
}
