--- `snare profile`, `snare trace` and `snare exec`: reports of a library
-- function's call (run here, on a session) or of a whole program (run
-- with the LD_PRELOAD agent, which runs the controller inside it).
-- @module snare.cli.profile
local collect = require "snare.collect"

local profile = {}

local shell = require "snare.cli.shell"
local fail = shell.fail
local quote = shell.quote

-- True when stderr is a terminal (Lua cannot ask isatty itself).
local function stderr_is_tty()
  return os.execute("test -t 2") == true
end

-- The agent next to the snare.core module in use: a checkout's
-- build/lib/snare_agent.so for build/lua/snare/core.so, or an installed
-- snare/snare_agent.so beside core.so. $SNARE_AGENT overrides both.
local function find_agent()
  local explicit = os.getenv("SNARE_AGENT")
  if explicit then
    return explicit
  end
  local core = package.searchpath("snare.core", package.cpath)
  local dir = core and core:match("^(.*)/[^/]*$")
  if not dir then
    return nil
  end
  return shell.first_file { dir .. "/snare_agent.so",
                            dir .. "/../../lib/snare_agent.so" }
end

profile.find_agent = find_agent

--- The helper program `name` (snare_attach, snare_start) beside the
-- agent at `agent`: a checkout's build/bin/NAME for
-- build/lib/snare_agent.so, an installed snare/NAME beside
-- snare/snare_agent.so (the rockspec's `make install`); or nil.
function profile.find_helper(agent, name)
  local dir = agent:match("^(.*)/[^/]*$") or "."
  return shell.first_file { dir .. "/../bin/" .. name, dir .. "/" .. name }
end

-- The file `program` runs as: itself when it names a path, else the
-- first match on $PATH (as the shell finds it); nil if none.
local function program_file(program)
  if program:find("/") then
    return program
  end
  local pipe = io.popen("command -v " .. quote(program) .. " 2>/dev/null")
  local found = pipe and pipe:read("l")
  if pipe then
    pipe:close()
  end
  return found
end

-- True when the program is setuid or setgid: the dynamic loader ignores
-- LD_PRELOAD for it (the agent could not get in), and snare would not
-- instrument it if it could.
local function is_set_id(program)
  local file = program_file(program)
  return file ~= nil and os.execute("test -u " .. quote(file) .. " -o -g "
                                    .. quote(file)) == true
end

local function set_id_message(program)
  return program .. " is setuid or setgid: the dynamic loader ignores "
         .. "LD_PRELOAD for it and snare does not instrument it; it runs "
         .. "untouched, with no report"
end

-- Runs the command alone, as the shell would; returns its status.
local function run_plain(command)
  local words = { "exec" }
  for _, word in ipairs(command) do
    words[#words + 1] = quote(word)
  end
  return shell.run(words)
end

-- Whether this system lets a process turn address space randomisation
-- off for the programs it starts (setarch -R, util-linux's: the
-- personality flag ADDR_NO_RANDOMIZE, which exec keeps): true, or false
-- and gdb's warning when it does not (a container's seccomp may refuse
-- personality(2)). Asked once.
local no_randomization
local function can_disable_randomization()
  if no_randomization == nil then
    local pipe = io.popen("setarch -R true 2>&1")
    local said = pipe:read("a")
    no_randomization = { pipe:close() == true }
    if not no_randomization[1] then
      no_randomization[2] = "warning: Error disabling address space "
        .. "randomization: " .. (said:match(":%s*([^:\n]+)\n?$") or said)
    end
  end
  return table.unpack(no_randomization)
end

--- Runs `command` (a list: the program and its arguments) with the agent
-- running `script` with `args` inside it. Returns the program's exit
-- status, 128 + N when a signal N killed it, as a shell reports it.
-- `at_main`: the program's main thread meets the script at main, after
-- the program's initialisers (snare exec), not before them.
-- `fixed_addresses`: the program runs with address space randomisation
-- off, as under gdb (its argv, environment, stdio and status are the
-- same: setarch execs what it is given).
-- `held_prompt`: a shell command run while the program is held at its
-- first instruction, through the helper build/bin/snare_start
-- (os/linux/start/, which says what the command may ask), before the
-- agent is loaded: `starti`'s stop.
function profile.run_agent(script, args, command, follow_exec, at_main,
                           fixed_addresses, held_prompt)
  local agent = find_agent()
  if not agent then
    return fail("the agent (snare_agent.so) is not built or not installed")
  end
  if is_set_id(command[1]) then
    io.stderr:write("snare: ", set_id_message(command[1]), "\n")
    return run_plain(command)
  end
  local preload = os.getenv("LD_PRELOAD") or ""
  local env = {
    SNARE_AGENT_SCRIPT = script,
    SNARE_AGENT_ARGS = table.concat(args, "\x1f"),
    SNARE_AGENT_PATH = package.path,
    SNARE_AGENT_CPATH = package.cpath,
    SNARE_AGENT_PRELOAD = preload,
    SNARE_AGENT_FOLLOW = follow_exec and "1" or "0",
    SNARE_AGENT_AT_MAIN = at_main and "1" or "0",
    -- Libraries preloaded already (a sanitizer runtime) go first.
    LD_PRELOAD = preload ~= "" and preload .. ":" .. agent or agent,
  }
  local fixed = fixed_addresses
  if fixed_addresses then
    local warning
    fixed, warning = can_disable_randomization()
    if warning then
      io.stderr:write(warning, "\n")
    end
  end
  local words = { "exec", "env" }
  local setting = quote
  if held_prompt then
    local helper = profile.find_helper(agent, "snare_start")
    if not helper then
      return fail("the start helper (snare_start) is not built")
    end
    words = { "exec", quote(helper), fixed and "-R" or nil }
    setting = function(text) return "-e " .. quote(text) end
  elseif fixed then
    words = { "exec", "setarch", "-R", "env" }
  end
  for _, name in ipairs { "SNARE_AGENT_SCRIPT", "SNARE_AGENT_ARGS",
                          "SNARE_AGENT_PATH", "SNARE_AGENT_CPATH",
                          "SNARE_AGENT_PRELOAD", "SNARE_AGENT_FOLLOW",
                          "SNARE_AGENT_AT_MAIN", "LD_PRELOAD" } do
    words[#words + 1] = setting(name .. "=" .. env[name])
  end
  if held_prompt then
    words[#words + 1] = "-p " .. quote(held_prompt) .. " --"
  end
  for _, word in ipairs(command) do
    words[#words + 1] = quote(word)
  end
  return shell.run(words)
end

-- Parses [options] then the target: `LIB.so:func args...` or `-- PROG
-- args...`. Returns opts, or nil, message.
--- Takes one of the report's options (-f/--format, -o/--output, --value)
-- with its operand into opts. Returns true if `option` is one, false if
-- not, or nil and a message for a bad operand.
function profile.report_option(opts, option, operand)
  if option == "--format" or option == "-f" then
    if not collect.formats[operand or ""] then
      return nil, "--format needs one of table, text, folded, chrome, svg, "
                  .. "counts"
    end
    opts.format = operand
  elseif option == "-o" or option == "--output" then
    if not operand then
      return nil, "-o needs a file"
    end
    opts.output = operand
  elseif option == "--value" then
    if operand ~= "calls" and operand ~= "ns" then
      return nil, "--value needs calls or ns"
    end
    opts.value = operand
  else
    return false
  end
  return true
end

local function parse(argv, first, default_format)
  local opts = { format = default_format, value = "calls" }
  local i = first
  while argv[i] and argv[i] ~= "--" and argv[i]:sub(1, 1) == "-" do
    local option, operand = argv[i], argv[i + 1]
    local taken, why = profile.report_option(opts, option, operand)
    if taken == nil then
      return nil, why
    elseif taken then
      i = i + 2
    elseif option == "--follow-exec" then
      opts.follow_exec = true
      i = i + 1
    else
      return nil, "unknown option " .. option
    end
  end
  local rest = {}
  for j = argv[i] == "--" and i + 1 or i, #argv do
    rest[#rest + 1] = argv[j]
  end
  if #rest == 0 then
    return nil, "nothing to run: give LIB.so:function [ARGS] or -- PROGRAM"
  end
  opts.program = argv[i] == "--"
  opts.command = rest
  return opts
end

-- A command-line argument as a call argument: integers (decimal or 0x)
-- as integers, anything else as a string.
local function call_argument(word)
  return math.tointeger(tonumber(word)) or word
end

-- `LIB.so:func args`: hooks the library, calls func on a session here.
local function profile_library(opts, progress)
  local snare = require "snare"
  local target = opts.command[1]
  local path, name = target:match("^(.+):([%w_.$@]+)$")
  if not path then
    return fail("expected LIB.so:function, got " .. target)
  end
  if not path:find("/") then
    path = "./" .. path
  end
  local lib, err = snare.load(path)
  if not lib then
    return fail(err)
  end
  if not lib:symbol(name) then
    return fail(("no function '%s' in %s"):format(name, path))
  end
  local run = collect.start(collect.functions(lib), opts.format)
  if run.unhooked then -- said now: the report comes only at the end
    io.stderr:write("snare: ", run:summary(), "\n")
  end
  local args = {}
  for i = 2, #opts.command do
    args[#args + 1] = call_argument(opts.command[i])
  end
  -- The call is interrupted now and then to drain the trace buffer and
  -- show progress (four times a second).
  local interval = (progress or opts.format ~= "table")
                   and math.floor(collect.drain_interval * 1000) or 0
  local s <close> = snare.session { timeout = interval }
  local started, ticks = os.time(), 0
  local stop = s:call(lib:symbol(name), table.unpack(args))
  while stop.kind == "interrupt" do
    run:drain()
    ticks = ticks + 1
    if progress and ticks % collect.drains_per_progress == 0 then
      collect.progress(run, os.time() - started)
    end
    stop = s:continue()
  end
  if progress then
    collect.progress_done()
  end
  if stop.kind ~= "exit" then
    io.stderr:write("snare: ", name, " stopped: ", tostring(stop), "\n")
  else
    io.stderr:write(("snare: %s returned %d\n"):format(name, stop.value))
  end
  local file = opts.output and assert(io.open(opts.output, "w")) or io.stdout
  run:write(file, opts.value, 0)
  if file ~= io.stdout then
    file:close()
  end
  for _, note in ipairs(run:notes(file ~= io.stdout)) do
    io.stderr:write("snare: ", note, "\n")
  end
  return stop.kind == "exit" and 0 or 1
end

-- Why the agent cannot enter the program, or nil: a statically linked
-- one never runs the dynamic loader, which preloads it, and the loader
-- ignores LD_PRELOAD for a setuid or setgid one. Such a program still
-- runs, as it would without snare.
local function not_enterable(program)
  local file = program_file(program)
  local core = require "snare.core"
  if is_set_id(program) then
    return set_id_message(program)
  elseif file and core.program_is_dynamic(file) == false then
    return program .. " is statically linked: the agent cannot be "
           .. "preloaded into it, nothing is hooked"
  end
  return nil
end

-- Says `message` where the report would go (the file given with -o,
-- else stderr), so that the program's stderr stays its own.
local function say_instead_of_report(opts, message)
  local file = opts.output and assert(io.open(opts.output, "w")) or io.stderr
  file:write("snare: ", message, "\n")
  if file ~= io.stderr then
    file:close()
  end
end

-- Whether the report can be written to `path`, checked before the
-- program runs (it must not run for nothing): true, or nil and why. A
-- file made for the check is removed again.
local function writable(path)
  local existed = io.open(path, "r")
  if existed then
    existed:close()
  end
  local file, err = io.open(path, "a")
  if not file then
    return nil, err
  end
  file:close()
  if not existed then
    os.remove(path)
  end
  return true
end

--- `snare profile|trace [options] (LIB.so:func ARGS | -- PROG ARGS)`.
-- `default_format` is "table" for profile, "text" for trace.
function profile.main(argv, first, default_format)
  local opts, err = parse(argv, first, default_format)
  if not opts then
    return fail(err)
  end
  local progress = stderr_is_tty()
  if not opts.program then
    return profile_library(opts, progress)
  end
  if opts.output then
    local ok, why = writable(opts.output)
    if not ok then
      return fail("cannot write the report: " .. why)
    end
  end
  local why_not = not_enterable(opts.command[1])
  if why_not then
    say_instead_of_report(opts, why_not)
    if is_set_id(opts.command[1]) then
      return run_plain(opts.command)
    end
  end
  local script = package.searchpath("snare.cli.agent_report", package.path)
  return profile.run_agent(script, { opts.format, opts.value,
                                     opts.output or "",
                                     progress and "1" or "0" }, opts.command,
                           opts.follow_exec)
end

--- `snare exec SCRIPT.lua [ARGS] -- PROG ARGS`.
function profile.exec(argv, first)
  local script = argv[first]
  local args, command, seen = {}, {}, false
  for i = first + 1, #argv do
    if seen then
      command[#command + 1] = argv[i]
    elseif argv[i] == "--" then
      seen = true
    else
      args[#args + 1] = argv[i]
    end
  end
  if not script or #command == 0 then
    return fail("usage: snare exec SCRIPT.lua [ARGS] -- PROGRAM [ARGS]")
  end
  local f = io.open(script)
  if not f then
    return fail("cannot open " .. script)
  end
  f:close()
  return profile.run_agent(script, args, command, false, true)
end

return profile
