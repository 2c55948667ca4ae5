--- snare: an in-process debugger and tracer for Linux x86-64.
--
-- The friendly layer over the C module `snare.core`. Objects (sessions,
-- breakpoints, libraries, frames) are userdata implemented in C; this file
-- adds formatting, symbolisation and the documentation of the whole API.
--
--    local snare = require "snare"
--    local lib <close> = assert(snare.load("libloops.so"))
--    local s <close> = snare.session{timeout = 1000}
--    local bp = s:breakpoint("fib", {condition = function(frame)
--      return frame.regs.rdi == 3
--    end})
--    local stop = s:call("fib", 10)   --> breakpoint 1 at 0x... <fib>
--    print(stop, stop.regs.rdi)
--    print(s:continue())              --> breakpoint 1 ... (next fib(3))
--
-- Integers: addresses and 64-bit values travel as Lua integers (two's
-- complement); print them with `snare.hex`.
--
-- Errors: wrong arguments and wrong states raise; a normal miss (unknown
-- symbol in a lookup, unreadable memory, a library that does not load)
-- returns `nil, message`.
-- @module snare

local core = require "snare.core"

local snare = {}

--- The C module itself.
snare.core = core

--- Signal numbers by name (`snare.signals.SIGSEGV`), from the C headers.
snare.signals = core.signals

--- Names of the general-purpose registers, in the core's order.
snare.registers = core.registers

local signal_names = {}
for name, number in pairs(core.signals) do
  signal_names[number] = name
end

--- Name of a signal number ("SIGSEGV"), or nil.
-- @tparam integer number
function snare.signal_name(number)
  return signal_names[number]
end

--- Formats an integer as hexadecimal: `snare.hex(255)` is "0xff".
-- Negative integers show their 64-bit two's complement.
function snare.hex(n)
  return string.format("0x%x", n)
end

--- Libraries and symbols
-- @section libraries

--- Loads a shared object (dlopen) and reads its symbols.
-- The library is remembered weakly, so names passed to `s:call`,
-- `s:breakpoint` and `snare.symbol` are resolved in it (first loaded,
-- first searched). Library objects have:
--
-- * `lib:symbol(name)` -> address, or nil, message
-- * `lib:symbol_info(name)` -> `{name, address, size, is_function, library}`
--   or nil, message
-- * `lib:symbol_at(addr)` -> the same table with `offset`, or nil, message
-- * `lib.base` (load bias), `lib.path`, `lib.closed`
-- * `lib:close()` (also `<close>` and garbage collection): unloads it and
--   clears every breakpoint inside it.
-- @tparam string path
-- @return library, or nil, message
snare.load = core.load

--- Address of a symbol in any library loaded through `snare.load`.
-- @tparam string name
-- @return address, library; or nil, message
snare.symbol = core.symbol

--- The symbol containing an address, across loaded libraries.
-- @tparam integer addr
-- @return `{name, address, size, is_function, library, offset}`, or nil, message
snare.symbol_at = core.symbol_at

--- Source lines and functions
-- From the DWARF of libraries built with `-g`, read on first use. A
-- library without it answers nil, message; its symbols keep working.
-- Library objects also have:
--
-- * `lib:line_at(addr)` -> `{file, line, column, function, address}`
--   (`address`: start of the line-table row), or nil, message
-- * `lib:addresses("demo.c:12")` or `lib:addresses("demo.c", 12)` -> list
--   of the addresses gdb's `break demo.c:12` would use, or nil, message
-- * `lib:function_info(name)` -> `{name, inlined, entry, after_prologue,
--   ranges = {{low, high}...}, decl_file, decl_line, params = {names}}`,
--   or nil, message
--
-- Stops carry `file`, `line` and `func` when known.
-- @section source

--- The source line at an address, in whichever loaded library maps it.
-- @tparam integer addr
-- @return `{file, line, column, function, address}`, or nil, message
snare.line_at = core.line_at

--- Describes an address as "name+offset" ("fib", "fib+4"), or nil if no
-- loaded library has a symbol there.
-- @tparam integer addr
function snare.describe(addr)
  local sym = core.symbol_at(addr)
  if not sym then
    return nil
  end
  if sym.offset == 0 then
    return sym.name
  end
  return string.format("%s+%d", sym.name, sym.offset)
end

-- "0x1234 <fib+4>", or just the address if no symbol is known.
local function where(addr)
  local name = snare.describe(addr)
  if name then
    return string.format("0x%x <%s>", addr, name)
  end
  return string.format("0x%x", addr)
end

--- Sessions
-- @section sessions

--- Creates a session: a worker thread that runs calls into the target.
--
-- Sessions are `<close>`-able: `local s <close> = snare.session()`.
--
-- Fields: `s.closed`, `s.stopped`, `s.thread` (small id of the worker),
-- `s.timeout` (milliseconds, settable; 0 waits forever).
--
-- Running (each blocks until the worker stops and returns a stop):
--
-- * `s:call(fn, ...)`: `fn` is an address or a symbol name; at most 8
--   arguments: integers (floats with an integral value), booleans (1/0),
--   nil (0), strings (passed as `char *` to a NUL-terminated copy that
--   lives until the call exits or is aborted), light userdata.
-- * `s:call_main(fn, {"arg0", "arg1", ...})` for `int fn(int argc, char **argv)`.
-- * `s:continue()`, `s:step()` (one instruction), `s:abort()` (unwinds the
--   worker out of the target), `s:resume{mode = "continue"|"step"|"abort",
--   pc = address}` (pc: resume elsewhere).
-- * `s:interrupt()`: stops a running worker, but the controller is
--   blocked inside the call, so the practical way to bound a call is
--   `s.timeout`: a call running longer stops with kind "interrupt".
--
-- Registers of the stopped worker: `s:reg(name)`, `s:set_reg(name, v)`,
-- `s:regs()` (table of all), `s:xmm(i)` (16-byte string). Names are
-- `rax`..`r15`, `rip`, `eflags`, and the aliases `pc`, `sp`.
--
-- Memory: the `snare.read...`/`snare.write...` functions as methods
-- (`s:read(addr, n)`).
--
-- Breakpoints: `s:breakpoint(where, opts)` (see `breakpoint`),
-- `s:breakpoints()` (list, creation order).
--
-- `s:close()` (also `<close>` and garbage collection) aborts a stopped
-- worker, joins it and clears its breakpoints; later use raises
-- "snare.session: closed". A condition cannot close its own session.
-- @tparam[opt] table opts `{timeout = ms}`
-- @return session
snare.session = core.session

--- Breakpoints (documentation only).
--
-- `bp = s:breakpoint(where, opts)`: `where` is
--
-- * an address (exact);
-- * `"*name"`: the symbol's own address (the function's first instruction);
-- * `"name"`: as gdb's `break name`, past the prologue when DWARF knows
--   the function, plus every inlined copy; else the ELF symbol's address;
-- * `"file.c:12"`: every address gdb would use for that line (one per
--   inlined copy or split piece). A line without code raises
--   "demo.c:5 has no code; nearest lines with code: 4, 7".
--
-- An unknown name raises "unknown symbol 'x'"; a breakpoint the core
-- refuses raises with the reason and the address. One object covers all
-- the addresses (`bp.addresses`): its counts are sums, enable, disable
-- and clear act on all. Options (`skip` and `max` count per address):
--
-- * `condition = function(frame) ... end`: runs on the worker each time
--   the breakpoint is reached; truthy stops, falsy resumes silently. An
--   error stops too: the stop's reason is "breakpoint condition failed"
--   and `stop.error` holds the message with its traceback. The frame is
--   valid only during the call: `frame.regs.rdi` (read and write),
--   `frame:reg(name)`, `frame:set_reg(name, v)`, `frame.pc`,
--   `frame.breakpoint` (id), `frame.thread`, and the memory functions as
--   methods (`frame:read_u32(addr)`). A condition must not call, resume
--   or close its own session, nor set or clear breakpoints.
-- * `skip = n`: ignore the first n hits.
-- * `max = n`: clear itself after n stops; `temporary = true` is `max = 1`.
--
-- Breakpoint objects: `bp.id`, `bp.address` (the first of
-- `bp.addresses`), `bp.session`, `bp.cleared`;
-- `bp.enabled`, `bp.hits`, `bp.stops`, `bp.rejected`, `bp.skip`, `bp.max`
-- (these raise once cleared); `bp:enable()`, `bp:disable()`, `bp:clear()`
-- (idempotent; then the methods raise "breakpoint cleared"). Closing the
-- session or the library the breakpoint is in clears it.
-- @table breakpoint

--- Stops (documentation only).
--
-- What `s:call` and the resume methods return: a table with `kind`
-- ("breakpoint", "step", "signal", "interrupt", "exit", "aborted"),
-- `reason` (text), `thread`, `pc`, `breakpoint` (our object, if any) and
-- `breakpoint_id`; `file`, `line` (DWARF) and `func` (DWARF, else the
-- ELF symbol) when known; for signals `signal` ("SIGSEGV"), `signal_number`,
-- `signal_code`, `fault_address`; for exits `return_value` (the uint64)
-- and `value` (the C int: low 32 bits, sign-extended); `error` when a
-- condition failed; and `regs`: `stop.regs.rdi` reads the live register
-- while the session is still stopped at this stop, the snapshot taken at
-- the stop afterwards; `stop.regs.rax = 5` writes the live register (and
-- raises once the session has moved on). `tostring(stop)` describes it.
-- @table stop

-- " at demo.c:12" when the stop's pc has a source line, else "".
local function source_of(stop)
  if not stop.file then
    return ""
  end
  return string.format(" at %s:%d", stop.file:match("[^/]*$"), stop.line)
end

--- Describes a stop: "breakpoint 1 at 0x... <fib+4> at demo.c:12",
-- "signal SIGSEGV (segmentation fault) at 0x... <do_segv+8> at faults.c:9,
-- fault address 0x0", "exit, returned 55". The source line shows when
-- the code has DWARF.
-- @tparam table stop
function snare.format_stop(stop)
  local kind = stop.kind
  if kind == "exit" then
    local text = "exit, returned " .. stop.return_value
    if stop.value ~= stop.return_value then
      text = text .. string.format(" (int %d)", stop.value)
    end
    return text
  elseif kind == "aborted" then
    return "aborted"
  elseif kind == "breakpoint" then
    local text = string.format("breakpoint %d at %s%s", stop.breakpoint_id or 0,
                               where(stop.pc), source_of(stop))
    if stop.error then
      text = text .. ": " .. stop.reason .. ": " .. stop.error
    end
    return text
  elseif kind == "signal" then
    local text = string.format("signal %s (%s) at %s%s", stop.signal or "?",
                               stop.reason, where(stop.pc), source_of(stop))
    if stop.signal == "SIGSEGV" or stop.signal == "SIGBUS" then
      text = text .. string.format(", fault address 0x%x", stop.fault_address)
    end
    return text
  end
  return string.format("%s at %s%s", kind, where(stop.pc), source_of(stop))
end

--- Describes a breakpoint: "breakpoint 1 at 0x... <fib+4>", with
-- ", 3 locations" when it covers several addresses.
function snare.format_breakpoint(bp)
  local text = string.format("breakpoint %d at %s", bp.id, where(bp.address))
  local count = #bp.addresses
  if count > 1 then
    text = string.format("%s, %d locations", text, count)
  end
  if bp.cleared then
    return text .. " (cleared)"
  end
  return string.format("%s (hits %d, stops %d%s)", text, bp.hits, bp.stops,
                       bp.enabled and "" or ", disabled")
end

--- Formats registers, one "name 0x..." per line in the core's order.
-- @param regs a table from `s:regs()`, or a `stop.regs`/`frame.regs` proxy
function snare.format_regs(regs)
  local lines = {}
  for i, name in ipairs(core.registers) do
    lines[i] = string.format("%-6s 0x%016x", name, regs[name])
  end
  return table.concat(lines, "\n")
end

core.metatable("snare.stop").__tostring = snare.format_stop
core.metatable("snare.breakpoint").__tostring = snare.format_breakpoint

--- Memory
-- These never fault: an unreadable or unwritable address returns
-- nil, message. The same functions are methods of sessions and frames.
-- @section memory

--- Reads n bytes at addr. @return string, or nil, message
snare.read = core.read
--- Writes a string at addr. @return true, or nil, message
snare.write = core.write
--- Reads a NUL-terminated string at addr, at most `max` (4096) bytes.
-- @return string, or nil, message
snare.read_cstring = core.read_cstring

--- Typed reads (little-endian): `read_u8`, `read_u16`, `read_u32`,
-- `read_u64`, `read_i8`, `read_i16`, `read_i32`, `read_i64`, `read_ptr`;
-- typed writes `write_u8` ... `write_i64`, `write_ptr` (the value must
-- fit the width, signed or unsigned).
-- @table typed
for _, name in ipairs { "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64",
                        "ptr" } do
  snare["read_" .. name] = core["read_" .. name]
  snare["write_" .. name] = core["write_" .. name]
end

--- Disassembly
-- @section disassembly

--- Disassembles n instructions (default 1) from `where`, an address or a
-- symbol name, in Intel syntax. The program's own bytes are decoded:
-- breakpoints do not show as `int3`. The list ends early at bytes that do
-- not decode.
-- @param where address or symbol name
-- @tparam[opt=1] integer n
-- @return list of `{address, length, text, bytes}`, or nil, message
snare.disassemble = core.disassemble

--- Tracing: `snare.tally`, `snare.profile`, `snare.trace`, `snare.hook`
-- (see the `snare.tracing` module).
-- @section tracing
require("snare.tracing").install(snare)

return snare
