--- The `snare` command: picks the subcommand and runs it.
--
--    snare run SCRIPT.lua [ARGS...]   run a Lua script with snare loaded
--    snare debug [LIB.so...]          the interactive debugger prompt
--    snare demo                       the guided tour on the bundled library
--    snare profile|trace ...          reports of a function or a program
--    snare exec SCRIPT.lua -- PROG    a script in control of a program
-- @module snare.cli.main

local main = {}

local usage = [[
usage: snare COMMAND [ARGS...]

  snare run SCRIPT.lua [ARGS...]   run a Lua script with snare loaded
                                   (`arg` as lua sets it, `...` too)
  snare debug [--timeout MS] [-batch] [-ex CMD] [-x FILE] [LIB.so...]
                                   interactive debugger prompt on the
                                   libraries; reads commands from stdin
                                   (`help` at the prompt lists them)
  snare debug [OPTIONS] [--] PROGRAM [ARGS...]
                                   the same prompt on a program (run,
                                   start, kill, info threads, thread N);
                                   without --, PROGRAM alone
  snare profile [OPTIONS] LIB.so:FUNCTION [ARGS...]
  snare profile [OPTIONS] -- PROGRAM [ARGS...]
                                   calls and time per function: of a call
                                   of FUNCTION (ARGS: integers or strings;
                                   report on stdout), or of a whole run
                                   of PROGRAM (report on stderr); the
                                   program's exit status is passed through
  snare trace [OPTIONS] (LIB.so:FUNCTION [ARGS...] | -- PROGRAM [ARGS...])
                                   every call, indented, with durations
      --format F, -f F             table (profile's default), text
                                   (trace's), folded (flame graph stacks),
                                   chrome (Perfetto JSON), svg (flame graph)
      --value calls|ns             folded/svg value: calls with that exact
                                   stack (default) or their self time in ns
      -o FILE                      write the report to FILE (a forked
                                   child's to FILE.PID)
      --follow-exec                the image an exec() starts is
                                   profiled too (its report to
                                   FILE.PID.N after N execs)
  snare record [-d DIR] [--lossless|--drop] [--buffer-size N] -- PROGRAM
                                   every call of PROGRAM's functions, on
                                   every thread, into DIR (snare.data);
                                   -F/-N/-H PATTERN, -D N, -t TIME,
                                   -T FUNC@ACTION, --disable filter while
                                   recording; --libcall: its library
                                   calls too, -l/--nest-libcall: its
                                   libraries' too; -S FILE.lua: a uftrace
                                   Lua script run live, in the program
  snare report [-s KEY,...] [--threads] [--diff DIR2] [FILTERS]
  snare replay [FILTERS]           calls nested, with durations
  snare graph [FILTERS] FUNCTION   the call graph under FUNCTION
  snare script -S FILE.lua [FILTERS]
                                   uftrace's Lua script API over the
                                   recording (uftrace_entry(ctx)...)
  snare dump --chrome|--flame-graph|--svg|--pprof|--speedscope [-o FILE]
                                   read a recording (-d DIR, default
                                   snare.data) as uftrace does; FILTERS:
                                   -F PATTERN, -N PATTERN, -H PATTERN
                                   (names, globs, regexes, NAME@LIB,
                                   @LIB), -D DEPTH,
                                   -t TIME (10us), --tid TID[,TID],
                                   -T FUNC@trace_on|trace_off|finish,
                                   -r START~END (1ms~5ms)
  snare exec SCRIPT.lua [ARGS...] -- PROGRAM [ARGS...]
                                   run PROGRAM with SCRIPT in control
                                   inside it (see the snare.agent module)
  snare attach PID profile|trace [--duration S] [-f F] [-o FILE] [--value V]
  snare attach PID exec SCRIPT.lua [ARGS...]
  snare attach PID debug           the same inside a running process: the
                                   agent is loaded into it, runs there until
                                   --duration ends, Ctrl-C, the script
                                   returns or `detach`, then leaves it as
                                   it was
  snare demo                       the tour of snare on its example library
  snare help                       this text
]]

local shell = require "snare.cli.shell"
local fail = shell.fail

local subcommands = {}

function subcommands.run(argv, first)
  local script = argv[first]
  if not script then
    return fail("run: no script given\n" .. usage)
  end
  return require("snare.cli.run").script(argv, first)
end

-- gdb's options for commands before the prompt: -ex CMD, -x FILE.
local command_options = { ["-ex"] = "line", ["--ex"] = "line",
                          ["-x"] = "file", ["--x"] = "file" }
local quiet_options = { ["-q"] = true, ["-quiet"] = true, ["-nx"] = true,
                        ["-n"] = true }

function subcommands.debug(argv, first)
  local opts = { libraries = {}, commands = {} }
  local i = first
  while argv[i] do
    local a = argv[i]
    if a == "-batch" or a == "--batch" then
      opts.batch = true
    elseif command_options[a] then
      if not argv[i + 1] then
        return fail("debug: " .. a .. " needs an argument")
      end
      opts.commands[#opts.commands + 1] = { [command_options[a]] = argv[i + 1] }
      i = i + 1
    elseif quiet_options[a] then -- snare reads no init file, shows no banner
      opts.quiet = true
    elseif a == "--timeout" then
      opts.timeout = math.tointeger(tonumber(argv[i + 1]))
      if not opts.timeout or opts.timeout < 0 then
        return fail("debug: --timeout needs milliseconds")
      end
      i = i + 1
    elseif a == "--" then -- a program and its arguments
      opts.program = table.move(argv, i + 1, #argv, 1, {})
      break
    elseif a:sub(1, 1) == "-" then
      return fail("debug: unknown option " .. a)
    elseif #opts.libraries == 0 and not a:match("%.so[%.%d]*$")
           and shell.is_executable(a) then -- `snare debug ./prog`, as gdb
      opts.program = { a }
    else
      opts.libraries[#opts.libraries + 1] = a
    end
    i = i + 1
  end
  if opts.program then
    if #opts.program == 0 or #opts.libraries > 0 then -- one or the other
      return fail("debug: give either LIB.so... or -- PROGRAM [ARGS]")
    end
    return require("snare.cli.debug_program").main(opts)
  end
  return require("snare.cli.debugger").main(opts)
end

function subcommands.profile(argv, first)
  return require("snare.cli.profile").main(argv, first, "table")
end

function subcommands.trace(argv, first)
  return require("snare.cli.profile").main(argv, first, "text")
end

function subcommands.record(argv, first)
  return require("snare.cli.record").main(argv, first)
end

for _, name in ipairs { "report", "replay", "graph", "dump", "script" } do
  subcommands[name] = function(argv, first)
    return require("snare.cli.recording")[name](argv, first)
  end
end

function subcommands.exec(argv, first)
  return require("snare.cli.profile").exec(argv, first)
end

function subcommands.attach(argv, first)
  return require("snare.cli.attach").main(argv, first)
end

function subcommands.demo(_, _, root)
  return require("snare.cli.run").demo(root)
end

function subcommands.help()
  io.stdout:write(usage)
  return 0
end

--- Runs the command line `argv` (the launcher's `arg`: argv[1] is the
-- subcommand). `root` is the checkout the launcher runs from, or nil when
-- installed. Returns the exit status.
function main.main(argv, root)
  local name = argv[1]
  if name == "--help" or name == "-h" then
    name = "help"
  end
  local subcommand = subcommands[name]
  if not subcommand then
    io.stderr:write(usage)
    return name and fail("unknown command '" .. name .. "'") or 2
  end
  if os.getenv("SNARE_DEBUG") then
    return subcommand(argv, 2, root)
  end
  -- an error no subcommand caught: its message, not snare's traceback
  local ok, status = pcall(subcommand, argv, 2, root)
  if not ok then
    io.stderr:write("snare: ",
                    require("snare.cli.messages").for_user(tostring(status)),
                    "\n")
    return 1
  end
  return status
end

return main
