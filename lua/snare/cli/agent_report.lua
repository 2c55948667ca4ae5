-- agent_report.lua - the controller script of `snare profile|trace --
-- PROG`, run by the agent inside the program (see snare.agent). Its
-- arguments (agent.args): FORMAT VALUE OUTPUT PROGRESS, OUTPUT "" meaning
-- stderr, PROGRESS "1" when stderr is a terminal.
--
-- With an OUTPUT, the program's stderr stays its own: what snare has to
-- say (what was hooked, lost events, an incomplete report, a fault and
-- its backtrace) goes into the report when people read it (table, text),
-- else into OUTPUT.log beside a report that tools read.
local agent = require "snare.agent"
local collect = require "snare.collect"
local snare = require "snare"

local format, value, output, progress = table.unpack(agent.args)
local run = collect.start(agent.functions(), format)
if run.unhooked and output == "" then -- said now: the report comes last
  io.stderr:write("snare: ", run:summary(), "\n")
end

-- A relative OUTPUT is meant where snare started: the program may have
-- changed directory since.
if output ~= "" and output:sub(1, 1) ~= "/" then
  output = agent.start_dir .. "/" .. output
end

-- The file of the process with this pid, in the image `generation`
-- execs deep: OUTPUT for the program snare started, OUTPUT.PID for a
-- forked child, OUTPUT.PID.N for the image of the Nth exec followed.
local function output_for(pid, generation)
  if output == "" then
    return ""
  end
  if generation > 0 then
    return string.format("%s.%d.%d", output, pid, generation)
  end
  return pid and output .. "." .. pid or output
end

local function own_pid()
  local stat = assert(io.open("/proc/self/stat")) -- "PID (name) ..."
  local pid = stat:read("n")
  stat:close()
  return pid
end

-- Writes the report to `path` ("" for stderr). `how` and `detail` are
-- what agent.run returned: the report of a run a signal ended misses
-- what the program would have done after it; one that ended in a fault
-- too.
local function write_report(path, how, detail)
  local incomplete
  if how == "signal" then
    incomplete = string.format("the program was killed by signal %d", detail)
  elseif how == "fault" then
    incomplete = "the program faulted"
  end
  local file = path ~= "" and assert(io.open(path, "w")) or io.stderr
  run:write(file, value, own_pid())
  if incomplete and run:readable() then
    file:write("(incomplete: ", incomplete, ")\n")
  end
  local notes = run:notes(file ~= io.stderr)
  if incomplete and not run:readable() then
    notes[#notes + 1] = "the report is incomplete: " .. incomplete
  end
  if how == "fault" and detail then
    notes[#notes + 1] = string.format("the program got %s on thread %d at "
                                      .. "0x%x <%s>\n%s", detail.signal
                                      or "a signal", detail.thread, detail.pc,
                                      snare.describe(detail.pc) or "??",
                                      agent.backtrace(detail))
  end
  local said = file
  if file ~= io.stderr and not run:readable() then
    file:close() -- tools read it: the notes go beside it
    said = #notes > 0 and assert(io.open(path .. ".log", "w")) or nil
  end
  for _, note in ipairs(notes) do
    said:write("snare: ", note, "\n")
  end
  if said and said ~= io.stderr then
    said:close()
  end
end

-- A forked child counts its own calls, from the fork on, and writes its
-- report when it ends: to OUTPUT.PID (as uftrace names a child's data),
-- or to stderr.
agent.on_fork(function(pid)
  run:restart()
  return function(how)
    write_report(output_for(pid, 0), how)
  end
end)

-- Ticks drain the trace buffer; some show progress (four a second).
local ticks = 0
local how, fault = agent.run {
  interval = collect.drain_interval,
  tick = function(elapsed)
    run:drain()
    ticks = ticks + 1
    if progress == "1" and ticks % collect.drains_per_progress == 0 then
      collect.progress(run, elapsed)
    end
  end,
}
if progress == "1" then
  collect.progress_done()
end

write_report(output_for(agent.generation > 0 and own_pid() or nil,
                        agent.generation), how, fault)
