--- `snare debug`: the interactive prompt, in the spirit of gdb.
--
-- One session, the libraries given on the command line, and the command
-- table of snare.cli.commands. Each command runs protected: an error
-- prints a message and the prompt goes on. `quit` and the end of input
-- end the prompt with status 0.
-- @module snare.cli.debugger

local snare = require "snare"
local core = require "snare.core"
local expr = require "snare.expr"
local commands = require "snare.cli.commands"
local input = require "snare.cli.input"
local messages = require "snare.cli.messages"
local report = require "snare.cli.report"
local scope = require "snare.cli.scope"
local frame_base = require "snare.cli.frame_base"
local quotes = require "snare.cli.linespec_quotes"

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

--- Evaluates C expression `text` in the selected frame (a value of
-- snare.expr).
function Debugger:evaluate(text)
  return expr.evaluate(text, self.env)
end

--- Evaluates `text` (a C expression: `fib`, `$rsp + 8`, `0x1000`,
-- `&buf`, `arr`) as an address: arrays and functions are where they
-- are, pointers and integers their value.
function Debugger:address(text)
  local v = self:evaluate(text)
  local ok, addr = pcall(expr.value.number, expr.eval_decay(v))
  if not ok or math.type(addr) ~= "integer" then
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
  text = quotes.location(self, text)
  if text == "" then
    if not self.session.stopped then
      self:fail("No default breakpoint address now.")
    end
    return self.session:reg("pc")
  end
  local address_text = text:match("^%*%s*(.+)$")
  if address_text then
    return self:address(address_text)
  end
  if text:match("^0[xX]%x+$") then
    return math.tointeger(tonumber(text))
  end
  if text:match("^0+$") then -- gdb's lines start at 1
    self:fail("No line 0 in the current file.")
  end
  if text:match("^%d+$") then
    local file = self.listed and self.listed.file
      or self.stop and self.session.stopped and self.stop.file
      or self:main_file()
    if not file then
      self:fail("No default source file; use FILE:LINE.")
    end
    return file .. ":" .. text
  end
  local file = text:match("^(.+):0+$")
  if file then
    self:fail('No line 0 in file "%s".', file)
  end
  return text
end

--- The file of main, gdb's default source file before anything was
-- listed or stopped; nil when no library knows main's line.
function Debugger:main_file()
  for _, lib in ipairs(self.libraries or {}) do
    local info = lib:function_info("main")
    local row = info and snare.line_at(info.entry)
    if row then
      return row.file
    end
  end
end

--- The entry of the function `text` names as FILE:FUNC (gdb's linespec:
-- the function of that source file, not a static one of the same name
-- elsewhere), or nil when `text` is not of that form; fails in gdb's
-- words when no library knows the file or the function in it.
function Debugger:file_function_entry(text)
  if not text:match("^[^:]+:[%a_~]") then
    return nil
  end
  local ok, places = pcall(snare.core.locations, text)
  if not ok then
    self:location_failed(places, text)
  end
  local sym = snare.symbol_at(places[1])
  return sym and sym.is_function and sym.address or places[1]
end

--- Raises what gdb says when location `text` (as the user wrote it) could
-- not be used, the session having raised `err`; `address`: the address
-- it was, when a run to it failed. Other errors go on as they are.
function Debugger:location_failed(err, text, address)
  if type(err) ~= "string" then
    error(err, 0)
  end
  local name = err:match("unknown symbol '(.-)'")
  if name then
    self:fail('Function "%s" not defined.', name)
  end
  local file = err:match("no source file named '(.-)' in the loaded libraries")
  if file then
    self:fail("No source file named %s.", file)
  end
  local func, in_file = err:match("function '(.-)' not defined in '(.-)'$")
  if func then
    self:fail('Function "%s" not defined in "%s".', func, in_file)
  end
  local line, nearest = err:match(":(%d+) has no code; nearest lines with "
                                  .. "code: (.*)$")
  -- past the file's last line of code (gdb moves to the next line with
  -- code only within the file)
  if line and (nearest == "none" or (tonumber(nearest) or math.huge)
                                    < tonumber(line)) then
    if text:match("^%d+$") then
      self:fail("No line %s in the current file.", line)
    end
    self:fail('No line %s in file "%s".', line, text:match("^(.*):") or text)
  end
  if address and err:match("address is not mapped or not accessible$") then
    self:fail("Warning:\nCannot insert breakpoint 0.\nCannot access memory "
              .. "at address 0x%x\n\nCommand aborted.", address)
  end
  error(err, 0)
end

--- Fails unless the worker is stopped inside a call, with `message` (as
-- gdb's for the command: "No stack."), else "The program is not being
-- run.".
function Debugger:require_stopped(message)
  if not self.session.stopped then
    self:fail(message or "The program is not being run.")
  end
end

--- Remembers a value in the history and prints "$N = value" (`how`:
-- nil or {format = a print/F letter, raw = print/r's}; after `label` if
-- given). `value` is a snare.expr
-- value, or an integer (a returned register, shown as a C int or long).
function Debugger:record(value, how, label)
  if math.type(value) == "integer" then
    local int = value >= -0x80000000 and value < 0x80000000
    value = expr.value.of(expr.types.builtin[int and "int" or "long"], value)
  end
  -- memory that cannot be read is an error, as gdb's, which reads a value
  -- (up to its max-value-size, 64 KiB) before it numbers it; parts of it
  -- that cannot be, a pointer's target, show as <error: ...>
  local t = expr.types.strip(value.type)
  if (t.size or 0) > 65536 then
    self:fail("value requires %d bytes, which is more than max-value-size",
              t.size)
  end
  if value.address and not value.bytes and not value.optimized_out
     and t.kind ~= "function" then
    local ok, err = pcall(expr.value.bytes, value)
    if not ok and tostring(err):match("^Cannot access memory") then
      error(err, 0)
    end
  end
  how = how or {}
  local text = expr.format(value, { format = how.format, raw = how.raw,
                                    pretty = self.print_pretty })
  local values = self.values
  values[#values + 1] = expr.value.snapshot(value)
  self:out(string.format("%s$%d = %s", label or "", #values, text))
end

--- Shows a stop as gdb would, remembering it as the current one.
function Debugger:show_stop(stop)
  local previous, previous_cfa = self.stop, self.stop_cfa
  self.stop, self.frame_index, self.listed = stop, 0, nil
  local frame = stop.file and self:selected_frame() or nil
  self.stop_cfa = frame and frame.cfa
  -- (a program's prompt shows a stop without source as gdb does: the
  -- frame line alone, not the instruction too)
  local value = report.stop(function(line)
    if not (self.stop_instruction == false and line:match("^=> ")) then
      self:out(line)
    end
  end, stop, {
    notes = self.notes, frame = frame,
    -- a step that stays in its frame shows the line alone (a line
    -- step knows the frame it stepped: it may leave an inlined call
    -- for its caller's line and still be in it, as gdb's step frame)
    same_frame = stop.step_frame_kept
      or stop.step_frame_kept == nil and previous ~= nil
        and previous.func == stop.func
        and previous_cfa ~= nil and previous_cfa == self.stop_cfa,
  })
  if stop.kind == "exit" then
    self:record(value)
  elseif self.session.stopped then
    self:after_stop(stop)
  end
end

--- What a stop shows after its location: the displays, then the
-- commands of the breakpoint that stopped (at most 100 levels deep, when
-- they resume and stop there again).
function Debugger:after_stop(stop)
  local show = require("snare.cli.commands.frame_values").show
  for _, d in ipairs(self.displays or {}) do
    show(self, d)
  end
  local note = stop.kind == "breakpoint"
    and self.notes[report.breakpoint_number(stop)]
  if note and note.commands and (self.command_depth or 0) < 100 then
    self.command_depth = (self.command_depth or 0) + 1
    for _, line in ipairs(note.commands) do
      if not self.session.stopped then
        break
      end
      self:execute(line)
    end
    self.command_depth = self.command_depth - 1
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

local register_aliases = { pc = "rip", sp = "rsp" }

--- Register `name` of the selected frame: frame 0's own, an outer
-- frame's as the unwinder restores it (see frame:registers()).
function Debugger:register(name)
  self:require_registers()
  if name == "fp" then -- gdb's frame base, not rbp
    local frame = self:selected_frame()
    return frame_base(frame, frame:registers()) or 0
  elseif not scope.registers[name] then -- segment, x87, vector: every frame's
    return self:selected_frame():registers()[name]
  end
  if (self.frame_index or 0) == 0 then
    return self.session:reg(name)
  end
  return self:selected_frame():registers()[register_aliases[name] or name]
end

--- The 16 bytes of vector register xmm`n` of the selected frame.
function Debugger:vector_register(n)
  self:require_registers()
  if (self.frame_index or 0) == 0 then
    return self.session:xmm(n)
  end
  return self:selected_frame():registers()["xmm" .. n]
end

--- Fails with gdb's message unless the worker is stopped.
function Debugger:require_registers()
  if not self.session.stopped then
    self:fail("No registers.")
  end
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
    fields = setmetatable({ session = session, __values = setmetatable({}, {
      __index = function(_, i)
        local v = dbg.values[i]
        return v and expr.lua_value(v)
      end,
    }) }, {
      __index = function(_, key) return key == "stop" and dbg.stop or nil end,
    }),
    var = function(name)
      return frame_variable(dbg:selected_frame(), name)
    end,
    vars = dbg.vars,
  }
end

--- The environment of a breakpoint condition: the trapped frame (set
-- `holder.frame` before each evaluation), its registers, the history.
function Debugger:condition_env(holder)
  return expr.env {
    frame = function() return holder.frame end,
    register = function(name) return holder.frame:reg(name) end,
    set_register = function(name, n) holder.frame:set_reg(name, n) end,
    history = self.values,
    convenience = self.convenience,
    compiled_reads = true,
  }
end

--- A condition written in C, compiled once: returns a predicate of a
-- trapped frame (gdb's truth of the expression evaluated in that frame;
-- compiled for each breakpoint address at its first hit there,
-- snare.expr.condition; `one_site`: for a breakpoint of one address) and
-- the general compiled expression.
-- The environment of the prompt's conditions, made once.
local function condition_environment(dbg)
  if not dbg.condition_holder then
    dbg.condition_holder = {}
    dbg.condition_environment = dbg:condition_env(dbg.condition_holder)
  end
  return dbg.condition_environment
end

function Debugger:compile_condition(text, one_site)
  -- native: a prompt condition's false hit is no hit (decide's first
  -- test), so the core may reject it alone
  return expr.condition(text, condition_environment(self),
                        self.condition_holder, one_site, true)
end

--- Fails as gdb when condition `text` names what is not in scope where
-- it is set (No symbol "x" in current context.): at the breakpoint's
-- `addresses` (its locals and parameters there, of any source frame),
-- or, with none (a watchpoint), in the selected frame when stopped; and
-- the globals, statics, enumerators and symbols everywhere.
function Debugger:check_condition(text, addresses)
  local visible = {}
  for _, addr in ipairs(addresses or {}) do
    for _, name in ipairs(core.variables_at(addr) or {}) do
      visible[name] = true
    end
  end
  local frame = not addresses and self:selected_frame()
  local name = expr.unknown_name(text, condition_environment(self),
                                 function(n)
    return visible[n] or (frame and frame:locate(n) ~= nil) or false
  end)
  if name then
    self:fail('No symbol "%s" in current context.', name)
  end
end

--- A session for calls made while the program is stopped inside one:
-- its worker runs the function while the stopped one stays parked.
function Debugger:helper_session()
  if not self.helper or self.helper.closed then
    self.helper = snare.session { timeout = self.session.timeout }
    if not self.in_process then -- a program's SIGINT stays its own
      snare.interrupt_on_sigint(self.session, self.helper)
    end
  end
  self.helper.timeout = self.session.timeout
  return self.helper
end

--- Calls the function at addr for an expression, its arguments placed
-- by `plan` (snare.expr.abi); returns what came back (`first`, `second`
-- eightbytes, `memory`). A call that stops on the way is shown and
-- abandoned, as gdb does.
function Debugger:call_function(addr, plan)
  local session = self.session.stopped and self:helper_session()
    or self.session
  local stop = session:call_abi(addr, plan)
  if stop.kind == "exit" then
    return stop.returned
  end
  local name = snare.describe(addr) or string.format("at 0x%x", addr)
  if session ~= self.session then
    session:abort()
    self:fail("The program being debugged was signaled while in a function "
              .. "called from GDB.\nsnare abandoned the call of %s.", name)
  end
  -- the stop is the news: the expression is abandoned without a word,
  -- and continuing the call shows its value when it returns
  self:show_stop(stop)
  error(setmetatable({ message = "", quiet = true }, UserError), 0)
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
    self.failed = true
    return false
  end
  self.repeat_line = command.repeats and line or nil
  local ok, err = xpcall(command.run, function(e)
    if os.getenv("SNARE_DEBUG") then
      return debug.traceback(tostring(e), 2)
    elseif type(e) == "string" then
      return messages.for_user(e)
    end
    return e
  end, self, args, modifier)
  if not ok then
    io.stdout:flush()
    if not (type(err) == "table" and err.quiet) then -- a stop is news
      io.stderr:write(tostring(err), "\n")
      self.failed = true
    end
    return false
  end
  return err == "quit"
end

--- Reads and runs commands until `quit` or the end of input (true after
-- `quit`). An empty line repeats the last stepping command.
function Debugger:loop(source)
  local outer = self.source
  self.source = source
  while true do
    local line = source.read()
    if line == nil then
      self.source = outer
      return false
    end
    if line:match("^%s*$") and self.repeat_line then
      line = self.repeat_line
    end
    if self:execute(line) then
      self.source = outer
      return true
    end
  end
end

--- Makes the prompt's state: the session and the loaded libraries.
-- Fails with a message if a library does not load.
function Debugger.new(opts)
  local dbg = setmetatable({
    libraries = {},
    values = {}, -- printed values: $1, $2, ... (snare.expr values)
    convenience = {}, -- $name
    vars = {},   -- globals of `lua` chunks
    notes = {},  -- breakpoint id -> {temporary =, condition =}
    commands = commands.load(),
    batch = opts.batch, -- -batch: commands come from -ex and -x alone
  }, Debugger)
  for _, path in ipairs(opts.libraries or {}) do
    -- dlopen searches the system's directories for a bare name; a file
    -- of that name here is what the user means, as gdb reads it
    local here = not path:find("/", 1, true) and io.open(path)
    if here then
      here:close()
      path = "./" .. path
    end
    local lib, err = snare.load(path)
    if not lib then
      return nil, err
    end
    dbg.libraries[#dbg.libraries + 1] = lib
  end
  -- `snare attach PID debug` brings the agent's session, with the
  -- program's threads in it.
  dbg.session = opts.session or snare.session { timeout = opts.timeout or 0 }
  dbg.in_process = opts.session ~= nil
  -- Ctrl-C interrupts what the prompt runs, and never ends the prompt;
  -- not inside an attached process, whose SIGINT stays its own
  if not opts.session then
    snare.interrupt_on_sigint(dbg.session)
  end
  dbg.scope = prompt_scope(dbg)
  dbg.env = expr.env {
    frame = function() return dbg:selected_frame() end,
    register = function(name) return dbg:register(name) end,
    frame_base = function() return dbg:register("fp") end,
    vector_register = function(n) return dbg:vector_register(n) end,
    set_register = function(name, n)
      dbg:require_registers()
      if (dbg.frame_index or 0) ~= 0 then
        dbg:fail("Registers of an outer frame cannot be written; "
                 .. "select frame 0.")
      end
      dbg.session:set_reg(name, n)
    end,
    set_variable = function(name, n)
      dbg:selected_frame():set_var(name, n)
    end,
    history = dbg.values,
    convenience = dbg.convenience,
    call = function(addr, plan) return dbg:call_function(addr, plan) end,
    active = function() return dbg:target_runs() end,
    frame_of = function(name) return dbg:innermost_frame_of(name) end,
  }
  return dbg
end

--- The innermost frame that runs function `name`, or nil (none, or no
-- stop).
function Debugger:innermost_frame_of(name)
  if not self.session.stopped then
    return nil
  end
  for i, f in ipairs(self.session:backtrace()) do
    if f.func == name then
      return self.session:frame(i - 1)
    end
  end
end

--- Whether the target runs, so that memory can be allocated in it: the
-- prompt on libraries always; on a program, once it runs (the program's
-- prompt replaces this).
function Debugger.target_runs()
  return true
end

--- Closes the session, then the libraries.
function Debugger:close()
  snare.interrupt_on_sigint()
  if self.helper then
    self.helper:close()
  end
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
  -- -x FILE and -ex CMD first, in their order, as gdb runs them
  for _, c in ipairs(opts.commands or {}) do
    local lines = {}
    if c.file then
      local f = io.open(c.file)
      if not f then
        io.stderr:write(c.file, ": No such file or directory.\n")
        dbg.failed = true
      else
        for line in f:lines() do
          lines[#lines + 1] = line
        end
        f:close()
      end
    else
      lines[1] = c.line
    end
    local i = 0
    local quit = dbg:loop { read = function()
      i = i + 1
      return lines[i]
    end }
    if quit then
      dbg:close()
      return dbg.failed and opts.batch and 1 or 0
    end
  end
  if not opts.batch then
    local source = input.open {
      prompt = "(snare) ",
      history = os.getenv("SNARE_HISTORY") or "~/.snare_history",
      complete = require("snare.cli.complete").function_for(dbg),
    }
    dbg:loop(source)
    source.close()
  end
  dbg:close()
  -- batch mode, as gdb's: a failed command makes the exit status 1
  return dbg.failed and opts.batch and 1 or 0
end

return Debugger
