-- agent_program_debug.lua - the controller script of `snare debug -- PROG`:
-- the prompt of `snare debug`, run inside the program (the agent), over
-- the program's threads (snare.cli.program_threads) and its session.
--
-- One process is one run of the program. It starts with the program
-- parked before main ("not being run" as gdb says before `run`): the
-- commands queued by snare (-ex, -x) and then the terminal's are read
-- here; `run` or `start` lets the program go. When this process ends
-- (the program exited or was killed, `run` again, `quit`), a state file
-- tells snare (snare.cli.debug_program) how, which queued command comes
-- next and which breakpoints to set again in the next process.
--
-- agent.args: the state file, the queued commands file, the first queued
-- command to run, "1" in batch mode, "1" when stdin is a terminal, the
-- file of what earlier processes carry (snare.cli.run_carry:
-- breakpoints, value history), and "run" or "start" when the previous
-- process ended by a `run` or `start` to do first, "held" when it
-- started at starti's held stop (snare.cli.held_start).
local agent = require "snare.agent"
local core = require "snare.agent.core"
local Debugger = require "snare.cli.debugger"
local Threads = require "snare.cli.program_threads"
local View = require "snare.cli.program_view"
local input = require "snare.cli.input"
local run_carry = require "snare.cli.run_carry"
local state_file = require "snare.cli.debug_state"
local report = require "snare.cli.report"
local image = require "snare.expr.image"

local args = agent.args
local state_path, queue_path = args[1], args[2]
local first, batch, interactive = tonumber(args[3]), args[4] == "1",
  args[5] == "1"
local replay_path, first_command = args[6], args[7]

-- The prompt writes through handles of its own: the program's stdio
-- buffers (and their locks, which a parked thread may hold) are not
-- touched, and its stdout keeps the buffering it chose.
-- (the prompt's modules write to io.stdout and io.stderr: those fields
-- are replaced, with rawset, not the C streams under them)
rawset(io, "stdout", assert(core.stdio(1)))
io.stdout:setvbuf("line")
rawset(io, "stderr", assert(core.stdio(2)))
io.stderr:setvbuf("no")
io.output(io.stdout)
if not interactive then
  -- no read-ahead: what the prompt does not read stays the program's
  rawset(io, "stdin", assert(core.stdio(0)))
  io.stdin:setvbuf("no")
end

-- (closed at once: a handle left open would take a number the program's
-- next open gets without snare)
local stat = assert(io.open("/proc/self/stat"))
local pid = stat:read("n")
stat:close()
core.sigint_interrupts(true) -- Ctrl-C stops the program, as under gdb
core.end_with_snare()
local threads = Threads.new(agent.session, agent.thread, function(line)
  io.stdout:write(line, "\n")
end)
local state = { pid = pid, next = first, failed = false }
local started = false

local function read_lines(path)
  local lines = {}
  local f = path and path ~= "" and io.open(path)
  if f then
    for line in f:lines() do
      lines[#lines + 1] = line
    end
    f:close()
  end
  return lines
end

local queue = read_lines(queue_path)

-- Ends this process as the state says: the state first (snare reads it
-- when the process is gone), then the program is killed unless it is
-- left to end by itself (it exited, or dies of its fault).
local function finish_process(how, dies_by_itself)
  state.ended = how
  state_file.write(state_path, state)
  io.stdout:flush()
  if not dies_by_itself then
    core.kill()
  end
end

-- The program's end, seen as a "quit" event while it ran: snare prints
-- gdb's line from the exit status; this process goes on to its end.
local ended
local function on_end()
  local how, signal = core.ending()
  ended = how or "exit"
  state.signal = signal
  error(setmetatable({ message = "", quiet = true }, {
    __tostring = function() return "" end }), 0)
end

-- The shared objects the program maps (libc...), opened as snare
-- libraries so that frames there have names, lines and variables as in
-- gdb; not snare's own (its agent, Lua and the libraries they use),
-- whose code ranges hide their frames.
local snare = require "snare"
local own = { "snare", "liblua", "lpeg", "libdwarf", "libelf", "libZydis",
              "libZycore", "libunwind", "readline" }
local function is_own(path)
  for _, word in ipairs(own) do
    if path:find(word, 1, true) then
      return true
    end
  end
  return false
end
-- The loader's names of the shared objects (link_map's l_name, as gdb
-- names them: "/lib/x86_64-linux-gnu/libc.so.6" where the mapping says
-- /usr/lib/...), by load bias, from the loader's list (r_debug, which
-- the program's DT_DEBUG entry points at); the dynamic loader's name
-- (PT_INTERP).
local shared_objects = require "snare.cli.shared_objects"
local loader_names = {}
local link_map, interpreter
local r_debug -- the loader's (DT_DEBUG's)
local dbg_shared_objects
local own_objects = {}
do
  -- the program's PT_DYNAMIC, from its ELF header in memory
  local base, dynamic = agent.program.base, nil
  local phoff, count = snare.read_u64(base + 32), snare.read_u16(base + 56)
  local first_load, image_end -- (p_vaddr of the PT_LOADs, file addresses)
  for i = 0, (phoff and count or 0) - 1 do
    local ph = base + phoff + 56 * i
    if snare.read_u32(ph) == 1 then -- PT_LOAD
      local vaddr = snare.read_u64(ph + 16)
      first_load = first_load or vaddr & ~0xfff
      image_end = math.max(image_end or 0, vaddr + snare.read_u64(ph + 40))
    elseif snare.read_u32(ph) == 2 then -- PT_DYNAMIC
      dynamic = base + snare.read_u64(ph + 16)
    elseif snare.read_u32(ph) == 3 then -- PT_INTERP
      interpreter = snare.read_cstring(base + snare.read_u64(ph + 16))
    end
  end
  for at = dynamic or 0, dynamic and dynamic + 16 * 4096 or -1, 16 do
    local tag = snare.read_u64(at)
    if not tag or tag == 0 then
      break
    elseif tag == 21 then -- DT_DEBUG
      r_debug = snare.read_u64(at + 8)
    end
  end
  if first_load then -- shown as the file's addresses until `run`
    local bias = base - first_load
    image.unloaded = { from = first_load + bias, to = image_end + bias,
                       bias = bias, in_section = function(addr)
      return shared_objects.section_at(agent.program.path, addr) ~= nil
    end }
  end
  link_map = shared_objects.link_map(snare, r_debug)
  for _, entry in ipairs(link_map) do
    if entry.name ~= "" then
      loader_names[entry.bias] = entry.name
    end
  end
end

-- The maps' libraries, after the loader's list: the dynamic loader is
-- opened by its PT_INTERP name, the name it has in that list (the
-- mapping says /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2): by
-- another, dlopen maps a second copy, which nothing runs, and the
-- loader's frames had no names.
local libraries, own_code, library_code = { agent.program }, {}, {}
do
  local interpreter_bias
  for _, entry in ipairs(link_map) do
    if entry.name == interpreter then
      interpreter_bias = entry.bias
    end
  end
  local opened, first_mapping = {}, {}
  for line in io.lines("/proc/self/maps") do
    local from, to, perms, offset, path = line:match(
      "^(%x+)%-(%x+)%s+(%S+)%s+(%x+)%s+%S+%s+%S+%s+(/.+%.so[%.%d]*)$")
    if path and not first_mapping[path] and tonumber(offset, 16) == 0 then
      first_mapping[path] = tonumber(from, 16)
    end
    if perms ~= "r-xp" then
      path = nil
    end
    if path and is_own(path) then
      own_code[#own_code + 1] = { tonumber(from, 16), tonumber(to, 16) }
    elseif path then
      if opened[path] == nil then
        local name = first_mapping[path] == interpreter_bias and interpreter
          or path
        opened[path] = snare.load(name) or false
        libraries[#libraries + 1] = opened[path] or nil
      end
      library_code[#library_code + 1] = { tonumber(from, 16),
                                          tonumber(to, 16), path,
                                          opened[path] or nil }
    end
  end
end

-- info sharedlibrary: the program's shared objects as gdb lists them for
-- the program run alone (not those only snare's agent needs), none
-- before `run` (gdb has not loaded them yet).
dbg_shared_objects = function()
  if not started then
    return {}
  end
  local function library(entry)
    for _, lib in ipairs(libraries) do
      if lib.base == entry.bias and lib ~= libraries[1] then
        return lib
      end
    end
    -- one of snare's that the program needs too (libunwind...), opened
    -- here alone
    if is_own(entry.name) then
      own_objects[entry.name] = own_objects[entry.name]
        or snare.load(entry.name) or false
      return own_objects[entry.name] or nil
    end
  end
  local rows = {}
  for _, entry in ipairs(shared_objects.program_objects(
      snare, link_map, is_own, library, interpreter)) do
    local lib = library(entry)
    local from, to = shared_objects.text_range(lib.path)
    local fns = lib:functions()
    rows[#rows + 1] = {
      from = from and from + entry.bias, to = to and to + entry.bias,
      debug = #fns > 0 and lib:line_at(fns[1].address) ~= nil,
      name = entry.name, library = lib,
    }
  end
  return rows
end

-- gdb's frame lines without sources end in " from LIB" in a shared object.
report.library_at = function(addr)
  for _, code in ipairs(library_code) do
    if addr >= code[1] and addr < code[2] then
      return code[4] and loader_names[code[4].base] or code[3]
    end
  end
end
-- glibc says where a thread's kernel id is (for libthread_db): {bits,
-- count, offset} at _thread_db_pthread_tid
for _, lib in ipairs(libraries) do
  local descriptor = lib.path:match("/libc%.so") and
    lib:symbol("_thread_db_pthread_tid")
  if descriptor then
    threads.tid_offset = snare.read_u32(descriptor + 8)
  end
end

local function hidden(pc)
  for _, range in ipairs(own_code) do
    if pc >= range[1] and pc < range[2] then
      return true
    end
  end
  return false
end

local view = View.new(threads, on_end, hidden)
local dbg = assert(Debugger.new { session = view, batch = batch })
dbg.libraries = libraries
dbg.shared_objects = dbg_shared_objects
dbg.stop_instruction = false -- gdb shows a stop's frame line alone
-- (gdb has no process before `run`: nothing to allocate a literal in)
function dbg.target_runs()
  return started
end

-- Before `run` gdb knows the program alone: `break getenv`, a function of
-- libc the program calls through its PLT, is set at the stub ("Breakpoint
-- 1 at 0x1050", `<getenv@plt>` in `info breakpoints`) and moves to libc's
-- function when libc loads. Here libc is loaded already, so the breakpoint
-- is libc's from the start and only shows as the stub until `run`.
-- A function the program has no stub of is not defined for gdb until
-- libc loads: with `set breakpoint pending on` the breakpoint is gdb's
-- pending one ("pending"), with `off` refused ("undefined"); with `auto`
-- (gdb asks, or answers no in batch mode) it is libc's at once.
local pending_mode = "auto"
function dbg.pending_stub(_, where)
  local program = libraries[1]
  if not where:match("^[%a_][%w_]*$") or program:function_info(where)
     or program:symbol(where) then
    return nil
  end
  local stub = program:symbol(where .. "@plt")
  if stub then
    return stub
  end
  return ({ on = "pending", off = "undefined" })[pending_mode]
end
local forms = require "snare.cli.setting_forms"
forms.add(dbg, "set", "^breakpoint%s+pending%s*(%S*)%s*$", function(d, mode)
  if mode ~= "on" and mode ~= "off" and mode ~= "auto" then
    d:fail('"on", "off" or "auto" expected.')
  end
  pending_mode = mode
end)
forms.add(dbg, "show", "^breakpoint%s+pending()%s*$", function(d)
  d:out(("Debugger's behavior regarding pending breakpoints is %s.")
    :format(pending_mode))
end)

-- A fault shows as gdb's "Program received signal"; continuing from it
-- lets the program die of it, as gdb's inferior does.
-- Once the program has had threads, gdb names the thread of a stop
-- ('Thread 2 "prog" hit Breakpoint 1, ...'), after saying it switched
-- to it.
local fault
local Signals = require "snare.cli.program_signals"
local signals = Signals.new(core, threads, batch)
local shown_thread = agent.thread
local show_stop = dbg.show_stop
function dbg.show_stop(self, stop)
  signals:stopped(stop)
  local multi = threads.many and stop.thread and stop.thread ~= 0
  if multi and stop.thread ~= shown_thread then
    self:out(string.format("[Switching to %s]", threads:target(stop.thread)
                                                or "another thread"))
  end
  shown_thread = stop.thread or shown_thread
  local prefix = multi and string.format('Thread %d%s ',
    threads:number(stop.thread),
    threads:name(stop.thread) and (' "' .. threads:name(stop.thread) .. '"')
    or "")
  if stop.kind == "signal" then
    stop.reason = Signals.reason(stop) or stop.signal or ""
    stop.signal = Signals.describe(stop.signal_number) or stop.signal
    if not signals.stopped_at then
      fault = stop -- continuing lets the program die of it
    end
    stop.fault_address = 0
  end
  local out = self.out
  self.out = function(d, line)
    if line:match("^Fault address") then
      return -- gdb does not say where a program's fault pointed
    elseif prefix and line:match("^Program received signal") then
      line = line:gsub("^Program", prefix:sub(1, -2))
    elseif prefix and (line:match("^Breakpoint %d+, ")
                       or line:match("^Temporary breakpoint %d+, ")) then
      line = prefix .. "hit " .. line
    end
    out(d, line)
  end
  show_stop(self, stop)
  self.out = nil
end

local known_objects = {}
for _, lib in ipairs(libraries) do
  known_objects[lib.base] = true
end
require("snare.cli.pending_breakpoints").install(dbg, threads, {
  session = agent.session, snare = snare, r_debug = r_debug,
  libraries = libraries, known = known_objects,
  link_map = function(at) return shared_objects.link_map(snare, at) end,
  mode = function() return pending_mode end, interactive = interactive,
  ask = function(question)
    io.stdout:write(question)
    io.stdout:flush()
    return io.stdin:read("l")
  end })

local continue = View.continue
function View.continue(v)
  if not fault and signals:before_resume() == "default" then
    -- `signal SIGINT` to a program that left it at its default action
    fault = { signal = "SIGINT", reason = "Interrupt", signal_number = 2 }
  end
  if fault then
    io.stdout:write(("\nProgram terminated with signal %s, %s.\n"):format(
      fault.signal, fault.reason), "The program no longer exists.\n")
    core.faulted(fault.signal_number)
    ended = "fault"
    error(setmetatable({ message = "", quiet = true }, {
      __tostring = function() return "" end }), 0)
  end
  return continue(v)
end

local function program_line()
  local f = io.open("/proc/self/cmdline", "rb")
  local words = {}
  for word in f:read("a"):gmatch("[^%z]+") do
    words[#words + 1] = word
  end
  f:close()
  local exe = io.popen("readlink /proc/" .. pid .. "/exe"):read("l")
  words[1] = exe or words[1]
  return table.concat(words, " ")
end

-- Lets the program go from before main and shows its first stop.
local function start_program()
  started = true
  image.unloaded = nil
  dbg.pending_stub = nil
  run_carry.started(dbg)
  if interactive then -- as gdb, which says it on a terminal only
    io.stdout:write("Starting program: ", program_line(), "\n")
  end
  dbg:show_stop(view:continue())
end

-- The program's entry point (AT_ENTRY, its _start), from the auxiliary
-- vector.
local function entry_point()
  local f = assert(io.open("/proc/self/auxv", "rb"))
  local auxv = f:read("a")
  f:close()
  for at = 1, #auxv - 15, 16 do
    local kind, value = string.unpack("<I8I8", auxv, at)
    if kind == 9 then -- AT_ENTRY
      return value
    end
  end
end

-- Once the prompt at starti's held stop (snare.cli.held_start) handed
-- the program over: its state file says which command to run first and
-- which queued one comes next. The agent's constructor runs after the
-- loader, where the held stop was; the program goes on to its entry
-- point (AT_ENTRY), before the C library's start code and the program's
-- constructors, and stops there without a word, so that the command
-- finds it stopped (`continue` goes on from there, `break main` is set
-- in the loaded program).
local function take_held()
  -- (none when the held prompt failed: then the queue goes on where it
  -- started)
  local held = state_file.read(state_path) or {}
  agent.session:breakpoint(entry_point(), { temporary = true,
                                            internal = true })
  started = true
  image.unloaded = nil
  dbg.pending_stub = nil
  run_carry.started(dbg)
  state.next = held.next or state.next
  local stop = view:continue()
  local out = dbg.out
  dbg.out = function() end
  dbg:show_stop(stop)
  dbg.out = out
  if held.handed then
    dbg:execute(held.handed)
  end
end

-- `run` and `start` once the program ran: a fresh process does them.
-- `run ARGS` gives the program new arguments (split at blanks), for this
-- run and the next ones: a process of its own, started with them.
local randomization -- (snare.cli.randomization's setting, made below)
local function run_again(mode)
  return function(d, words)
    if words ~= "" then
      state.args = {}
      for word in words:gmatch("%S+") do
        state.args[#state.args + 1] = word
      end
    end
    -- (starti's process starts held, before the agent: always a new one)
    if started or words ~= "" or randomization.stale() or mode == "starti"
    then
      state.rerun = mode
      return "quit"
    end
    if mode == "start" then
      d:execute("tbreak main")
    end
    start_program()
  end
end

local program_commands = {
  { name = "run", aliases = { "r" }, usage = "run [ARGS]",
    help = "start the program (again, in a new process)",
    run = run_again("run") },
  { name = "start", usage = "start [ARGS]",
    help = "start the program, stopping at main", run = run_again("start") },
  { name = "starti", usage = "starti [ARGS]",
    help = "start the program, stopping at its first instruction (_start)",
    run = run_again("starti") },
  { name = "kill", aliases = { "k" }, usage = "kill",
    help = "kill the program being debugged",
    run = function(d)
      if not started then
        d:fail("The program is not being run.")
      end
      if not interactive then -- gdb asks a terminal only
        d:out("Kill the program being debugged? (y or n) [answered Y; "
              .. "input not from terminal]")
      end
      d:out(("[Inferior 1 (process %d) killed]"):format(pid))
      state.killed = true
      return "quit"
    end },
}
for _, c in ipairs(require("snare.cli.commands.program_threads")) do
  program_commands[#program_commands + 1] = c
end
for _, c in ipairs(signals:commands(function(d)
  d:require_stopped()
  d:show_stop(d.session:continue())
end)) do
  program_commands[#program_commands + 1] = c
end
for i, c in ipairs(program_commands) do
  table.insert(dbg.commands.list, i, c)
end
dbg.program_threads = threads
require("snare.cli.scheduler_locking").install(dbg, threads)

-- Lines that made breakpoints, to set them again in the next process
-- (those whose breakpoints still exist then), and the highest number
-- given to a breakpoint or watchpoint.
local made, highest = {}, 0
local function breakpoint_ids()
  local ids = {}
  for _, bp in ipairs(agent.session:breakpoints()) do
    ids[bp.id] = true
    highest = math.max(highest, bp.id)
  end
  for _, point in ipairs(dbg.pending_points) do
    ids[point.id] = true
    highest = math.max(highest, point.id)
  end
  for _, wp in ipairs(agent.session:watchpoints()) do
    highest = math.max(highest, wp.id)
  end
  return ids
end

local read_line, close_input = input.queue_then_terminal(
  queue, state, batch, require("snare.cli.complete").function_for(dbg))
local function next_line()
  if ended then
    return nil
  end
  return read_line()
end

local execute = dbg.execute
function dbg.execute(self, line)
  local before = breakpoint_ids()
  local quit = execute(self, line)
  for id in pairs(breakpoint_ids()) do
    -- (not a pending breakpoint set meanwhile: no line of this process
    -- makes it again; not carried, unlike gdb's)
    if not before[id] and not dbg.resolved_pending[id] then
      made[#made + 1] = { line = line, id = id }
      break
    end
  end
  return quit
end

-- Breakpoints and values of earlier processes, set again without a word.
local expr = require "snare.expr"
local ending_values
do
  local out = dbg.out
  dbg.out = function() end
  local carried = state_file.read(replay_path) or {}
  signals:restore(carried.signals)
  dbg.restoring = true -- (a pending breakpoint comes back pending)
  -- how the last process ended, as gdb's $_exitcode or $_exitsignal
  ending_values = carried.ending or {}
  local setting = require "snare.cli.randomization"
  randomization = setting.install(dbg, setting.disabled(carried))
  for name, n in pairs(ending_values) do
    dbg.convenience[name] = expr.value.of(expr.types.builtin.int, n)
  end
  run_carry.restore(dbg, agent.session, carried,
                    function(line)
    local count = #made
    dbg:execute(line)
    return #made > count and made[#made].id or nil
  end)
  dbg.restoring = nil
  breakpoint_ids()
  dbg.out = out
end

if first_command == "run" or first_command == "start" then
  dbg:execute(first_command)
elseif first_command == "held" then
  take_held()
end
if ended == nil and not state.rerun then
  dbg:loop { read = next_line }
end
close_input()
state.failed = dbg.failed or false
breakpoint_ids()
state.carry = run_carry.save(dbg, agent.session, made, highest, started)
state.carry.signals = signals:save()
state.carry.ending = ending_values
state.carry.disable_randomization = randomization.disabled
if ended then
  -- an exit goes on (its status is snare's), a fault kills the process
  -- with its signal once this script returns
  finish_process(ended, true)
elseif state.rerun or state.killed then
  finish_process(state.killed and "killed" or "rerun")
else
  state.quit = true -- `quit`, or the end of the commands
  finish_process("quit")
end
