--- `snare debug`: the interactive prompt, in the spirit of gdb.
--
-- One session, the libraries given on the command line, and the command
-- table of snare.cli.commands. Each command runs protected: an error
-- prints a message and the prompt goes on. `quit` and the end of input
-- end the prompt with status 0.
-- @module snare.cli.debugger

local snare = require "snare"
local commands = require "snare.cli.commands"
local input = require "snare.cli.input"
local report = require "snare.cli.report"
local scope = require "snare.cli.scope"

local Debugger = {}
Debugger.__index = Debugger

-- Errors meant for the person at the prompt: shown without a traceback.
local UserError = {
  __tostring = function(e) return e.message end,
}

--- Raises an error the prompt shows as the message alone.
function Debugger.fail(_, fmt, ...)
  error(setmetatable({ message = fmt:format(...) }, UserError), 0)
end

--- Prints one line of output.
function Debugger.out(_, line)
  io.stdout:write(line, "\n")
end

--- Evaluates `text` (a Lua expression: `fib`, `rsp + 8`, `0x1000`) as
-- an address; fails unless it is an integer.
function Debugger:address(text)
  local addr = scope.eval(text, self.scope)
  if math.type(addr) ~= "integer" then
    self:fail("%s is not an address", text)
  end
  return addr
end

--- Where a breakpoint (or advance, until) goes, as gdb reads it:
-- `*EXPR` (an address expression) or a hex number (an address), a
-- decimal number (a line of the current source file), else the text as
-- the session takes it (a function name, past its prologue when DWARF
-- knows it; FILE:LINE); empty means the current pc.
function Debugger:location(text)
  if text == "" then
    if not self.session.stopped then
      self:fail("No default breakpoint location now selected.")
    end
    return self.session:reg("pc")
  end
  local expr = text:match("^%*%s*(.+)$")
  if expr then
    return self:address(expr)
  end
  if text:match("^0[xX]%x+$") then
    return math.tointeger(tonumber(text))
  end
  if text:match("^%d+$") then
    local file = self.listed and self.listed.file
      or self.stop and self.session.stopped and self.stop.file
    if not file then
      self:fail("No default source file; use FILE:LINE.")
    end
    return file .. ":" .. text
  end
  return text
end

--- Fails unless the worker is stopped inside a call.
function Debugger:require_stopped()
  if not self.session.stopped then
    self:fail("The program is not being run.")
  end
end

--- Remembers a value in the history and prints "$N = value" (in hex
-- with `hex`, after `label` if given).
function Debugger:record(value, hex, label)
  local values = self.values
  values[#values + 1] = value
  self:out(string.format("%s$%d = %s", label or "", #values,
                         report.value(value, hex)))
end

--- Shows a stop as gdb would, remembering it as the current one.
function Debugger:show_stop(stop)
  local previous, previous_cfa = self.stop, self.stop_cfa
  self.stop, self.frame_index, self.listed = stop, 0, nil
  local frame = stop.file and self:selected_frame() or nil
  self.stop_cfa = frame and frame.cfa
  local value = report.stop(function(line) self:out(line) end, stop, {
    notes = self.notes, frame = frame,
    -- a step that stays in its frame shows the line alone
    same_frame = previous ~= nil and previous.func == stop.func
      and previous_cfa ~= nil and previous_cfa == self.stop_cfa,
  })
  if stop.kind == "exit" then
    self:record(value)
  end
end

--- The selected stack frame object (`frame N` selects; a stop selects
-- 0), or nil when not stopped.
function Debugger:selected_frame()
  if not self.session.stopped then
    return nil
  end
  return self.session:frame(self.frame_index or 0)
end

-- A C variable of a frame (stack frame or trapped frame) by name: nil if
-- the frame has no such variable (or no variables at all), an error when
-- it has one that cannot be read (optimized out...).
local function frame_variable(frame, name)
  if not frame or not frame.var then
    return nil
  end
  local value, why = frame:var(name)
  if value == nil and why and not why:match("^no variable") then
    error(string.format("%s: <%s>", name, why), 0)
  end
  return value
end

-- The scope of expressions typed at the prompt: the stopped worker's
-- registers, writable.
local function prompt_scope(dbg)
  local session = dbg.session
  return scope.new {
    reg = function(name)
      if not session.stopped then
        dbg:fail("No registers.")
      end
      return session:reg(name)
    end,
    set_reg = function(name, value)
      if not session.stopped then
        dbg:fail("No registers.")
      end
      session:set_reg(name, value)
    end,
    fields = setmetatable({ session = session, __values = dbg.values }, {
      __index = function(_, key) return key == "stop" and dbg.stop or nil end,
    }),
    var = function(name)
      return frame_variable(dbg:selected_frame(), name)
    end,
    vars = dbg.vars,
  }
end

--- An environment for a breakpoint condition: registers and C variables
-- of the trapped frame (set `holder.frame` before each evaluation), the
-- same helpers, and the variables of `lua` chunks, read-only.
function Debugger:condition_scope(holder)
  return scope.new {
    reg = function(name) return holder.frame.regs[name] end,
    var = function(name) return frame_variable(holder.frame, name) end,
    fields = { __values = self.values },
    vars = self.vars,
  }
end

--- Runs one command line. Returns true when the prompt should end.
function Debugger:execute(line)
  if line:match("^%s*#") or line:match("^%s*$") then
    return false
  end
  local word, modifier, args = commands.split(line)
  local command, message
  if word then
    command, message = self.commands:find(word)
  else
    message = string.format('Undefined command: "%s".  Try "help".',
                            line:match("^%s*(%S*)"))
  end
  if not command then
    io.stderr:write(message, "\n")
    return false
  end
  self.repeat_line = command.repeats and line or nil
  local ok, err = xpcall(command.run, function(e)
    if os.getenv("SNARE_DEBUG") then
      return debug.traceback(tostring(e), 2)
    elseif type(e) == "string" then
      return (e:gsub("^[^\n]-:%d+: ", "")) -- where in snare: not for users
    end
    return e
  end, self, args, modifier)
  if not ok then
    io.stdout:flush()
    io.stderr:write(tostring(err), "\n")
    return false
  end
  return err == "quit"
end

--- Reads and runs commands until `quit` or the end of input. An empty
-- line repeats the last stepping command.
function Debugger:loop(source)
  while true do
    local line = source.read()
    if line == nil then
      return
    end
    if line:match("^%s*$") and self.repeat_line then
      line = self.repeat_line
    end
    if self:execute(line) then
      return
    end
  end
end

--- Makes the prompt's state: the session and the loaded libraries.
-- Fails with a message if a library does not load.
function Debugger.new(opts)
  local dbg = setmetatable({
    libraries = {},
    values = {}, -- printed values: $1, $2, ...
    vars = {},   -- globals of `lua` chunks
    notes = {},  -- breakpoint id -> {temporary =, condition =}
    commands = commands.load(),
  }, Debugger)
  for _, path in ipairs(opts.libraries or {}) do
    local lib, err = snare.load(path)
    if not lib then
      return nil, err
    end
    dbg.libraries[#dbg.libraries + 1] = lib
  end
  -- `snare attach PID debug` brings the agent's session, with the
  -- program's threads in it.
  dbg.session = opts.session or snare.session { timeout = opts.timeout or 0 }
  dbg.scope = prompt_scope(dbg)
  return dbg
end

--- Closes the session, then the libraries.
function Debugger:close()
  self.session:close()
  for _, lib in ipairs(self.libraries) do
    lib:close()
  end
end

--- Runs the prompt; returns the exit status.
function Debugger.main(opts)
  io.stdout:setvbuf("line")
  local dbg, err = Debugger.new(opts)
  if not dbg then
    io.stderr:write("snare: ", err, "\n")
    return 1
  end
  local source = input.open {
    prompt = "(snare) ",
    history = os.getenv("SNARE_HISTORY") or "~/.snare_history",
    words = dbg.commands:words(),
  }
  dbg:loop(source)
  source.close()
  dbg:close()
  return 0
end

return Debugger
