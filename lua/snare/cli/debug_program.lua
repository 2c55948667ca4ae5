--- `snare debug [-batch] [-ex CMD] [-x FILE] -- PROGRAM [ARGS]`: the
-- prompt on a whole program.
--
-- The prompt runs inside the program (the LD_PRELOAD agent runs
-- snare.cli.agent_program_debug there), one process per run: the
-- program waits before main until `run` or `start`. This side starts
-- those processes one after the other: when one ends (the program
-- exited or was killed, `run` asked for a fresh one), it says how, as
-- gdb does ("[Inferior 1 (process N) exited with code 03]"), and starts
-- the next, which goes on with the commands not yet run and sets the
-- breakpoints and the value history again (snare.cli.run_carry).
-- `quit`, or the end of the commands, ends it. Each process starts with
-- address space randomisation off unless `set disable-randomization
-- off` said otherwise (snare.cli.randomization).
-- @module snare.cli.debug_program

local debug_state = require "snare.cli.debug_state"
local profile = require "snare.cli.profile"
local randomization = require "snare.cli.randomization"
local shell = require "snare.cli.shell"

local debug_program = {}

local function stdin_is_terminal()
  return os.execute("test -t 0") == true
end

-- The -ex and -x commands as one list of lines, in their order; nil and
-- a message for a file that cannot be read.
local function queued_lines(commands)
  local lines = {}
  for _, c in ipairs(commands) do
    if c.file then
      local f = io.open(c.file)
      if not f then
        return nil, c.file .. ": No such file or directory."
      end
      for line in f:lines() do
        lines[#lines + 1] = line
      end
      f:close()
    else
      lines[#lines + 1] = c.line
    end
  end
  return lines
end

local function write_lines(path, lines)
  local f = assert(io.open(path, "w"))
  for _, line in ipairs(lines) do
    f:write(line, "\n")
  end
  f:close()
end

-- gdb's line for a process that ended by itself.
local Signals = require "snare.cli.program_signals"

-- The Lua interpreter running snare: the first word of its command line
-- (arg's lowest index; luarocks' wrapper puts `-e CODE` after it).
local function interpreter()
  local first = -1
  while arg and arg[first - 1] do
    first = first - 1
  end
  return arg and arg[first] or "lua5.4"
end

-- The shell command of the prompt at starti's held stop
-- (snare.cli.held_start) with its arguments.
local function held_prompt(state_path, queue, next_line, opts, interactive,
                           carry_path)
  local words = { interpreter(),
                  package.searchpath("snare.cli.held_start", package.path),
                  package.path, package.cpath, state_path, queue,
                  tostring(next_line), opts.batch and "1" or "0",
                  interactive and "1" or "0", carry_path }
  for i, word in ipairs(words) do
    words[i] = shell.quote(word)
  end
  return "exec " .. table.concat(words, " ")
end

local function ending_line(state, status)
  if state.ended == "exit" then
    if status == 0 then
      return ("[Inferior 1 (process %d) exited normally]"):format(state.pid)
    end
    return ("[Inferior 1 (process %d) exited with code 0%o]"):format(
      state.pid, status)
  elseif state.ended == "signal" then
    local number = state.signal or status - 128
    local name, description = Signals.describe(number)
    return ("\nProgram terminated with signal %s.\nThe program no longer "
            .. "exists."):format(name and (name .. ", " .. description)
                                 or number)
  end
  return nil
end

--- Runs the prompt on opts.program (a list: the program, its
-- arguments); opts as snare.cli.main's debug options. Returns the exit
-- status: 1 in batch mode when a command failed, else 0.
function debug_program.main(opts)
  local lines, why = queued_lines(opts.commands or {})
  if not lines then
    io.stderr:write(why, "\n")
    return 1
  end
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -m 0700 " .. shell.quote(dir)))
  local queue, state_path = dir .. "/commands", dir .. "/state"
  local carry_path = dir .. "/carried" -- snare.cli.run_carry
  write_lines(queue, lines)
  local script = package.searchpath("snare.cli.agent_program_debug",
                                    package.path)
  local interactive = not opts.batch and stdin_is_terminal()
  local next_line, carried, first = 1, {}, ""
  if (lines[1] or ""):match("^%s*starti%s*$") then
    -- the first process is starti's, held (a static program has no agent
    -- to say so)
    next_line, first = 2, "starti"
  end
  local program = opts.program
  local failed = false
  local status = 0
  while true do
    debug_state.write(carry_path, carried)
    os.remove(state_path)
    local held = first == "starti" and held_prompt(state_path, queue,
      next_line, opts, interactive, carry_path)
    local code = profile.run_agent(script, {
      state_path, queue, tostring(next_line), opts.batch and "1" or "0",
      interactive and "1" or "0", carry_path, held and "held" or first },
      program, false, false, randomization.disabled(carried), held or nil)
    local state = debug_state.read(state_path)
    if state and state.handed then
      -- handed over from starti's stop to no agent (a static program): it
      -- ran to its end alone
      state.ended = code > 128 and "signal" or "exit"
    end
    if not state then
      -- the agent could not run the prompt (it said why on stderr)
      status = code ~= 0 and code or 1
      break
    end
    failed = failed or state.failed
    local line = ending_line(state, code)
    if line then
      io.stdout:write(line, "\n")
    end
    if state.quit then
      break
    end
    next_line, first = state.next, state.rerun or ""
    carried = state.carry or {}
    -- gdb's $_exitcode after an exit, $_exitsignal after a fatal signal
    -- (each forgets the other); a kill or re-run leaves them
    if state.ended == "exit" then
      carried.ending = { _exitcode = code }
    elseif state.ended == "signal" or state.ended == "fault" then
      carried.ending = { _exitsignal = state.signal or code - 128 }
    end
    if state.args then -- `run ARGS`
      program = { program[1], table.unpack(state.args) }
    end
    if opts.batch and next_line > #lines and first == "" then
      break
    end
  end
  os.execute("rm -rf " .. shell.quote(dir))
  io.stdout:flush()
  if status ~= 0 then
    return status
  end
  return failed and opts.batch and 1 or 0
end

return debug_program
