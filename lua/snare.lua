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
  if math.type(n) ~= "integer" then
    error(("snare.hex: bad argument 'n' (an integer expected, got %s)")
          :format(math.type(n) or type(n)), 2)
  end
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
-- * `lib:functions()` -> its functions as such tables, one per address, in
--   address order: from the ELF symbol tables and, where no symbol names a
--   function (a stripped object), from its unwind table, as
--   "sub_<link-time address in hex>". A function with several names is
--   listed once, under its global name with the fewest leading
--   underscores; a C++ function under its qualified name
--   ("geo::Square::area"). Names given to `lib:symbol` and the rest may
--   also be a C++ function's mangled name or demangled signature.
-- * `lib.base` (load bias), `lib.path`, `lib.closed`
-- * `lib:close()` (also `<close>` and garbage collection): unloads it and
--   clears every breakpoint inside it.
--
-- With `bias`: the object the program's loader has mapped at that load
-- bias under the name `path` (its link map's), described without a
-- dlopen (a debugger stopped in the loader, whose lock a dlopen would
-- wait for); closing it unloads nothing and leaves its breakpoints.
-- @tparam string path
-- @tparam[opt] integer bias
-- @return library, or nil, message
-- @function load
snare.load = core.load

--- The main program of this process as a library (not loaded again):
-- its functions can be hooked and broken on as a shared object's.
-- `lib.path` is its file. Used by the `snare` command's LD_PRELOAD agent.
-- @return library, or nil, message
snare.load_program = core.load_program

--- gdb's `set debug-file-directory`: where the separate debug files of
-- stripped libraries are looked for (by build ID, DIR/.build-id/xx/yyyy.debug,
-- and by .gnu_debuglink, CRC checked), colon-separated, "/usr/lib/debug"
-- by default. With a string, sets it (nil restores the default), for
-- libraries whose DWARF is read afterwards; returns the setting.
-- @function debug_file_directory
-- @tparam[opt] string dirs
-- @treturn string
snare.debug_file_directory = core.debug_file_directory

--- Address of a symbol in any library loaded through `snare.load`.
-- @tparam string name
-- @return address, library; or nil, message
-- @function symbol
snare.symbol = core.symbol

--- The symbol containing an address, across loaded libraries.
-- @tparam integer addr
-- @return `{name, address, size, is_function, library, offset}`, or nil, message
-- @function symbol_at
snare.symbol_at = core.symbol_at

--- Source lines and functions
-- From the DWARF of libraries built with -g, read on first use. A
-- library without it answers nil, message; its symbols keep working.
-- Library objects also have:
--
-- * `lib:line_at(addr)` -> `{file, line, column, function, address,
--   not_stmt}` (`address`: start of the line-table row; `not_stmt`: the
--   row starts no statement, DWARF's is_stmt false), or nil, message
-- * `lib:line_span(file, line)` -> `{file, start, finish}`: where gdb's
--   `info line FILE:LINE` says the line is (`finish == start`: no code of
--   its own, `start` the next line's), `{file, start, out_of_range = true}`
--   past the file's last statement, or nil, message for an unknown file
-- * `lib:addresses("demo.c:12")` or `lib:addresses("demo.c", 12)` -> list
--   of the addresses gdb's `break demo.c:12` would use, or nil, message
-- * `lib:function_info(name)` -> `{name, inlined, entry, after_prologue,
--   ranges = {{low, high}...}, decl_file, decl_line, params = {names}}`,
--   or nil, message
--
-- Stops carry `file`, `line` and `func` when known.
-- @section source

--- The source line at an address, in whichever loaded library maps it.
-- `first_line`: where rows of several lines share the row's address (a
-- naked function's opening line and its body's), the first of them;
-- else `line`.
-- @tparam integer addr
-- @return `{file, line, first_line, column, function, address}`, or
-- nil, message
-- @function line_at
snare.line_at = core.line_at

--- Describes an address as "name+offset" ("fib", "fib+4"), or nil if no
-- loaded library has a symbol there.
-- @tparam integer addr
function snare.describe(addr)
  if math.type(addr) ~= "integer" then
    error(("snare.describe: bad argument 'addr' (an integer address expected, "
           .. "got %s)"):format(math.type(addr) or type(addr)), 2)
  end
  local sym = core.symbol_at(addr)
  if not sym then
    return nil
  end
  local name = sym.name
  if not sym.is_function then
    -- a function's static variable: GCC names its symbol "pair.0", gdb
    -- shows the variable's own name
    name = name:gsub("^([%w_]+)%.%d+$", "%1")
  end
  if sym.offset == 0 then
    return name
  end
  return string.format("%s+%d", name, sym.offset)
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
-- `s.timeout` (milliseconds, settable; 0 waits forever). The timeout also
-- bounds each Lua callback (hook, condition, step policy) of the runs it
-- bounds: one that runs longer raises "snare: <kind> ran past the
-- session's timeout (N ms)".
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
-- Watchpoints: `s:watch(where, opts)` (see `watchpoint`),
-- `s:watchpoints()` (list, creation order).
--
-- Stack of the stopped worker: `s:backtrace()`, `s:frame(i)` (see
-- `stack_frame`).
--
-- Source-level steps of the stopped worker (see `stepping`):
-- `s:step_line(policy)`, `s:next(policy)`, `s:finish()`,
-- `s:advance(where)`, `s:until_line(where)`.
--
-- `s:close()` (also `<close>` and garbage collection) aborts a stopped
-- worker, joins it and clears its breakpoints; later use raises
-- "snare.session: closed". No callback (hook, condition, step policy) may
-- run, resume, step, interrupt or close a session: that raises "snare:
-- cannot ... from inside a callback".
-- @tparam[opt] table opts `{timeout = ms}`
-- @return session
-- @function session
snare.session = core.session

--- Makes Ctrl-C (SIGINT) interrupt the running calls and resumes of the
-- given sessions (at most 4): the blocked `s:call` or `s:continue`
-- returns an "interrupt" stop, as `s:interrupt()` from another thread
-- would make it. With none running, the signal is counted
-- (`snare.sigints()` returns and clears the count) and the process goes
-- on. Called with no session, it restores the handler that was there
-- before. A session closed meanwhile is dropped from the list.
-- @param ... sessions
-- @function interrupt_on_sigint
snare.interrupt_on_sigint = core.interrupt_on_sigint

--- `snare.batch(fn, ...)`: calls `fn(...)`, writing the traps of the
-- breakpoints it sets together when it returns (one code write per page
-- instead of two per breakpoint: thousands set in a fraction of the
-- time); until then a thread may run past them. Returns what `fn` does;
-- an error in `fn` ends the batch and is raised again.
-- @param fn the function that sets the breakpoints
-- @function batch
snare.batch = core.batch

--- How many SIGINTs arrived since the last call, while
-- `snare.interrupt_on_sigint` was in force.
-- @function sigints
snare.sigints = core.sigints

--- Breakpoints (documentation only).
--
-- `bp = s:breakpoint(where, opts)`: `where` is
--
-- * an address (exact);
-- * `"*name"`: the symbol's own address (the function's first instruction);
-- * `"*0x..."`: that address (where a bare integer would be read as a
--   line: `until_line`);
-- * `"name"`: as gdb's `break name`, past the prologue when DWARF knows
--   the function, plus every inlined copy; else the ELF symbol's address;
-- * `"file.c:12"`: every address gdb would use for that line (one per
--   inlined copy or split piece). A line without code (a comment, a
--   blank line, a declaration) is, as gdb 13's `break`, the next line of
--   the file with code (before a function: its first line past the
--   prologue); the breakpoint's addresses say where. Past the file's
--   last line of code, or with `exact_line = true` in opts, it raises
--   "demo.c:5 has no code; nearest lines with code: 4, 7". `advance`
--   and `until_line` move such a line too.
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
--   `frame.breakpoint` (id), `frame.thread`, `frame:var(name, opts)` (a
--   variable of the trapped function, as `stack_frame`'s),
--   `frame:scalar(name)` (a scalar's bytes through the read compiled once
--   for this breakpoint, or nil: no DWARF is read after the first hit),
--   `frame:scalar_number(name)` (the same read's number alone, no bytes
--   to make), and the memory
--   functions as methods (`frame:read_u32(addr)`). A condition must not call, resume
--   or close its own session, nor set or clear breakpoints.
-- * `skip = n`: ignore the first n hits.
-- * `max = n`: clear itself after n stops; `temporary = true` is `max = 1`.
-- * `thread = id`: only that thread stops here (see `event`).
-- * `mechanism = "trap"`: always an int3 trap. Otherwise, where every
--   breakpoint at an address has a condition or a skip count, snare
--   replaces the instruction there by a jump to a trampoline when the
--   code allows it (whole instructions that can move, no branch into
--   them, no indirect jump or exception landing pad in the function):
--   conditions then run without a signal, and a stop is the same stop.
--   `bp.mechanism` says which: "jump", "trap" (or "mixed" over several
--   addresses).
--
-- Breakpoint objects: `bp.id`, `bp.address` (the first of
-- `bp.addresses`), `bp.session`, `bp.cleared`;
-- `bp.mechanism`, `bp.enabled`, `bp.hits`, `bp.stops`, `bp.rejected`,
-- `bp.skip`, `bp.max`
-- (these raise once cleared); `bp:enable()`, `bp:disable()`, `bp:clear()`
-- (idempotent; then the methods raise "breakpoint cleared"). Closing the
-- session or the library the breakpoint is in clears it.
-- @table breakpoint

--- Stack frames (documentation only).
--
-- `s:backtrace()` lists the frames of the stopped worker, innermost
-- first, down to the function the session called (the worker's own
-- frames below it are snare's and not listed), unwound from its saved
-- context through frames with or without frame pointers; an inlined
-- call is a frame of its own (`inlined`), as in gdb. `s:frame(i)` is
-- frame i alone (0, the default, is the innermost), or nil, message.
-- Fields: `index`, `pc` (callers: the return address), `sp`, `cfa`,
-- `func`, `file`, `line` (callers: the line of the call), `inlined`,
-- `tail_call` (a function left by a tail call, as gdb shows it: its pc
-- is the return pc of the tail call site).
-- `tostring(frame)` reads like gdb's backtrace: "fib (n=3) at
-- ../src/demo.c:12" (the file as gdb and the prompt name it). A frame
-- raises "frame is no longer valid" once its session is resumed.
--
-- * `frame:var(name, opts)`: the value of a parameter or local, or nil,
--   why: "optimized out", "no variable 'x' here". Integers, floats,
--   booleans; enums as their names; pointers as integers, or with
--   `opts.strings` a `char *` as the string it points to; structs and
--   unions as tables by member name, arrays as lists. `opts.depth` (4)
--   and `opts.length` (64) cap nesting and array elements.
-- * `frame:params(opts)`, `frame:locals(opts)`: lists of `{name =,
--   value = [, problem = "optimized out"]}`, parameters in order, locals
--   innermost block first.
-- * `frame:vars(opts)`: `{name = value}` of both (optimized-out ones absent).
-- * `frame:set_var(name, v)`: stores a number or boolean in a scalar
--   variable, converted to its type; raises when it cannot (aggregates,
--   values the compiler computes, a register of a caller frame).
-- * `frame:registers()`: the frame's registers as gdb shows them (`rax`
--   ... `eflags` by name: an outer frame's pc, sp and callee-saved
--   registers as the unwinder restores them, the others as the inner
--   frames have them; `xmm0`..`xmm15` as 16-byte strings), `saved` (where
--   this frame saved its caller's registers: `{rbx = address, rip =
--   address}`), `cfa`, `caller_cfa`, `callee_cfa`.
-- @table stack_frame

--- Stepping (documentation only).
--
-- Line steps follow gdb's rules (spec/stepping_oracle compares them with
-- gdb): a step runs until the first instruction that starts a statement
-- of another line; when the function returns it goes on in the caller
-- to the next statement start. Calls are never single-stepped through:
-- they run at full speed to their return address, recursion-safe. Each
-- method returns a stop: kind "step" with reason "end of stepping
-- range" when the step ended by itself, else the stop that ended it (a
-- breakpoint hit inside a call, a signal, the timeout's "interrupt", the
-- entry's "exit").
--
-- * `s:step_line(policy)`: gdb's `step`, into calls of functions with
--   line information (to their first line after the prologue), over the
--   others (`strlen`). `s:step()` stays one instruction.
-- * `s:next(policy)`: gdb's `next`, over calls.
-- * `s:finish()`: to just after the call of the current function; the
--   stop has `return_value` (rax, the integer or pointer result) and
--   `value` (its C int). A floating-point result is in `s:xmm(0)`. Out
--   of the entry function itself, finish runs to its "exit" stop.
-- * `s:advance(where)`: runs to `where` (as `s:breakpoint`'s: address,
--   "name", "file.c:12") at any depth, or until the current function
--   returns, as gdb's `advance`.
-- * `s:until_line(where)`: the same, ignoring deeper frames (recursion),
--   as gdb's `until LOCATION`; a bare number is a line of the current
--   file.
--
-- A policy table decides for the step; either field may be absent:
--
--    s:step_line{
--      into = function(fn) return not fn.file:match("vendor/") end,
--      stop = function(frame) return frame:var("i") > 10 end,
--    }
--
-- * `into(fn)`: asked before entering a call (`fn.name`, `fn.address`,
--   `fn.file`, `fn.line` of its first line); falsy steps over it.
-- * `stop(frame)`: asked at each new line with the innermost frame (a
--   `stack_frame`); falsy keeps stepping.
--
-- Policies run on the controller while the worker is stopped; they must
-- not resume or close the session (that raises). An error in a policy
-- ends the step where it is and raises "step policy failed: ..." with
-- the traceback; the session stays stopped and usable.
-- @table stepping

--- Stops (documentation only).
--
-- What `s:call` and the resume methods return: a table with `kind`
-- ("breakpoint", "step", "signal", "interrupt", "exit", "aborted"),
-- `reason` (text), `thread`, `pc`, `breakpoint` (our object, if any) and
-- `breakpoint_id`; `breakpoints` and `breakpoint_ids`, every breakpoint at
-- that address whose condition said stop (each one counted its hit and
-- stop; `breakpoint` is the first set); `file`, `line` (DWARF) and `func` (DWARF, else the
-- ELF symbol) when known; `inline_hidden`, the number of inlined calls
-- that begin at the pc and that the stop shows as their call site (the
-- file, line and func of their caller), when there are any;
-- `step_frame_kept` after a line step (`s:step_line()`, `s:next()`) in
-- code with DWARF functions: true when it stopped in the frame it last
-- stepped through (where it began, or last passed the middle of a line:
-- gdb's step frame) and in the function it began in, where gdb shows the
-- stop by its source line alone; for signals `signal` ("SIGSEGV"), `signal_number`,
-- `signal_code`, `fault_address`; for exits `return_value` (the uint64)
-- and `value` (the C int: low 32 bits, sign-extended), also after
-- `s:finish()` (the function's result); `error` when a
-- condition failed; and `regs`: `stop.regs.rdi` reads the live register
-- while the session is still stopped at this stop, the snapshot taken at
-- the stop afterwards; `stop.regs.rax = 5` writes the live register (and
-- raises once the session has moved on). `tostring(stop)` describes it.
-- @table stop

-- Raises "snare.<fname>: bad argument '<arg>' (<expected> expected, got
-- <type>)" at the caller of the formatter.
local function bad_argument(fname, arg, expected, value)
  error(string.format("snare.%s: bad argument '%s' (%s expected, got %s)",
                      fname, arg, expected, type(value)), 3)
end

-- Raises as bad_argument unless t[field] is an integer.
local function need_integer(fname, arg, t, field)
  if math.type(t[field]) ~= "integer" then
    error(string.format("snare.%s: bad argument '%s' (field '%s' is %s, not "
                        .. "an integer)", fname, arg, field, type(t[field])), 3)
  end
end

-- t[k] for a formatter; an error of t's __index is raised again at the
-- formatter's caller, without the position in this file it names.
local function index(fname, t, k)
  local ok, v = pcall(function() return t[k] end)
  if not ok then
    error(("snare.%s: %s"):format(fname, (tostring(v):gsub("^[^:]*:%d+: ", ""))), 3)
  end
  return v
end

-- Whether v can be indexed like a table (a table, or a snare object).
local function indexable(v)
  local t = type(v)
  return t == "table" or t == "userdata"
end

-- " at demo.c:12" when the stop's pc has a source line, else "".
local function source_of(stop)
  if not stop.file then
    return ""
  end
  return string.format(" at %s:%d", stop.file:match("[^/]*$"), stop.line)
end

--- Describes a stop: `breakpoint 1 at 0x1139 <fib+4> at demo.c:12`,
-- `signal SIGSEGV (segmentation fault) at 0x1105 <do_segv+8> at faults.c:9,
-- fault address 0x0`, `exit, returned 55`. The source line shows when
-- the code has DWARF.
-- @tparam table stop
function snare.format_stop(stop)
  if type(stop) ~= "table" or type(stop.kind) ~= "string" then
    bad_argument("format_stop", "stop", "a stop (the table s:call returns)", stop)
  end
  local kind = stop.kind
  if kind == "exit" then
    need_integer("format_stop", "stop", stop, "return_value")
  elseif kind ~= "aborted" then
    need_integer("format_stop", "stop", stop, "pc")
  end
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
  elseif kind == "watchpoint" then
    return string.format("watchpoint %d at %s%s: %s, %d -> %d",
                         stop.watchpoint_id, where(stop.pc), source_of(stop),
                         stop.reason, stop.old_value, stop.new_value)
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

--- Watchpoints (documentation only): the process's debug registers.
--
-- `wp = s:watch(where, opts)`: `where` is an address, or a name: a local
-- of the stopped worker's innermost frame (cleared when that frame
-- returns: the thread then stops with kind "watchpoint" and reason
-- "watchpoint's frame returned"), else a global or static symbol of a
-- loaded library (its size is the default length). `opts`:
--
-- * `kind`: "write" (default; a hit when the value changed), "read" (an
--   access that left it unchanged), "access" (every access), "execute";
-- * `len`: 1 to 32 bytes (default: the symbol's size, else 8); a range
--   takes one debug register per aligned 1, 2, 4 or 8 bytes, four in all;
-- * `condition(frame)`: runs on the thread that touched the memory, right
--   after the instruction (as a breakpoint condition; `frame.thread`);
-- * `skip`, `thread` (only this thread id counts).
--
-- A hit that stops is a stop (or, on an attached thread, an event) of
-- kind "watchpoint" with `watchpoint` (the object), `watchpoint_id`,
-- `old_value`, `new_value` (the first 8 bytes, as integers); a step
-- over a write that changed the value is a "step" with the same fields.
-- Refused (a fifth register, a kernel that does not allow it): raises
-- with the reason and what to change. `wp.id` (shared with breakpoints'
-- numbers), `wp.address`, `wp.length`, `wp.kind`, `wp.enabled`,
-- `wp.hits`, `wp.stops`, `wp.rejected`, `wp.registers`, `wp.scoped`,
-- `wp.cleared`; `wp:enable()`, `wp:disable()`, `wp:clear()`.
-- @table watchpoint

--- Describes a breakpoint: `breakpoint 1 at 0x1139 <fib+4>`, with
-- `, 3 locations` when it covers several addresses.
function snare.format_breakpoint(bp)
  if debug.getmetatable(bp) ~= core.metatable("snare.breakpoint") then
    bad_argument("format_breakpoint", "bp", "a breakpoint", bp)
  end
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
  if not indexable(regs) then
    bad_argument("format_regs", "regs", "registers (s:regs(), stop.regs)", regs)
  end
  local lines = {}
  for i, name in ipairs(core.registers) do
    local value = index("format_regs", regs, name)
    if math.type(value) ~= "integer" then
      error(string.format("snare.format_regs: bad argument 'regs' (register "
                          .. "%s is %s, not an integer)", name, type(value)), 2)
    end
    lines[i] = string.format("%-6s 0x%016x", name, value)
  end
  return table.concat(lines, "\n")
end

--- Threads and events (documentation only).
--
-- libjit's debugger model. Threads of the process attach themselves from
-- C (`snare_thread_attach(session, stop_immediately, &id)`, passing
-- `s:handle()`, the session's `snare_session *` as a light userdata) and
-- get small ids after the worker's (`s.thread`, itself the session's
-- first thread). Their stops do not end a call: they park and become
-- events, delivered in order by `s:wait_event(timeout_ms)` (default: the
-- session's timeout, or forever; -1: forever), which returns an event or
-- nil, "timeout"; `s:wait_event(ms, id)` first continues parked thread
-- `id` once the controller counts as waiting, so its hooks' and
-- conditions' Lua runs from its first instruction on. Event tables:
-- `type` ("quit", "hard-breakpoint",
-- "soft-breakpoint" after a step, "user-breakpoint" after a break
-- request, "attach" with `data1` = 1 if it stopped at once, "detach",
-- "fault" with `signal`), `thread`, `pc`, `func` and `name` (the
-- containing function, when a library opened by snare or a registered
-- region knows it), `data1`, `data2`, `breakpoint` (our object) and
-- `breakpoint_id`, `error` (a condition's error), `stack` (return
-- addresses, innermost first, from the frame-pointer chain), `regs`
-- (events with a frame: a snapshot table of the registers when the thread
-- parked). `tostring(event)` describes it.
--
-- Per thread: `s:thread_resume(id [, "continue"|"step" [, pc]])` (a step
-- posts a "soft-breakpoint"), `s:thread_break(id)`, `s:thread_alive(id)`,
-- `s:thread_running(id)`, `s:thread_breakable(id, flag)` (unbreakable
-- threads run through breakpoints, as threads that never attached do),
-- `s:threads()` (`{id, state = "running"|"stopped"|"idle", worker}`, the
-- worker first), `s:quit()` (posts one "quit"; quits waiting for delivery
-- coalesce). These return true or nil, message. The worker keeps
-- reporting through `s:call`/`s:continue`.
--
-- A thread parked at a stop (not at attach): `s:thread_reg(id, name)`,
-- `s:thread_set_reg(id, name, value)` (taking effect when it resumes), and
-- libjit's step/next/finish as `s:thread_step_line(id [, policy])`,
-- `s:thread_next(id [, policy])`, `s:thread_finish(id)`: synchronous, as
-- `s:step_line`/`s:next`/`s:finish`, they return the stop where the step
-- ended (with `line`, `value` after a finish, `regs` as a snapshot) and
-- the thread stays parked there; its stops during the step post no
-- event, while other threads' events stay queued in order. The policy's
-- `stop` receives the thread id. These raise on a thread that is not
-- parked at a stop.
-- `s:steps_yield(on)`: while on, a stop that another thread posts
-- during such a step ends the step (the stepped thread breaks, its step
-- returns an "interrupt" stop; the other stop stays queued), as gdb ends
-- a step when another thread hits a breakpoint meanwhile.
--
-- Conditions on attached threads: Lua runs only while the controller is
-- blocked in C (`s:call`, the resume methods, `s:wait_event`), and one
-- callback at a time. A condition that fires on an attached thread
-- outside those times, or while another thread runs Lua, does not run:
-- the thread stops with a "hard-breakpoint" event as if it had returned
-- true (its breakpoint's `hits` still count it).
-- @table event

--- Describes an event: `attach of thread 2 (stopped)`, `quit`,
-- `hard-breakpoint on thread 3 at 0x1139 <fib+4> (breakpoint 1)`.
-- @tparam table event
function snare.format_event(event)
  if type(event) ~= "table" or type(event.type) ~= "string" then
    bad_argument("format_event", "event", "an event (the table s:wait_event "
                 .. "returns)", event)
  end
  if event.type ~= "quit" then
    need_integer("format_event", "event", event, "thread")
  end
  if event.type == "quit" then
    return "quit"
  elseif event.type == "attach" or event.type == "detach" then
    return string.format("%s of thread %d%s", event.type, event.thread,
                         event.data1 ~= 0 and " (stopped)" or "")
  end
  need_integer("format_event", "event", event, "pc")
  local text = string.format("%s on thread %d at %s", event.type,
                             event.thread, where(event.pc))
  if event.breakpoint_id then
    text = string.format("%s (breakpoint %d)", text, event.breakpoint_id)
  end
  if event.watchpoint_id then
    text = string.format("%s (watchpoint %d: %d -> %d)", text,
                         event.watchpoint_id, event.old_value, event.new_value)
  end
  if event.signal then
    text = text .. " " .. event.signal
  end
  return text
end

core.metatable("snare.stop").__tostring = snare.format_stop
core.metatable("snare.event").__tostring = snare.format_event
core.metatable("snare.breakpoint").__tostring = snare.format_breakpoint
core.metatable("snare.watchpoint").__tostring = function(wp)
  if wp.cleared then
    return string.format("watchpoint %d (cleared)", wp.id)
  end
  return string.format("%s watchpoint %d at %s, %d bytes (hits %d, stops %d%s)",
                       wp.kind, wp.id, where(wp.address), wp.length, wp.hits,
                       wp.stops, wp.enabled and "" or ", disabled")
end

--- Memory
-- These never fault: an unreadable or unwritable address returns
-- nil, message. The same functions are methods of sessions and frames.
-- @section memory

--- Reads n bytes at addr.
-- @return string, or nil, message
-- @function read
-- @tparam integer addr
-- @tparam integer n
snare.read = core.read
--- Writes a string at addr.
-- @return true, or nil, message
-- @function write
-- @tparam integer addr
-- @tparam string bytes
snare.write = core.write
--- Reads a NUL-terminated string at addr, at most `max` (4096) bytes.
-- @return string, or nil, message
-- @function read_cstring
-- @tparam integer addr
-- @tparam[opt=4096] integer max
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
-- symbol name, in gdb's default AT&T syntax as GNU binutils spells it
-- ("mov    %rsp,%rbp", a rip-relative operand followed by
-- "        # 0x4010"), or with `{flavor = "intel"}` in Intel syntax as
-- binutils spells it ("mov    DWORD PTR [rbp-0x14],edi"). The program's
-- own bytes are decoded: breakpoints do not show as `int3`. The list ends
-- early at bytes that do not decode.
-- @param where address or symbol name
-- @tparam[opt=1] integer n
-- @tparam[opt] table options `flavor`: "att" (default) or "intel"
-- @return list of `{address, length, text, bytes}`, or nil, message
-- @function disassemble
snare.disassemble = core.disassemble

--- JIT code
-- Generated code as a target: W^X executable memory for JIT authors, and
-- regions with functions and a line map. `snare.symbol`, `snare.symbol_at`,
-- `snare.line_at`, `s:breakpoint(name)`, backtraces (by frame pointers,
-- since such code has no unwind information) and hooks see registered
-- regions as they see a library.
--
-- JIT memory objects (`<close>`-able, freed by the GC too):
--
-- * `jit.address` (where the code runs), `jit.size` (whole pages),
--   `jit.dual` (true: one memfd mapped read+write and, elsewhere,
--   read+execute; false: one mapping, writable until `commit`),
--   `jit.freed`
-- * `jit:write(offset, bytes)`: stores a string's bytes; breakpoints in
--   the range are planted again over the new bytes
-- * `jit:commit()`: makes the code runnable (a single mapping turns
--   read+execute; x86-64 needs no cache flush)
-- * `jit:free()`: unregisters the regions inside, removes breakpoints and
--   hooks in it, unmaps it
--
-- Region objects (`<close>`-able; the GC unregisters them too, so keep
-- them): `region.start`, `region.registered`, `region:unregister()`
-- (removes the breakpoints and hooks in it).
-- @section jit

--- Allocates JIT memory: `snare.jit.alloc(size, opts)`.
-- @tparam integer size bytes, rounded up to pages
-- @tparam[opt] table opts `{single = true}`: one mapping, no memfd
-- @return JIT memory, or nil, message, status
-- @function jit.alloc
snare.jit = core.jit

--- Registers a region of generated code.
-- @tparam table info `{start=, size=, name=, symbols = {{name=, start=,
--   size=}...}, lines = {{address=, file=, line=}...}}`; without symbols
--   the whole region is one function called `name`
-- @return region, or nil, message, status (overlap, not executable,
--   symbols or lines outside the region)
-- @function code_register
snare.code_register = core.code_register

--- Marks
-- libjit's potential breakpoint sites (see "Marks" in snare.h).
-- Marks come from JITs, `SNARE_MARK()` and `<sys/sdt.h>` probes of loaded
-- libraries (`lib:marks()`, `lib:probes()`). A data value is an integer, an operand
-- string ("8@-16(%rbp)") or `{reg="rdi"}` / `{reg="rbp", offset=-8}`.
-- Filters are `{data1=, data2=, ["function"]=, mark=}`.
-- @section marks

--- Registers a mark; returns its id.
-- @function mark
-- @tparam integer address
-- @param data1
-- @param[opt] data2
-- @tparam[opt] integer function address of the containing function
snare.mark = core.mark
--- Removes a mark: true, or nil, message.
-- @function mark_remove
-- @tparam integer id
snare.mark_remove = core.mark_remove
--- A mark's table {id, address, function, data1, data2, armed, ...}.
-- @function mark_info
-- @tparam integer id
snare.mark_info = core.mark_info
--- Every mark, as mark_info tables.
-- @function marks
snare.marks = core.marks
--- Breakpoints of session on every matching mark, now and later: an id;
-- stops there carry `at_mark`, `data1`, `data2`.
-- @function mark_break
-- @param session
-- @tparam table filter
snare.mark_break = core.mark_break
--- Removes a `mark_break` by its id: true, or nil, message.
-- @function mark_break_clear
-- @tparam integer id
snare.mark_break_clear = core.mark_break_clear
--- `fn(function, data1, data2, frame)` at every hit of a matching mark on
-- an attached thread; returns a hook with `stats()` and `remove()`.
-- @function mark_hook
-- @tparam table filter
-- @tparam function fn
snare.mark_hook = core.mark_hook
--- `fn(args...)` at every hit of probe "provider:name" of lib.
-- @function probe_hook
-- @param lib
-- @tparam string probe
-- @tparam function fn
snare.probe_hook = core.probe_hook

--- Tracing: `snare.tally`, `snare.profile`, `snare.trace`, `snare.hook`
-- (see the `snare.tracing` module).
-- @section tracing
require("snare.tracing").install(snare)

--- C expressions: `frame:eval(text)` on stack frames (`s:frame(i)`) and
-- on a condition's frame evaluates a C expression in that frame
-- (`frame:eval("p->next->val")`) and returns its value as Lua sees it
-- (numbers; tables for structs and arrays), then gdb's text of it; an
-- expression that fails raises "eval: " and gdb's message. See the
-- `snare.expr` module.
-- @section expressions
for _, type_name in ipairs { "snare.stack_frame", "snare.frame" } do
  -- a table (a condition's frame: its template) or a function whose first
  -- upvalue is the table
  local lookup = core.metatable(type_name).__index
  local methods = type(lookup) == "table" and lookup
                  or select(2, debug.getupvalue(lookup, 1))
  methods.eval = function(frame, text)
    return require("snare.expr").frame_eval(frame, text)
  end
end

--- Runs the controller script at `script` (see snare.agent) inside the
-- running process `pid`: snare attaches (ptrace loads its agent, then
-- lets go), the script runs there until it returns or `opts.duration`
-- seconds pass (or this process gets SIGINT/SIGTERM), and snare
-- detaches, leaving the process as it was. `opts.args`: the script's
-- agent.args. Returns the exit status `snare attach` would: 0 detached,
-- the process's own status if it exited meanwhile, 3 refused.
function snare.attach(pid, script, opts)
  if math.type(pid) ~= "integer" or pid <= 0 or pid > 1 << 22 then
    error("snare.attach: pid must be a process id", 2)
  end
  local file = type(script) == "string" and io.open(script)
  if not file then
    error("snare.attach: script must name a readable Lua file", 2)
  end
  file:close()
  if opts ~= nil and type(opts) ~= "table" then
    error("snare.attach: opts must be a table", 2)
  end
  opts = opts or {}
  return require("snare.cli.attach").run(pid, script, opts.args or {},
                                         opts.duration)
end

return snare
