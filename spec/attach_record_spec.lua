-- snare attach PID record: a recording of a window of a running program,
-- read by snare report and replay; its call counts against `snare record
-- -- PROG` of the same workload (mismatches printed).
local helpers = require "spec.helpers"

local ah = require("spec.attach_helpers").new {
  finally = function(fn) finally(fn) end, -- busted's, inside a test
}
local sh, read = ah.sh, ah.read
local start, send, output, finish = ah.start, ah.send, ah.output, ah.finish
local attach_background = ah.attach_background

local function run(command)
  local pipe = assert(io.popen(command .. " 2>&1"))
  local out = pipe:read("a")
  local ok = pipe:close()
  return out, ok
end

-- Calls per function in `snare report`'s table.
local function counts(dir)
  local out, ok = run("bin/snare report -d " .. dir)
  assert(ok, out)
  local list = {}
  for line in out:gmatch("[^\n]+") do
    local calls, name = line:match("^%s*[%d.]+ %a+%s+[%d.]+ %a+%s+(%d+)%s.*%s(%S+)$")
    if calls then
      list[name] = math.tointeger(tonumber(calls))
    end
  end
  return list
end

describe("snare attach PID record", function()
  it("records a window of a running program: the calls a snare record of "
     .. "the same workload has, and the program runs on unchanged", function()
    local dir = os.tmpname()
    os.remove(dir)
    finally(function() sh("rm -rf " .. dir .. " " .. dir .. ".whole") end)
    local t = start("attach_counter")
    local fds = run("ls /proc/" .. t.pid .. "/fd")
    local window = attach_background(t, "record --duration 3 -d " .. dir)
    assert.truthy(window.attached())
    send(t, "5")
    send(t, "7")
    local _, errors, status = window.wait()
    assert.are.equal(0, status, errors)
    -- the recording's files are closed in the program
    assert.are.equal(fds, run("ls /proc/" .. t.pid .. "/fd"))
    send(t, "3") -- after the window
    assert.are.equal(0, finish(t))
    assert.are.equal("ready\nticked 5 total 5\nticked 7 total 12\n"
                     .. "ticked 3 total 15\nbye total 15\n", output(t))
    assert.truthy(read(dir .. "/info.txt"):find("ended detach", 1, true))
    local replay = run("bin/snare replay -d " .. dir)
    local _, ticks = replay:gsub("| tick%(%);", "")
    assert.are.equal(12, ticks, replay)

    -- the same workload under snare record from the start
    local input = os.tmpname()
    assert(sh("printf '5\\n7\\n' > " .. input))
    local out = run("bin/snare record -d " .. dir .. ".whole -- "
                    .. helpers.program("attach_counter") .. " < " .. input)
    os.remove(input)
    assert.truthy(out:find("ticked 7 total 12", 1, true), out)
    local attached, whole = counts(dir), counts(dir .. ".whole")
    -- main was entered before the window opened: no entry to record
    local compared, wrong = 0, 0
    for name, calls in pairs(attached) do
      compared = compared + 1
      if whole[name] ~= calls then
        wrong = wrong + 1
      end
    end
    io.stderr:write(("attach record vs record -- PROG (attach_counter): %d "
                     .. "functions, %d count mismatches\n")
                    :format(compared, wrong))
    assert.are.equal(12, attached.tick)
    assert.are.equal(0, wrong)
    assert.is_nil(attached.main)
    assert.are.equal(1, whole.main)
  end)
end)
