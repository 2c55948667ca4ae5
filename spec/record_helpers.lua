-- record_helpers.lua - what the specs of `snare record` and its readers
-- (spec/record*_spec.lua) share: running bin/snare, the counts of a
-- report and the lines of a replay.
local helpers = require "spec.helpers"

local M = {}

--- Runs `bin/snare ARGS`; returns stdout, stderr and the exit status.
function M.snare(args)
  return helpers.run_apart("bin/snare " .. args)
end

--- {name = calls} of `snare report -f counts` (with `filters`, the
-- readers').
function M.counts(dir, filters)
  local out = M.snare("report -f counts -d " .. dir .. " " .. (filters or ""))
  local found = {}
  for n, name in out:gmatch("(%d+) ([^\n]+)\n") do
    found[name] = tonumber(n)
  end
  return found
end

--- The replay's lines without the duration and tid columns.
function M.replay_lines(dir, filters)
  local out = M.snare("replay -d " .. dir .. " " .. (filters or ""))
  local lines = {}
  for line in out:gmatch("[^\n]+") do
    if not line:match("^#") then
      lines[#lines + 1] = line:match("| (.*)$")
    end
  end
  return lines
end

return M
