-- held_start.lua - the prompt at `starti`'s stop of `snare debug -- PROG`:
-- the program held at its first instruction (the dynamic loader's entry,
-- or a static program's _start), before the agent is loaded.
--
-- build/bin/snare_start (os/linux/start/) runs this script in a process
-- of its own beside the program, which it holds under ptrace, and
-- answers its requests on fds 3 and 4 (the registers, memory, a single
-- step, release, kill). The commands a user types there are answered
-- here as gdb 13 answers them: info registers, print of a register, x,
-- stepi, nexti, disassemble, bt, info
-- sharedlibrary, info symbol. Any other command hands the program over: the state
-- file says which command that is, the program is released, the agent
-- comes up in it and runs that command first (snare.cli.agent_program_
-- debug, "held"), so `break main` then `continue` go on there. `kill`,
-- `run`, `start`, `starti` and `quit` end the program here.
--
-- arg: Lua's package path and cpath, the state file, the queued commands
-- file, the first queued command to run, "1" in batch mode, "1" when
-- stdin is a terminal, the file of what earlier processes carry
-- (snare.cli.run_carry).
package.path, package.cpath = arg[1], arg[2]
local state_path, queue_path = arg[3], arg[4]
local first, batch, interactive = tonumber(arg[5]), arg[6] == "1",
  arg[7] == "1"
local carry_path = arg[8]

local snare = require "snare"
local commands = require "snare.cli.commands"
local expr = require "snare.expr"
local report = require "snare.cli.report"
local shared_objects = require "snare.cli.shared_objects"
local state_file = require "snare.cli.debug_state"
local Signals = require "snare.cli.program_signals"

local pid = tonumber(os.getenv("SNARE_HELD_PID"))
local interpreter = shared_objects.interpreter("/proc/" .. pid .. "/exe")
local answers = assert(io.open("/dev/fd/3", "r"))
local requests = assert(io.open("/dev/fd/4", "w"))
io.stdout:setvbuf("line")
if not interactive then
  -- no read-ahead: what the prompt does not read stays the program's
  io.stdin:setvbuf("no")
end

-- One request to snare_start; its answer's words after "ok", or nil and
-- the answer.
local function ask(request)
  requests:write(request, "\n")
  requests:flush()
  local line = answers:read("l") or "error gone"
  local rest = line:match("^ok ?(.*)$")
  if rest then
    return rest
  end
  return nil, line
end

local function registers()
  local regs = {}
  for name, hex in assert(ask("registers")):gmatch("(%S+)=(%x+)") do
    regs[name] = tonumber(hex, 16)
  end
  return regs
end

-- `size` bytes of the program at addr, or nil where it has none.
local function read(addr, size)
  local parts = {}
  while size > 0 do
    local n = math.min(size, 65536)
    local hex = ask(string.format("read %x %d", addr, n))
    if not hex then
      return nil
    end
    parts[#parts + 1] = hex:gsub("%x%x", function(b)
      return string.char(tonumber(b, 16))
    end)
    local got = #hex // 2
    addr, size = addr + got, size - got
    if got < n and size > 0 then
      return nil
    end
  end
  return table.concat(parts)
end

-- The program's objects: {path, name (as gdb names it), base (where its
-- first page is), symbols (gdb's text symbols, at run-time addresses)}.
local objects = {}
do
  local seen = {}
  for line in io.lines("/proc/" .. pid .. "/maps") do
    local from, offset, path = line:match(
      "^(%x+)%-%x+%s+%S+%s+(%x+)%s+%S+%s+%S+%s+(/.*)$")
    if path and not seen[path] and tonumber(offset, 16) == 0 then
      seen[path] = true
      objects[#objects + 1] = { path = path, base = tonumber(from, 16) }
    end
  end
end

-- The dynamic loader is the object mapped at AT_BASE, named as the
-- program's PT_INTERP names it; its symbols are its debug file's too (as
-- gdb reads them: _start is no dynamic symbol).
local loader_base
do
  local f = io.open("/proc/" .. pid .. "/auxv", "rb")
  local auxv = f and f:read("a") or ""
  if f then
    f:close()
  end
  for at = 1, #auxv - 15, 16 do
    local kind, value = string.unpack("<I8I8", auxv, at)
    if kind == 7 and value ~= 0 then -- AT_BASE
      loader_base = value
    end
  end
end
local loader
for _, object in ipairs(objects) do
  local link_base = math.huge
  for _, s in ipairs(shared_objects.sections(object.path) or {}) do
    if s.alloc then
      link_base = math.min(link_base, s.addr)
    end
  end
  link_base = link_base == math.huge and 0 or link_base
  object.bias = object.base - (link_base - link_base % 4096)
  object.symbols = shared_objects.code_symbols(object.path)
  local from, to = shared_objects.text_range(object.path)
  object.text = from and { from + object.bias, to + object.bias }
  if object.base == loader_base and interpreter then
    loader, object.name = object, interpreter
    -- (this process's own loader: the same file, its DWARF found once)
    loader.own = snare.load(interpreter)
    local debug_file = loader.own and loader.own:debug_file()
    for _, sym in ipairs(debug_file and shared_objects.code_symbols(debug_file)
                         or {}) do
      object.symbols[#object.symbols + 1] = sym
    end
  end
  table.sort(object.symbols, function(a, b) return a.addr < b.addr end)
end

-- The object and the symbol at or before addr: "_start", "_start+3".
local function object_at(addr)
  for _, object in ipairs(objects) do
    if object.text and addr >= object.text[1] and addr < object.text[2] then
      return object
    end
  end
end

-- Whether addr lies in a mapping of a file (whose data symbols this
-- prompt does not know).
local function in_file_mapping(addr)
  for line in io.lines("/proc/" .. pid .. "/maps") do
    local from, to, path = line:match("^(%x+)%-(%x+)%s+%S+%s+%S+%s+%S+%s+%S+"
                                      .. "%s+(/.*)$")
    if path and addr >= tonumber(from, 16) and addr < tonumber(to, 16) then
      return true
    end
  end
  return false
end

local function symbol_at(addr)
  local object = object_at(addr)
  local found
  for _, sym in ipairs(object and object.symbols or {}) do
    if sym.addr + object.bias > addr then
      break
    end
    found = sym
  end
  return found and { name = found.name, address = found.addr + object.bias }
end

function report.code_name(addr)
  local sym = symbol_at(addr)
  if sym then
    local offset = addr - sym.address
    return offset == 0 and sym.name or string.format("%s+%d", sym.name, offset)
  end
end
-- "0x7ffff7fe4b70 <_start>"
function report.address(addr)
  local name = report.code_name(addr)
  return string.format("0x%x", addr) .. (name and (" <" .. name .. ">") or "")
end
function report.function_name(addr)
  local sym = symbol_at(addr)
  return sym and sym.name or "??"
end
function report.library_at(addr)
  local object = object_at(addr)
  return object == loader and loader and loader.name or nil
end

-- The next symbol's address after addr's (where gdb ends the function of
-- a symbol that has no size).
local function symbol_end(addr)
  local object = object_at(addr)
  for _, sym in ipairs(object and object.symbols or {}) do
    if sym.addr + object.bias > addr then
      return sym.addr + object.bias
    end
  end
end

local function instructions(addr, n)
  local bytes = read(addr, 16 * n) or read(addr, 16)
  if not bytes then
    return nil
  end
  return snare.disassemble(addr, n, { bytes = bytes,
                                      flavor = report.disassembly_flavor })
end

local state = { pid = pid, next = first }
local queue = {}
for line in io.lines(queue_path) do
  queue[#queue + 1] = line
end
local carried = state_file.read(carry_path) or {}
carried.history = carried.history or {}

local function out(line)
  io.stdout:write(line, "\n")
end

local Fail = {}
local function fail(message, ...)
  error(setmetatable({ message = string.format(message, ...) }, Fail), 0)
end

local function show_stop(pc)
  out(report.frame_line(pc))
end

-- A register's value as print shows it, kept in the value history that
-- runs carry (snare.cli.run_carry: its type's name and bytes), so that
-- the agent's prompt numbers its values after these.
local pointer_names = { rip = "pc", pc = "pc", rsp = "sp", sp = "sp",
                        rbp = "sp", fp = "sp" }
local aliases = { pc = "rip", sp = "rsp", fp = "rbp" }
local history = carried.history
local function print_register(name, format)
  local regs = registers()
  local n = regs[aliases[name] or name]
  if not n then
    return false
  end
  local text, type_name = tostring(n), "long"
  if format == "x" then
    text = string.format("0x%x", n)
  elseif pointer_names[name] == "pc" then
    text, type_name = "(void (*)()) " .. report.address(n), "void (*)()"
  elseif pointer_names[name] == "sp" then
    text, type_name = string.format("(void *) 0x%x", n), "void *"
  elseif name == "eflags" then
    text = expr.format_eflags(n)
  end
  history[#history + 1] = { type_name, string.pack("<i8", n) }
  out(string.format("$%d = %s", #history, text))
  return true
end

local general = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
                  "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs" }

-- An address operand: a number, $register, or $register +/- a number.
local function address(text)
  local reg, sign, offset = text:match("^%$(%w+)%s*([%+%-]?)%s*(%S*)$")
  if reg then
    local regs = registers()
    local base = regs[aliases[reg] or reg]
    local delta = offset ~= "" and math.tointeger(tonumber(offset))
    if not base or (sign ~= "") ~= (offset ~= "") or (sign ~= "" and not delta)
    then
      return nil
    end
    return base + (sign == "-" and -delta or delta or 0)
  end
  return math.tointeger(tonumber(text))
end

local unit_sizes = { b = 1, h = 2, w = 4, g = 8 }
local per_line = { [1] = 8, [2] = 8, [4] = 4, [8] = 2 }
local last_size = 4

local function examine(args, modifier)
  local addr = address(args)
  if not addr then
    return false
  end
  local n = tonumber((modifier or ""):match("%d+") or "1")
  local format, size = "x", nil
  for letter in (modifier or ""):gsub("%d+", ""):gmatch(".") do
    if unit_sizes[letter] then
      size = unit_sizes[letter]
    else
      format = letter
    end
  end
  if format == "i" then
    local pc = registers().rip
    for _, insn in ipairs(instructions(addr, n) or
                          fail("Cannot access memory at address 0x%x", addr)) do
      out(report.instruction(insn, pc))
    end
    return true
  elseif format ~= "x" then
    return false
  end
  size = size or last_size
  last_size = size
  local line = {}
  for i = 0, n - 1 do
    local at = addr + i * size
    if i % per_line[size] == 0 then
      if #line > 0 then
        out(table.concat(line, "\t"))
      end
      line = { report.address(at) .. ":" }
    end
    local bytes = read(at, size)
    if not bytes then
      io.stdout:write(table.concat(line, "\t"), "\t")
      fail("Cannot access memory at address 0x%x", at)
    end
    line[#line + 1] = string.format("0x%0" .. 2 * size .. "x",
                                    string.unpack("<I" .. size, bytes))
  end
  out(table.concat(line, "\t"))
  return true
end

local function disassemble(args)
  local pc = registers().rip
  local from, to
  local a, b = args:match("^(.-)%s*,%s*(.+)$")
  if args == "" then
    local sym = symbol_at(pc) or fail("No function contains program counter "
                                      .. "for selected frame.")
    from, to = sym.address, symbol_end(pc)
    out("Dump of assembler code for function " .. sym.name .. ":")
  elseif a then
    from = address(a)
    local plus = b:match("^%+%s*(.+)$")
    to = plus and from and from + (address(plus) or 0) or address(b)
    if not (from and to) then
      return false
    end
    out(string.format("Dump of assembler code from 0x%x to 0x%x:", from, to))
  else
    return false
  end
  local addr = from
  while addr < to do
    local insn = (instructions(addr, 1) or {})[1]
    if not insn then
      break
    end
    local name = report.code_name(addr)
    if name and not name:find("+", 1, true) then
      name = name .. "+0"
    end
    local where = args == "" and string.format("<+%d>", addr - from)
      or ("<" .. (name or "??") .. ">")
    out(string.format("%s0x%016x %s:\t%s", addr == pc and "=> " or "   ",
                      addr, where, report.instruction_text(insn)))
    addr = addr + insn.length
  end
  out("End of assembler dump.")
  return true
end

-- bt: the loader's _start has no call frame information, and gdb falls
-- back on the stack: each word from the stack pointer up is taken for a
-- return address, to the first 0. A static program's _start marks its
-- return address undefined: it is the outermost frame. At most `limit`.
local function backtrace(limit)
  local regs = registers()
  local lines = { string.format("#0  %s", report.frame_line(regs.rip)) }
  if object_at(regs.rip) == loader and loader then
    local sp = regs.rsp
    repeat
      local word = read(sp, 8)
      local pc = word and string.unpack("<I8", word)
      if pc then
        lines[#lines + 1] = string.format("#%-2d 0x%016x in ?? ()", #lines, pc)
      end
      sp = sp + 8
    until not pc or pc == 0 or #lines > 64
  end
  for i = 1, math.min(#lines, limit or #lines) do
    out(lines[i])
  end
end

-- info symbol ADDR as gdb 13 answers it with the loader and the program
-- loaded: "_start + 3 in section .text of /lib64/ld-linux-x86-64.so.2";
-- false (hand over) for an address in a file's data or an expression
-- other than a register or a number.
local function info_symbol(text)
  local addr = address(text)
  if not addr then
    return false
  end
  local object, sym = object_at(addr), symbol_at(addr)
  if not object and in_file_mapping(addr) then
    return false
  end
  if not sym then
    out(("No symbol matches %s."):format(text))
    return true
  end
  local offset = addr - sym.address
  out(("%s%s in section .text of %s"):format(sym.name,
      offset == 0 and "" or " + " .. offset, object.name or object.path))
  return true
end

local function info_sharedlibrary()
  if not loader then
    out("No shared libraries loaded at this time.")
    return
  end
  local from, to = table.unpack(loader.text)
  local own = loader.own
  local fns = own and own:functions() or {}
  local debug = #fns > 0 and own:line_at(fns[1].address) ~= nil
  out("From                To                  Syms Read   Shared Object "
      .. "Library")
  out(string.format("0x%016x  0x%016x  %-11s %s", from, to,
                    debug and "Yes" or "Yes (*)",
                    loader.name))
  if not debug then
    out("(*): Shared library is missing debugging information.")
  end
end

local function step(count, over)
  for _ = 1, count do
    local regs = registers()
    local insn = over and (instructions(regs.rip, 1) or {})[1]
    local ok, why
    if insn and insn.text:match("^call") then
      -- gdb 13's own nexti over the loader's first call loses its step's
      -- end and lets the program run on; here it ends after the call
      ok, why = ask(string.format("over %x %x", regs.rip + insn.length,
                                  regs.rsp)) -- (the stack back where it is)
    else
      ok, why = ask("step")
    end
    local received = not ok and tonumber(why:match("^signal (%d+)"))
    if received then -- (delivered when the program goes on)
      local name, description = Signals.describe(received)
      out("")
      out(("Program received signal %s, %s."):format(name or received,
                                                      description or ""))
      break
    elseif not ok then
      state.ended = why:match("^killed") and "signal" or "exit"
      state.signal = tonumber(why:match("^killed (%d+)"))
      return true
    end
  end
  show_stop(registers().rip)
  return true
end

local function kill(message)
  ask("kill")
  if message then
    if not interactive then
      out("Kill the program being debugged? (y or n) [answered Y; input not "
          .. "from terminal]")
    end
    out(("[Inferior 1 (process %d) killed]"):format(pid))
  end
end

-- The held commands by the name the prompt's command table finds for
-- the word typed; true when answered here, false to hand over, "end"
-- when this process ends.
local program_words = { { name = "run", aliases = { "r" } },
                        { name = "start" }, { name = "starti" },
                        { name = "kill", aliases = { "k" } } }
local table_of = commands.load()
for _, c in ipairs(program_words) do
  table.insert(table_of.list, 1, c)
end

local held = {
  info = function(args)
    local word, rest = args:match("^(%S+)%s*(.-)$")
    local command = word and table_of:find(word, "info")
    if command and command.name == "registers" then
      local regs = registers()
      local names = {}
      for name in rest:gmatch("%$?(%w+)") do
        names[#names + 1] = name
      end
      if #names == 0 and regs.k0 then -- AVX-512's, as gdb lists them
        names = { table.unpack(general) }
        for k = 0, 7 do
          names[#names + 1] = "k" .. k
        end
      end
      for _, name in ipairs(#names > 0 and names or general) do
        out(report.register_row(name, regs[aliases[name] or name]) or
            fail("Invalid register `%s'", name))
      end
      return true
    elseif command and command.name == "sharedlibrary" and rest == "" then
      info_sharedlibrary()
      return true
    elseif command and command.name == "symbol" and rest ~= "" then
      return info_symbol(rest)
    end
    return false
  end,
  print = function(args, modifier)
    local name = args:match("^%$(%w+)$")
    return name ~= nil and (modifier == nil or modifier == "x")
      and print_register(name, modifier)
  end,
  x = examine,
  stepi = function(args) return step(tonumber(args) or 1, false) end,
  nexti = function(args) return step(tonumber(args) or 1, true) end,
  disassemble = disassemble,
  backtrace = function(args)
    -- (bt N: the first N frames; under -batch gdb says no more)
    local limit = math.tointeger(tonumber(args:match("^%d+$") or ""))
    if args ~= "" and not (limit and limit > 0) then
      return false
    end
    backtrace(limit)
    return true
  end,
  kill = function()
    kill(true)
    state.killed = true
    return "end"
  end,
  quit = function()
    kill(false)
    state.quit = true
    return "end"
  end,
}
for _, mode in ipairs { "run", "start", "starti" } do
  held[mode] = function(args)
    if args ~= "" then
      state.args = {}
      for word in args:gmatch("%S+") do
        state.args[#state.args + 1] = word
      end
    end
    kill(false)
    state.rerun = mode
    return "end"
  end
end

-- Runs one line: true when it was answered here, false to hand it over,
-- "end" when this process ends.
local function execute(line)
  if line:match("^%s*#") or line:match("^%s*$") then
    return true
  end
  local word, modifier, args = commands.split(line)
  local command = word and table_of:find(word)
  local run = command and held[command.name]
  if not run then
    return false
  end
  local ok, result = pcall(run, args, modifier)
  if not ok then
    io.stdout:flush()
    io.stderr:write(type(result) == "table" and result.message
                    or tostring(result), "\n")
    state.failed = true
    return true
  end
  return result
end

local next_line, close_input = require("snare.cli.input")
  .queue_then_terminal(queue, state, batch)

if interactive then -- as gdb, which says it on a terminal only
  local f = assert(io.open("/proc/" .. pid .. "/cmdline", "rb"))
  local words = {}
  for word in f:read("a"):gmatch("[^%z]+") do
    words[#words + 1] = word
  end
  f:close()
  words[1] = io.popen("readlink /proc/" .. pid .. "/exe"):read("l") or words[1]
  out("Starting program: " .. table.concat(words, " "))
end
out("")
out("Program stopped.")
show_stop(registers().rip)
local handed
while true do
  local line = next_line()
  if line == nil then
    kill(false) -- the end of the commands: gdb kills the program
    state.quit = true
    break
  end
  local done = execute(line)
  if done == "end" or state.ended then
    break
  elseif not done then
    handed = line
    break
  end
end
close_input()
state.carry = carried
state_file.write(carry_path, carried) -- (the agent reads it as it starts)
if handed then
  -- the agent runs it first (its state replaces this one), unless the
  -- program has no agent (a static one): then it ran to its end
  state.handed = handed
end
state_file.write(state_path, state)
io.stdout:flush()
ask("release")
