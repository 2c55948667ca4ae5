-- spec/reliability/badinput_cases.lua - the bad-input coverage table of
-- the Lua API, used by spec/badinput_spec.lua.
--
-- One entry per function of each group ("module": snare.* and
-- snare.core.*; "session", "breakpoint", "library", "frame": methods and
-- metamethods of those objects; "regs", "stop": metamethods). The spec
-- enumerates the real tables and fails on any function without an entry,
-- so a new function cannot ship without bad-input coverage.
--
-- Entry fields:
--   params      names of the arguments after self; an error naming one of
--               them (or the function) counts as clear
--   good(ctx)   valid arguments after self; each position is replaced in
--               turn by every bad value (default: no arguments)
--   self        "fresh": the call consumes its object (close, __gc), so
--               each case gets a new one; default: the shared live object
--   states      session states to try ("idle", "stopped"); default both
--               for session methods
--   nil_ok      the function documents a plain nil result (no message)
--   borrowed    the function returns libraries it did not open (already
--               loaded ones): the spec leaves them open
--   avoid       bad-value labels not to pass at all, because the call
--               would do exactly what was asked (jump there, loop forever)
--   extra(ctx)  more cases: list of {label, args} (args after self)
local cases = {}

local unpack = table.unpack

-- Values every argument position gets. `ctx` fills in the addresses and
-- objects that only exist at run time.
function cases.bad_values(ctx)
  return {
    { "nil", nil }, { "false", false }, { "true", true },
    { "empty string", "" }, { "unknown symbol", "no_such_symbol_xyz" },
    { "table", {} }, { "function", print },
    { "coroutine", coroutine.create(print) },
    { "NaN", 0 / 0 }, { "inf", math.huge }, { "-inf", -math.huge },
    { "float", 1.5 }, { "huge float", 2.0 ^ 63 }, { "-1", -1 }, { "0", 0 },
    { "maxinteger", math.maxinteger }, { "mininteger", math.mininteger },
    { "unmapped address", 0x10 }, { "kernel address", -4096 },
    { "misaligned data address", ctx.scratch + 1 },
    { "inside an instruction", ctx.inside },
    { "a session", ctx.other_session }, { "closed session", ctx.closed_session },
    { "cleared breakpoint", ctx.cleared_bp }, { "closed library", ctx.closed_lib },
    { "stale frame", ctx.stale_frame },
  }
end

-- The memory functions: in the module, and as session and frame methods.
cases.memory = {
  "read", "write", "read_cstring",
  "read_u8", "read_u16", "read_u32", "read_u64",
  "read_i8", "read_i16", "read_i32", "read_i64", "read_ptr",
  "write_u8", "write_u16", "write_u32", "write_u64",
  "write_i8", "write_i16", "write_i32", "write_i64", "write_ptr",
}

local function memory_entry(name)
  if name == "read" then
    return { params = { "addr", "n", "size" },
             good = function(ctx) return { ctx.scratch, 8 } end,
             extra = function(ctx)
               return { { "huge size", { ctx.scratch, 1 << 40 } },
                        { "size past the end of memory", { -8, 16 } } }
             end }
  elseif name == "write" then
    return { params = { "addr", "data" },
             good = function(ctx) return { ctx.scratch, "abc" } end,
             extra = function(ctx)
               return { { "write over code", { ctx.fib, "\0\0" } },
                        { "write past the end of memory", { -2, "abcd" } } }
             end }
  elseif name == "read_cstring" then
    return { params = { "addr", "max", "size" },
             good = function(ctx) return { ctx.scratch, 16 } end }
  elseif name:match("^read_") then
    return { params = { "addr" },
             good = function(ctx) return { ctx.scratch } end }
  end
  return { params = { "addr", "value" },
           good = function(ctx) return { ctx.scratch, 1 } end,
           extra = function(ctx)
             return { { "write over code", { ctx.fib, 0 } } }
           end }
end

local function with_memory(group)
  for _, name in ipairs(cases.memory) do
    group[name] = memory_entry(name)
  end
  return group
end

local function index_entry(keys)
  return { params = { "key" }, nil_ok = true,
           good = function() return { keys[1] } end,
           extra = function()
             local list = {}
             for _, key in ipairs(keys) do
               list[#list + 1] = { "field " .. key, { key } }
             end
             return list
           end }
end

local closing = { self = "fresh" }

cases.groups = {}

cases.groups.module = with_memory {
  session = { params = { "opts", "timeout" },
              extra = function()
                return { { "negative timeout", { { timeout = -1 } } },
                         { "huge timeout", { { timeout = 1 << 40 } } },
                         { "string timeout", { { timeout = "x" } } } }
              end },
  metatable = { params = { "name", "type" },
                good = function() return { "snare.session" } end },
  load = { params = { "path" },
           good = function(ctx) return { ctx.loops_path } end,
           extra = function()
             return { { "directory", { "/" } }, { "not an ELF", { "/etc/passwd" } },
                      { "missing file", { "/no/such/lib.so" } } }
           end },
  -- a process-wide setting: spec/debug_link_spec.lua resets it
  debug_file_directory = { params = { "dirs" },
                           good = function() return { "/usr/lib/debug" } end },
  load_program = {}, -- no arguments; the library it returns is closed again
  -- never attaches: every case lacks a good pid or script
  attach = { params = { "pid", "script", "opts" } },
  program_is_dynamic = { params = { "path" },
                         good = function(ctx) return { ctx.loops_path } end,
                         extra = function()
                           return { { "directory", { "/" } },
                                    { "not an ELF", { "/etc/passwd" } },
                                    { "missing file", { "/no/such/prog" } } }
                         end },
  symbol = { params = { "name" }, good = function() return { "fib" } end },
  symbol_at = { params = { "addr" }, good = function(ctx) return { ctx.fib } end },
  describe = { params = { "addr" }, nil_ok = true,
               good = function(ctx) return { ctx.fib } end },
  signal_name = { params = { "number" }, nil_ok = true,
                  good = function() return { 11 } end },
  hex = { params = { "n" }, good = function() return { 255 } end },
  disassemble = { params = { "where", "n", "count" },
                  good = function() return { "fib", 2 } end,
                  extra = function()
                    return { { "count 0", { "fib", 0 } },
                             { "huge count", { "fib", 1 << 40 } },
                             { "bytes not a string",
                               { 0x1000, 1, { bytes = {} } } },
                             { "no bytes", { 0x1000, 1, { bytes = "" } } },
                             { "bytes cut short",
                               { 0x1000, 3, { bytes = "\x48\x89\xe7\xe8" } } } }
                  end },
  line_at = { params = { "addr" }, good = function(ctx) return { ctx.fib } end },
  function_start_line_at = { params = { "addr" },
                             good = function(ctx) return { ctx.fib } end },
  statement_line_from = { params = { "addr", "line" },
                          good = function(ctx) return { ctx.fib, 1 } end },
  function_static = { params = { "addr", "name" }, nil_ok = true,
                      good = function(ctx) return { ctx.fib, "calls" } end },
  source_frame_at = { params = { "addr", "outward" },
                      good = function(ctx) return { ctx.fib, 0 } end },
  language_at = { params = { "addr" }, nil_ok = true,
                  good = function(ctx) return { ctx.fib } end },
  source_name = { params = { "addr", "path" },
                  good = function(ctx) return { ctx.fib, "/x/demo.c" } end },
  argument_text = { params = { "name", "text", "entry" },
                    good = function() return { "x", "5", "6" } end },
  unit_at = { params = { "addr" }, nil_ok = true,
              good = function(ctx) return { ctx.fib } end },
  x87_text = { params = { "bytes" },
               good = function() return { string.rep("\0", 10) } end },
  type_info = { params = { "ref" },
                good = function(ctx) return { ctx.loops:type("int") } end },
  find_type = { params = { "name" }, nil_ok = true,
                good = function() return { "int" } end },
  find_global = { params = { "name" }, nil_ok = true,
                  good = function() return { "errno" } end },
  find_enumerator = { params = { "name" }, nil_ok = true,
                      good = function() return { "RED" } end },
  interrupt_on_sigint = { params = { "session" },
                          good = function(ctx) return { ctx.s } end },
  sigints = {},
  batch = { params = { "fn" }, good = function() return { function() end } end },
  is_own_code = { params = { "addr" },
                  good = function(ctx) return { ctx.fib } end },
  process_symbol = { params = { "name" }, nil_ok = true,
                     good = function() return { "strlen" } end },
  find_function_type = { params = { "addr" }, nil_ok = true,
                         good = function(ctx) return { ctx.fib } end },
  variables_at = { params = { "addr" }, nil_ok = true,
                   good = function(ctx) return { ctx.fib } end },
  locations = { params = { "where" },
                good = function() return { "fib" } end },
  format_stop = { params = { "stop" },
                  good = function(ctx) return { ctx.exit_stop } end },
  format_breakpoint = { params = { "bp" },
                        good = function(ctx) return { ctx.live_bp } end },
  format_regs = { params = { "regs" },
                  good = function(ctx) return { ctx.exit_stop.regs } end },
  format_event = { params = { "event" },
                   good = function() return { { type = "quit", thread = 0 } } end },
  -- tracing: a good call hooks leaf process-wide until its object is
  -- collected; bad targets must raise before anything is patched
  tally = { params = { "targets", "target" }, good = function() return { "leaf" } end },
  profile = { params = { "targets", "target" }, good = function() return { "leaf" } end },
  trace = { params = { "targets", "target" }, good = function() return { "leaf" } end },
  hook = { params = { "target", "fn", "callback", "address" },
           good = function() return { "leaf", function() end } end },
  trace_read = {},
  -- recordings: a file that is none is refused with a message
  recording_open = { params = { "path", "options" },
                     good = function() return { "/etc/passwd" } end,
                     extra = function()
                       return { { "directory", { "/" } },
                                { "missing file", { "/no/such/1.dat" } },
                                { "bad depth", { "/etc/passwd", { depth = 1.5 } } },
                                { "bad filter", { "/etc/passwd",
                                                  { only = { x = 1 } } } } }
                     end },
  -- library calls: only an open library has a PLT to stub
  plt_stubs = { params = { "lib" },
                extra = function(ctx)
                  return { { "closed library", { ctx.closed_lib } },
                           { "address", { ctx.fib } } }
                end },
  -- symbols of a mapped file: one that is no ELF file is refused
  symbol_file = { params = { "path", "addr" },
                  good = function(ctx) return { ctx.loops.path, ctx.loops.base } end,
                  extra = function()
                    return { { "not ELF", { "/etc/passwd", 4096 } },
                             { "missing file", { "/no/such.so", 4096 } },
                             { "directory", { "/", 4096 } } }
                  end },
  -- the library an address is in: none (nil) where no symbol holds it
  library_at = { params = { "addr" }, nil_ok = true, borrowed = true,
                 good = function(ctx) return { ctx.fib } end },
  -- gdb's regexps: a pattern regcomp refuses is nil and its message
  regex = { params = { "pattern" },
            good = function() return { "^sca\\|add_" } end,
            extra = function()
              return { { "unmatched group", { "\\(" } },
                       { "unmatched bracket", { "[a" } },
                       { "bad bound", { "a\\{2,1\\}" } },
                       { "embedded zero", { "a\0b" } } }
            end },
  demangle = { params = { "name" }, nil_ok = true,
               good = function() return { "_ZNSt6localeC1Ev" } end },
  -- marks: a good mark stays registered (unarmed, it changes nothing);
  -- good hooks and mark breakpoints match no mark
  mark = { params = { "address", "data1", "data2", "function" },
           good = function(ctx) return { ctx.fib, 1, { reg = "rdi" } } end,
           extra = function(ctx)
             return { { "bad register", { ctx.fib, { reg = "xyz" } } },
                      { "bad operand", { ctx.fib, "(%rax,%rbx,2)" } } }
           end },
  mark_remove = { params = { "id" }, good = function() return { 999999 } end },
  mark_info = { params = { "id" }, good = function() return { 999999 } end },
  marks = {},
  mark_break = { params = { "session", "filter" },
                 good = function(ctx) return { ctx.other_session, { data1 = 4242 } } end },
  mark_break_clear = { params = { "id" }, good = function() return { 999999 } end },
  mark_hook = { params = { "filter", "fn" },
                good = function() return { { data1 = 4242 }, function() end } end },
  probe_hook = { params = { "lib", "probe", "fn" },
                 good = function(ctx) return { ctx.loops, "fixture:step", print } end },
  -- JIT code: a good call registers a region in fresh JIT memory, both
  -- released when collected
  code_register = { params = { "code_register", "start", "size", "name" },
                    good = function()
                      local jit = assert(require("snare").jit.alloc(64))
                      return { { start = jit.address, size = 8, name = "r",
                                 memory = jit } }
                    end },
}

local session = with_memory {
  close = closing, __close = closing, __gc = closing,
  __tostring = {},
  __index = index_entry { "closed", "thread", "timeout", "stopped", "call" },
  __newindex = { params = { "key", "value", "timeout" },
                 good = function() return { "timeout", 0 } end,
                 extra = function()
                   return { { "unknown field", { "thread", 1 } },
                            { "negative timeout", { "timeout", -1 } } }
                 end },
  interrupt = {},
  -- threads and events (no thread attaches here: ids name no thread)
  wait_event = { params = { "timeout_ms", "timeout" },
                 good = function() return { 0 } end,
                 -- nil: the session's timeout; -1: forever
                 avoid = { ["nil"] = true, ["-1"] = true } },
  thread_resume = { params = { "id", "mode", "pc", "thread" },
                    good = function() return { 99, "continue" } end },
  thread_break = { params = { "id", "thread" }, good = function() return { 99 } end },
  thread_alive = { params = { "id", "thread" }, good = function() return { 99 } end },
  thread_running = { params = { "id", "thread" }, good = function() return { 99 } end },
  thread_breakable = { params = { "id", "flag", "thread" },
                       good = function() return { 99, true } end },
  threads = {}, quit = {}, handle = {},
  -- per-thread registers and steps (id 99 names no thread)
  thread_reg = { params = { "id", "name", "register", "thread" },
                 good = function() return { 99, "rax" } end },
  thread_set_reg = { params = { "id", "name", "value", "register", "thread" },
                     good = function() return { 99, "rax", 1 } end },
  thread_step_line = { params = { "id", "policy", "into", "stop", "thread" },
                       good = function() return { 99, {} } end },
  thread_next = { params = { "id", "policy", "into", "stop", "thread" },
                  good = function() return { 99, {} } end },
  thread_finish = { params = { "id", "thread" }, good = function() return { 99 } end },
  thread_advance = { params = { "id", "where", "thread" },
                     good = function() return { 99, "count_to" } end },
  thread_until_line = { params = { "id", "where", "line", "thread" },
                        good = function() return { 99, 10 } end },
  steps_yield = { params = { "on" }, good = function() return { false } end },
  thread_native = { params = { "id", "thread" }, good = function() return { 99 } end },
  thread_backtrace = { params = { "id", "thread" },
                       good = function() return { 99 } end },
  thread_frame = { params = { "id", "i", "thread" },
                   good = function() return { 99, 0 } end },
  thread_xmm = { params = { "id", "i", "thread", "xmm" },
                 good = function() return { 99, 0 } end },
  thread_from_native = { params = { "handle", "thread" }, good = function() return { 99 } end },
  thread_self = {}, clear_breakpoints = {},
  call = { params = { "fn", "where" }, avoid = { ["inside an instruction"] = true },
           good = function() return { "leaf", 1 } end,
           extra = function()
             return { { "nine arguments", { "leaf", 1, 2, 3, 4, 5, 6, 7, 8, 9 } } }
           end },
  call_main = { params = { "fn", "argv", "where" },
                avoid = { ["inside an instruction"] = true },
                good = function() return { "main_like", { "a", "bc" } } end,
                extra = function()
                  return { { "argv with a number", { "main_like", { "a", 1 } } },
                           { "argv with a hole", { "main_like", { "a", nil, "c" } } } }
                end },
  call_abi = { params = { "fn", "plan", "where", "ints", "sse", "stack",
                          "ret", "memory" },
               avoid = { ["inside an instruction"] = true },
               good = function() return { "leaf", { ints = { 1 } } } end,
               extra = function()
                 return {
                   { "seven ints", { "leaf", { ints = { 1, 2, 3, 4, 5, 6, 7 } } } },
                   { "an unknown return class", { "leaf", { ret = "fly" } } },
                   { "an sse word not a string", { "leaf", { sse = { {} } } } },
                   { "a huge memory result", { "leaf", { memory = 1 << 60 } } },
                 }
               end },
  resume = { params = { "opts", "mode", "pc" },
             good = function() return { { mode = "continue" } } end,
             extra = function(ctx)
               local list = { { "unknown mode", { { mode = "fly" } } } }
               for _, bad in ipairs(cases.bad_values(ctx)) do
                 if bad[1] ~= "inside an instruction" then
                   list[#list + 1] = { "pc " .. bad[1], { { mode = "step", pc = bad[2] } } }
                 end
                 list[#list + 1] = { "mode " .. bad[1], { { mode = bad[2] } } }
               end
               return list
             end },
  continue = {}, step = {}, abort = {},
  reg = { params = { "name", "register" }, good = function() return { "rax" } end },
  set_reg = { params = { "name", "value", "register" },
              good = function() return { "rax", 1 } end,
              extra = function()
                return { { "rip to nowhere", { "rip", 0x10 } },
                         { "rsp to nowhere", { "rsp", 0x10 } },
                         { "eflags all ones", { "eflags", -1 } } }
              end },
  regs = {},
  xmm = { params = { "index", "i", "xmm" }, good = function() return { 0 } end,
          extra = function() return { { "index 16", { 16 } } } end },
  breakpoint = { params = { "where", "opts", "condition", "skip", "max" },
                 good = function() return { "count_to", {} } end,
                 extra = function(ctx)
                   local list = {}
                   for _, bad in ipairs(cases.bad_values(ctx)) do
                     for _, field in ipairs { "condition", "skip", "max", "temporary",
                                              "exact_line" } do
                       list[#list + 1] = { field .. " " .. bad[1],
                                           { "count_to", { [field] = bad[2] } } }
                     end
                   end
                   list[#list + 1] = { "twice at one address", { "fib" } }
                   return list
                 end },
  breakpoints = {},
  breakpoint_number = {},
  breakpoint_numbers_from = { params = { "number" },
                              good = function() return { 1 } end },
  watch = { params = { "where", "opts", "kind", "len", "condition", "skip",
                       "thread", "scope_frame", "scope_return" },
            good = function(ctx) return { ctx.scratch, { len = 8 } } end,
            extra = function(ctx)
              local list = {}
              for _, bad in ipairs(cases.bad_values(ctx)) do
                for _, field in ipairs { "kind", "len", "condition", "skip",
                                         "thread" } do
                  list[#list + 1] = { field .. " " .. bad[1],
                                      { ctx.scratch, { [field] = bad[2] } } }
                end
              end
              list[#list + 1] = { "a function's code", { "count_to" } }
              return list
            end },
  watchpoints = {},
  backtrace = {},
  frame = { params = { "i" }, nil_ok = false, good = function() return { 0 } end },
  -- line steps (stopped: at count_to of loops.c)
  step_line = { params = { "policy", "into", "stop" },
                good = function() return { {} } end },
  next = { params = { "policy", "into", "stop" }, good = function() return { {} } end },
  finish = {},
  advance = { params = { "where" }, good = function() return { "count_to" } end },
  until_line = { params = { "where", "line" }, good = function() return { 10 } end },
}
cases.groups.session = session

cases.groups.breakpoint = {
  enable = {}, disable = {}, drop_native_condition = {},
  clear = closing, __gc = closing,
  __tostring = { params = { "bp" } }, -- snare.format_breakpoint
  __index = index_entry { "id", "address", "cleared", "session", "enabled",
                          "hits", "stops", "rejected", "skip", "max", "clear" },
}

cases.groups.library = {
  symbol = { params = { "name" }, good = function() return { "fib" } end },
  symbol_info = { params = { "name" }, good = function() return { "fib" } end },
  symbol_at = { params = { "addr" }, good = function(ctx) return { ctx.fib } end },
  line_at = { params = { "addr" }, good = function(ctx) return { ctx.fib } end },
  addresses = { params = { "location", "file", "line" },
                good = function() return { "loops.c", 30 } end,
                extra = function()
                  return { { "file:line string", { "loops.c:30" } },
                           { "line without code", { "loops.c:1" } },
                           { "unknown file", { "nosuch.c:3" } },
                           { "line 0", { "loops.c", 0 } },
                           { "huge line", { "loops.c", 1 << 40 } },
                           { "colon only", { ":" } } }
                end },
  line_span = { params = { "file", "line" },
                good = function() return { "loops.c", 30 } end,
                extra = function()
                  return { { "line without code", { "loops.c", 1 } },
                           { "past the file's end", { "loops.c", 100000 } },
                           { "unknown file", { "nosuch.c", 3 } },
                           { "line 0", { "loops.c", 0 } },
                           { "huge line", { "loops.c", 1 << 40 } } }
                end },
  function_info = { params = { "name" }, good = function() return { "fib" } end },
  type = { params = { "name" }, good = function() return { "int" } end },
  global = { params = { "name" }, good = function() return { "errno" } end },
  enumerator = { params = { "name" }, good = function() return { "RED" } end },
  function_type = { params = { "addr" },
                    good = function(ctx) return { ctx.fib } end },
  functions = {},
  file_symbols = {},
  debug_file = {},
  marks = {},
  probes = {},
  close = closing, unloaded = closing, __close = closing, __gc = closing,
  __tostring = {},
  __index = index_entry { "closed", "path", "base", "symbol" },
}

cases.groups.frame = with_memory {
  reg = { params = { "name", "register" }, good = function() return { "rdi" } end },
  set_reg = { params = { "name", "value", "register" },
              good = function() return { "rdi", 1 } end,
              extra = function()
                return { { "rip to nowhere", { "rip", 0x10 } } }
              end },
  __tostring = {},
  var = { params = { "name", "opts" }, good = function() return { "i" } end },
  locate = { params = { "name" }, good = function() return { "i" } end },
  scalar = { params = { "name" }, nil_ok = true,
             good = function() return { "i" } end },
  scalar_number = { params = { "name" }, nil_ok = true,
                    good = function() return { "i" } end },
  eval = { params = { "text" }, good = function() return { "i + 1" } end },
  -- (the good program finds every later hit false; each case's
  -- breakpoint is cleared before the next)
  native_condition = { params = { "program" }, good = function()
    return { { { op = "CONSTANT", operand = 0 } } }
  end },
  __index = index_entry { "valid", "pc", "breakpoint", "thread", "regs", "reg" },
}

cases.groups.regs = {
  __index = { params = { "key", "register" }, good = function() return { "rax" } end },
  __newindex = { params = { "key", "value", "register" },
                 good = function() return { "rax", 1 } end },
  __tostring = {},
}

cases.groups.stop = {
  __tostring = { params = { "stop" },
                 good = function(ctx) return { ctx.exit_stop } end },
}

--- Calls fn(self, args...) or fn(args...) when self is `cases.NONE`.
cases.NONE = setmetatable({}, { __name = "no self" })

function cases.call(fn, self, args, n)
  if self == cases.NONE then
    return pcall(fn, unpack(args, 1, n))
  end
  return pcall(fn, self, unpack(args, 1, n))
end

return cases
