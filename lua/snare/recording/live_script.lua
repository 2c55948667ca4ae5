--- uftrace's script API live, as `uftrace record -S` runs it: the
-- script of `snare record -S FILE.lua` runs inside the recorded program
-- (the agent), its `uftrace_entry(ctx)` and `uftrace_exit(ctx)` called
-- on the thread that made the call, at each entry and exit the
-- record-time filters record, `uftrace_begin` before the program starts
-- and `uftrace_end` once it ended. Its `print` writes to the program's
-- stdout, as the script's does under uftrace (the same stdio buffer).
--
-- ctx as under `uftrace record -S`: `tid` (the OS's), `depth` (among the
-- recorded calls), `timestamp` (ns, CLOCK_MONOTONIC), `address`, `name`;
-- exits add `duration` (ns); `args` and `retval` when -A, -R or
-- --auto-args ask for them (integers, pointers and strings: the argument
-- registers at entry and rax at exit; floating-point values and stack
-- arguments are 0, being in registers a callback does not see).
-- `uftrace_begin`'s ctx: `record` true, `version`, `cmds` (the program
-- and its arguments).
-- @module snare.recording.live_script
local script = require "snare.recording.script"
local snare = require "snare"

local live = {}

-- The OS thread id of the calling thread.
local function os_tid()
  local file = io.open("/proc/thread-self/stat")
  local text = file and file:read("l") or ""
  if file then
    file:close()
  end
  return math.tointeger(tonumber(text:match("^%d+"))) or 0
end

-- A value of a plan's `format` from register `raw`, as the recording's
-- reader gives it (strings read now, as the recording reads them).
local function value(raw, format)
  local text
  if format == "s" and raw ~= 0 then
    text = snare.read_cstring(raw, 64)
  end
  return script.value(raw, format, text)
end

--- Starts the script at `path` (the program's command `command`);
-- returns an object with `callback(fn, plan)` (the hook callback of
-- function `fn` = {name=, address=}, `plan` its argspec plan or nil),
-- `finish()` (uftrace_end), or nil and the error.
function live.start(path, command)
  local call, wants = script.load(path, io.stdout)
  if not call then
    return nil, wants
  end
  local ok, err = pcall(call, "uftrace_begin",
                        { record = true, version = "snare", cmds = command })
  if not ok then
    return nil, err
  end
  -- Per snare thread id: its OS tid and the entry times of its open
  -- recorded calls.
  local tids, starts = {}, {}
  local self = {}
  function self.callback(fn, plan)
    if not wants(fn.name) then
      return nil
    end
    -- Called only for what the recording keeps (recorded_only).
    return function(c)
      local thread = c.thread
      local tid = tids[thread]
      if not tid then
        tid = os_tid()
        tids[thread], starts[thread] = tid, {}
      end
      local stack = starts[thread]
      local ctx = { tid = tid, depth = c.record_depth,
                    timestamp = c.timestamp_ns, address = fn.address,
                    name = fn.name }
      if c.exit then
        local started = stack[#stack]
        stack[#stack] = nil
        ctx.timestamp = started or c.timestamp_ns
        ctx.duration = c.timestamp_ns - ctx.timestamp
        if plan and plan.retval then
          ctx.retval = value(c.return_value, plan.retval)
        end
        call("uftrace_exit", ctx)
      else
        stack[#stack + 1] = c.timestamp_ns
        if plan and next(plan.args) then
          local args = {}
          for i = 1, #plan.args do
            local source = plan.sources[i]
            args[i] = source and source <= 6
                      and value(c.args[source], plan.args[i]) or 0
          end
          ctx.args = args
        end
        call("uftrace_entry", ctx)
      end
    end
  end
  function self.finish()
    return pcall(call, "uftrace_end")
  end
  return self
end

return live
