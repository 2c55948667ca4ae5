-- Running the target: continue, stepi, nexti, step, next, finish,
-- kill.

local snare = require "snare"
local expr = require "snare.expr"
local report = require "snare.cli.report"
local returned = require "snare.cli.returned"
local source = require "snare.cli.source"

local function count(dbg, args)
  if args == "" then
    return 1
  end
  local ok, n = pcall(function()
    return math.tointeger(expr.value.number(dbg:evaluate(args)))
  end)
  n = ok and n or nil
  if not n then
    dbg:fail("Argument must be a positive integer: %s", args)
  end
  return n
end

-- Runs one instruction, stepping over a call instruction as a whole.
local function step_over(dbg)
  local session = dbg.session
  local pc = session:reg("pc")
  local insn = snare.disassemble(pc, 1)
  if not insn or not insn[1].text:match("^call") then
    return session:step()
  end
  local after = session:breakpoint(pc + insn[1].length, { temporary = true })
  local stop = session:continue()
  if stop.kind == "breakpoint" and stop.breakpoint_id == after.id then
    stop.kind = "step" -- our own breakpoint: show it as the step it was
  end
  after:clear()
  return stop
end

-- Repeats `step` (a function returning a stop, and true when the count
-- ends there) up to n times, until a stop of another kind (a breakpoint
-- hit in a call the step ran ends the count, as gdb's); shows the last
-- stop.
local function repeat_steps(dbg, args, step)
  dbg:require_stopped()
  local n = count(dbg, args)
  if n < 1 then
    -- gdb steps no time and shows where the thread is (frame 0, selected
    -- again), as a stop, without the frame's level
    dbg.frame_index, dbg.listed = 0, nil
    local frame = dbg:selected_frame()
    dbg:out((report.stack_frame(frame):gsub("^#%d+%s+", "")))
    if frame.file and frame.line then
      source.show(function(text) dbg:out(text) end, frame.file, frame.line)
    end
    return
  end
  local stop
  for _ = 1, n do
    local ended
    stop, ended = step(dbg)
    if ended or stop.kind ~= "step" then
      break
    end
  end
  dbg:show_stop(stop)
end

-- What gdb says before a line step from code without a line: the step
-- runs the function out ("Single stepping until exit from function
-- getenv@plt,"), or fails where the code has no name either (PLT0).
local function lineless(dbg)
  local pc = dbg.session:reg("pc")
  if snare.line_at(pc) then
    return
  end
  local sym = snare.symbol_at(pc)
  if not sym then
    dbg:fail("Cannot find bounds of current function")
  end
  dbg:out(("Single stepping until exit from function %s,"):format(sym.name))
  dbg:out("which has no line number information.")
end

-- Whether the condition `text` of a breakpoint holds in frame 0 of the
-- stop (gdb's truth; one that fails to evaluate stops, as gdb's does).
local function holds_at_stop(dbg, text)
  local selected = dbg.frame_index
  dbg.frame_index = 0
  local ok, truth = pcall(function()
    return expr.truth(dbg:evaluate(text))
  end)
  dbg.frame_index = selected
  return not ok or truth
end

-- A line step that ends where a breakpoint of the prompt is, as gdb
-- takes it: that breakpoint's hit (`Breakpoint 2, main () at t.c:7`,
-- counted, a temporary one deleted) when it is enabled, its condition
-- holds and no crossing is left to ignore (an ignored one still counts);
-- the core reports only the breakpoints a step crosses on its way. True
-- with it: the step's count ends there.
local function landed(dbg, stop)
  if stop.kind ~= "step" or stop.watchpoint_id then
    return stop
  end
  for _, bp in ipairs(dbg.session:breakpoints()) do
    local note = dbg.notes[bp.id]
    local here = false
    for _, address in ipairs(note and bp.enabled and bp.addresses or {}) do
      here = here or address == stop.pc
    end
    if here and (not note.condition or holds_at_stop(dbg, note.condition))
    then
      note.landed = (note.landed or 0) + 1
      if (note.ignore or 0) > 0 then
        note.ignore = note.ignore - 1
      else
        stop.kind, stop.breakpoint_id, stop.breakpoint = "breakpoint", bp.id,
                                                         bp
        if note.temporary then
          bp:clear()
        end
        return stop, true
      end
    end
  end
  return stop
end

-- A line-stepping command: session method `method`, N times; a step
-- that ends on a breakpoint ends the count there, as gdb's.
local function line_step(method)
  return function(dbg, args)
    repeat_steps(dbg, args, function()
      if method == "step_line" or method == "next" then
        lineless(dbg)
      end
      return landed(dbg, dbg.session[method](dbg.session))
    end)
  end
end

-- `finish`: runs until the selected frame returns, then shows the value
-- it returned (rax, as a C int unless it is wider).
-- Runs until frame `frame` (not the innermost) returns to its caller:
-- a temporary breakpoint at the return address that stops only when the
-- stack is back at the frame's CFA (recursion-safe).
local function finish_outer(dbg, frame, caller)
  local cfa = frame.cfa
  local bp = dbg.session:breakpoint(caller.pc, {
    condition = function(f) return f:reg("rsp") == cfa end })
  local stop = dbg.session:continue()
  if stop.kind == "breakpoint" and stop.breakpoint_id == bp.id then
    stop.kind = "step" -- our own breakpoint: show it as finish's stop
  end
  if not bp.cleared then
    bp:clear()
  end
  return stop
end

-- `finish`: runs until the selected frame returns, then shows the value
-- it returned, read by its DWARF type (rax, xmm0, a struct's registers
-- or memory); without DWARF, rax as a C int.
local function finish(dbg, args)
  if args and args ~= "" then
    dbg:fail('The "finish" command does not take any arguments.')
  end
  dbg:require_stopped()
  local index = dbg.frame_index or 0
  local frame = dbg:selected_frame()
  local caller = index > 0 and dbg.session:frame(index + 1)
  -- (a program's backtrace ends at main, as gdb's: main is its
  -- outermost frame, which finish does not leave)
  local outermost_main = index == 0 and frame and frame.func == "main"
    and not dbg.session:frame(1)
  if index > 0 and not caller or outermost_main then
    dbg:fail('"finish" not meaningful in the outermost frame.')
  end
  if frame and not dbg.batch then -- gdb says it to a terminal or a pipe
    dbg:out("Run till exit from " .. report.stack_frame(frame))
  end
  local fn = frame and dbg.env:function_type(frame.pc)
  local stop = index > 0 and finish_outer(dbg, frame, caller)
    or dbg.session:finish()
  dbg:show_stop(stop)
  -- out of an inlined call gdb shows no value: nothing was returned in
  -- a register, the caller's code goes on with it
  if stop.kind ~= "step" or frame and frame.inlined then
    return
  end
  if not fn then
    dbg:record(report.c_value(dbg.session:reg("rax")), nil,
               "Value returned is ")
    return
  end
  local v = returned.value(dbg.session, fn.target or expr.types.void)
  if v then
    dbg:record(v, nil, "Value returned is ")
  end
end

-- `until LOCATION` / `advance LOCATION`: runs to a location (until: in
-- this frame or its callers, as gdb); `until` alone is `next` here.
local function run_to(method)
  return function(dbg, args)
    dbg:require_stopped()
    if args == "" then
      if method == "advance" then
        dbg:fail("Argument required (a location).")
      end
      return dbg:show_stop(dbg.session:next())
    end
    local where = dbg:location(args)
    local address = math.type(where) == "integer" and where or nil
    -- (until_line reads a bare integer as a line of the current file)
    local ok, stop = pcall(dbg.session[method], dbg.session,
                           address and string.format("*0x%x", address)
                           or where)
    if not ok then
      dbg:location_failed(stop, args, address)
    end
    dbg:show_stop(stop)
  end
end

return {
  { name = "continue", aliases = { "c", "cont" }, usage = "continue",
    help = "resume the stopped call", repeats = true,
    run = function(dbg)
      dbg:require_stopped()
      dbg:show_stop(dbg.session:continue())
    end },
  { name = "stepi", aliases = { "si" }, usage = "stepi [N]",
    help = "run one instruction (N times)", repeats = true,
    run = function(dbg, args)
      repeat_steps(dbg, args, function() return dbg.session:step() end)
    end },
  { name = "nexti", aliases = { "ni" }, usage = "nexti [N]",
    help = "run one instruction, a call as a whole", repeats = true,
    run = function(dbg, args) repeat_steps(dbg, args, step_over) end },
  { name = "step", aliases = { "s" }, usage = "step [N]",
    help = "run to the next source line, into calls", repeats = true,
    run = line_step("step_line") },
  { name = "next", aliases = { "n" }, usage = "next [N]",
    help = "run to the next source line, over calls", repeats = true,
    run = line_step("next") },
  { name = "finish", aliases = { "fin" }, usage = "finish",
    help = "run until the selected function returns; show its value",
    run = finish },
  { name = "until", aliases = { "u" }, usage = "until [LOCATION]",
    help = "run to LOCATION in this frame or a caller (alone: next)",
    repeats = true, run = run_to("until_line") },
  { name = "advance", usage = "advance LOCATION",
    help = "run to LOCATION, in any frame", run = run_to("advance") },
  { name = "kill", aliases = { "k" }, usage = "kill",
    help = "abort the call in progress",
    run = function(dbg)
      dbg:require_stopped()
      dbg:show_stop(dbg.session:abort())
    end },
}
