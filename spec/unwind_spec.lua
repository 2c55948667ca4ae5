-- unwind_spec.lua - exit hooks stay invisible to whole programs run with
-- the LD_PRELOAD agent (spec/fixtures/programs/unwind_*): C++ exceptions
-- through hooked frames, backtrace() and libunwind, longjmp, ucontext
-- coroutines and pthread_exit behave as without snare, and the trace and
-- profile stay consistent; and to a C++ library a Lua session loads.
local snare = require "snare"
local helpers = require "spec.helpers"

local program = helpers.program

-- Runs a shell command; returns stdout, stderr, the exit status and the
-- wall time in nanoseconds.
local function run(command)
  local err = os.tmpname()
  local pipe = assert(io.popen("start=$(date +%s%N); " .. command .. " 2>"
                               .. err .. "; status=$?; echo \"exit=$status "
                               .. "wall=$(($(date +%s%N) - start))\""))
  local out = pipe:read("a")
  pipe:close()
  local f = assert(io.open(err))
  local stderr = f:read("a")
  f:close()
  os.remove(err)
  local status, wall = out:match("exit=(%d+) wall=(%d+)\n$")
  return out:gsub("exit=%d+ wall=%d+\n$", ""), stderr, tonumber(status),
         tonumber(wall)
end

-- The records of a `snare trace` report: {us = duration or nil if
-- running, thread, depth, name}.
local function trace_records(text)
  local records = {}
  for duration, thread, indent, name in
      text:gmatch("([%d.]+ us) %[(%d+)%] ( *)([%w_]+)%(%)\n") do
    records[#records + 1] = { us = tonumber(duration:match("[%d.]+")),
                              thread = tonumber(thread),
                              depth = #indent // 2, name = name }
  end
  for _ in text:gmatch("%(running%)") do
    records[#records + 1] = { running = true }
  end
  return records
end

-- "depth name" of every record, in order.
local function shape(records)
  local lines = {}
  for _, r in ipairs(records) do
    lines[#lines + 1] = r.running and "running" or (r.depth .. " " .. r.name)
  end
  return lines
end

-- {name = {calls, inclusive_ms}} from a `snare profile` table.
local function profile_rows(text)
  local rows = {}
  for name, calls, inclusive in
      text:gmatch("\n([%w_]+)%s+(%d+)%s+([%d.]+)%s+[%d.]+") do
    rows[name] = { calls = tonumber(calls), inclusive_ms = tonumber(inclusive) }
  end
  return rows
end

local function calls_of(rows)
  local calls = {}
  for name, row in pairs(rows) do
    calls[name] = row.calls
  end
  return calls
end

-- Profiles the program and checks what every run must give: the
-- program's own output and status, and inclusive times within the run's
-- wall time. Returns the profile rows.
local function profile_as_plain(name)
  local plain_out, _, plain_status = run(program(name))
  local out, err, status, wall = run("bin/snare profile -- " .. program(name))
  assert.equal(plain_out, out)
  assert.equal(plain_status, status)
  assert.not_match("SIG", err)
  local rows = profile_rows(err)
  for fn, row in pairs(rows) do
    assert.is_true(row.inclusive_ms * 1e6 <= wall, fn)
  end
  return rows
end

describe("exit hooks under the agent", function()
  it("let a C++ exception through three hooked frames reach its catch, "
     .. "running their destructors", function()
    local rows = profile_as_plain("unwind_exceptions")
    assert.same({ main = 1, catcher = 3, outer = 3, middle = 3, thrower = 3,
                  leaf = 3 }, calls_of(rows))
    local _, err, status = run("bin/snare trace -- "
                               .. program("unwind_exceptions"))
    assert.equal(0, status)
    local round = { "1 catcher", "2 outer", "3 middle", "4 thrower",
                    "2 leaf" }
    local expected = { "0 main" }
    for _ = 1, 3 do
      table.move(round, 1, #round, #expected + 1, expected)
    end
    assert.same(expected, shape(trace_records(err)))
  end)

  it("let a C++ exception from a function a hooked one jumped to (a tail "
     .. "call) reach its catch", function()
    local rows = profile_as_plain("unwind_tail_call")
    assert.same({ main = 1, catcher = 3, outer = 3, forward = 3,
                  thrower = 3 }, calls_of(rows))
    local _, err, status = run("bin/snare trace -- "
                               .. program("unwind_tail_call"))
    assert.equal(0, status)
    -- thrower runs in forward's frame, which returns when thrower does.
    local round = { "1 catcher", "2 outer", "3 forward", "4 thrower" }
    local expected = { "0 main" }
    for _ = 1, 3 do
      table.move(round, 1, #round, #expected + 1, expected)
    end
    assert.same(expected, shape(trace_records(err)))
  end)

  it("show backtrace() and libunwind the frames they see without hooks",
     function()
    local rows = profile_as_plain("unwind_backtrace")
    assert.same({ main = 1, walk = 6, take_stacks = 2, print_frames = 6 },
                calls_of(rows))
  end)

  it("end the frames a longjmp leaves, before the next call's entry",
     function()
    profile_as_plain("unwind_longjmp")
    local _, err = run("bin/snare trace -- " .. program("unwind_longjmp"))
    local round = { "1 top", "2 bottom", "3 bottom", "4 bottom", "5 bottom",
                    "2 leaf" }
    local expected = { "0 main" }
    for _ = 1, 2 do
      table.move(round, 1, #round, #expected + 1, expected)
    end
    expected[#expected + 1] = "1 leaf"
    assert.same(expected, shape(trace_records(err)))
  end)

  it("keep the frames of each coroutine's stack apart", function()
    local rows = profile_as_plain("unwind_coroutines")
    assert.same({ main = 1, run = 1, co_body = 2, yield_to_main = 6,
                  work = 15 }, calls_of(rows))
    assert.is_true(rows.co_body.inclusive_ms <= rows.run.inclusive_ms)
    local _, err = run("bin/snare trace -- " .. program("unwind_coroutines"))
    local depths = {}
    for _, r in ipairs(trace_records(err)) do
      assert.is_nil(r.running)
      depths[r.name] = depths[r.name] or {}
      depths[r.name][r.depth] = (depths[r.name][r.depth] or 0) + 1
    end
    -- main and run on the main stack; each coroutine's frames from 0.
    assert.same({ [0] = 1 }, depths.main)
    assert.same({ [1] = 1 }, depths.run)
    assert.same({ [0] = 2 }, depths.co_body)
    assert.same({ [1] = 6 }, depths.yield_to_main)
    -- work: once in main, 6 in the coroutines, 8 in run.
    assert.same({ [1] = 7, [2] = 8 }, depths.work)
  end)

  it("end a thread's frames when it calls pthread_exit", function()
    local rows = profile_as_plain("unwind_pthread_exit")
    assert.same({ main = 1, thread_body = 2, quit = 6, leaf = 3 },
                calls_of(rows))
    assert.is_true(rows.quit.inclusive_ms <= rows.thread_body.inclusive_ms)
    local _, err = run("bin/snare trace -- " .. program("unwind_pthread_exit"))
    local records = trace_records(err)
    assert.equal(12, #records)
    for _, r in ipairs(records) do
      assert.is_nil(r.running)
    end
  end)
end)

-- ASan preloaded into the interpreter resolves its __cxa_throw
-- interceptor once, when no libstdc++ is loaded yet, and fails its own
-- check at the first throw of a C++ library opened later: not ours.
local asan = (os.getenv("LD_PRELOAD") or ""):match("libasan") ~= nil

describe("exit hooks in a Lua session", function()
  local s
  before_each(function() s = helpers.session() end)
  after_each(helpers.close_sessions)

  if asan then
    pending("C++ libraries under an interpreter with ASan preloaded")
    return
  end
  for _, level in ipairs { "O0", "O2" } do
    it("let a C++ exception of a loaded library through three hooked "
       .. "frames to its catch at -" .. level, function()
      local _lib <close> = helpers.load("exceptions", level)
      local names = { "catcher", "outer", "middle", "thrower", "leaf" }
      local p = snare.profile(names)
      -- leaf(100) after the catch, and the three destructors ran.
      assert.equal(3101, s:call("catcher", 1).value)
      assert.equal(6003, s:call("catcher", 0).value)
      assert.equal(9101, s:call("catcher", 2).value)
      p:close()
      for _, row in ipairs(p:report()) do
        assert.equal(3, row.calls, row.name)
        assert.is_true(row.self_ns <= row.inclusive_ns + 1, row.name)
      end
      local t <close> = snare.trace(names)
      for n = 1, 3 do
        s:call("catcher", n % 2)
      end
      local records = t:report()
      for _, r in ipairs(records) do
        assert.is_not_nil(r.duration_ns, r.name)
      end
      local round = { "0 catcher", "1 outer", "2 middle", "3 thrower",
                      "1 leaf" }
      -- (the second round returns normally, with the same frames)
      local expected = {}
      for _ = 1, 3 do
        table.move(round, 1, #round, #expected + 1, expected)
      end
      assert.same(expected, shape(records))
    end)
  end
end)
