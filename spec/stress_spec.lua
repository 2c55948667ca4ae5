-- stress_spec.lua - the Lua API under load: many hits of a Lua condition,
-- a thousand breakpoints at once (ten thousand at scale 10), a thousand
-- sessions. Counts are
-- exact, code comes back byte for byte (read raw from /proc/self/mem),
-- no thread or descriptor is left behind. SNARE_STRESS_SCALE multiplies
-- the counts (tools/reliability); foreign threads are in
-- spec/c/stress_test.c (Lua cannot start them).
local helpers = require "spec.helpers"

local scale = tonumber(os.getenv("SNARE_STRESS_SCALE") or "") or 1

local function raw_read(addr, n)
  local f = assert(io.open("/proc/self/mem", "rb"))
  f:setvbuf("no")
  assert(f:seek("set", addr))
  local bytes = f:read(n)
  f:close()
  return bytes
end

describe("stress through the Lua API", function()
  local stress

  setup(function()
    stress = helpers.load("stress")
  end)

  teardown(function()
    stress:close()
  end)

  after_each(helpers.close_sessions)

  it("counts every hit of a Lua condition", function()
    local n = 200000 * scale
    local s = helpers.session()
    local calls = 0
    local bp = s:breakpoint(stress:symbol("leaf"), {
      condition = function(frame)
        calls = calls + 1
        return frame.regs.rdi < 0 -- never: leaf_loop passes 0..n-1
      end,
    })
    local stop = s:call("leaf_loop", n)
    assert.equals("exit", stop.kind)
    assert.equals(3 * n * (n - 1) // 2 + n, stop.return_value)
    assert.equals(n, calls)
    assert.equals(n, bp.hits)
    assert.equals(n, bp.rejected)
    assert.equals(0, bp.stops)
    print(string.format("FIGURE lua_condition_hits %d", bp.hits))
  end)

  -- 1000 at scale 1: in a function snare knows, each set checks the
  -- instruction boundary by decoding from the function's start, so ten
  -- thousand take seconds (spec/c/stress_test.c sets 10000 in raw code).
  local at_once = math.min(1000 * scale, 10000)

  it("sets, hits, clears many breakpoints and restores the code", function()
    local s = helpers.session()
    local sled = assert(stress:symbol_info("sled"))
    local original = raw_read(sled.address, sled.size)
    local first = original:find(("\x90"):rep(at_once), 1, true)
    assert.is_not_nil(first, "sled has no run of enough nops")
    local start = sled.address + first - 1
    do
      local bps = {}
      for i = 0, at_once - 1 do
        -- traps, whose bytes are checked (jumps: jump_breakpoint_spec)
        bps[#bps + 1] = s:breakpoint(start + i, { mechanism = "trap",
          condition = function() return false end })
      end
      assert.equals(at_once, #s:breakpoints())
      assert.equals(("\xCC"):rep(at_once), raw_read(start, at_once))
      assert.equals(original, s:read(sled.address, sled.size))
      assert.equals(8, s:call("sled", 7).value)
      for i, bp in ipairs(bps) do
        assert(bp.hits == 1, "breakpoint at nop " .. (i - 1) .. " hit " .. bp.hits .. " times")
        bp:clear()
      end
      assert.equals(original, raw_read(sled.address, sled.size))
    end
    print("FIGURE lua_breakpoints_at_once " .. at_once)
  end)

  it("creates and closes 1000 sessions leaving no thread or fd", function()
    -- In a process of its own: threads other specs started (and their
    -- libraries' finalizers) would come and go in this one meanwhile.
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(([[
      local snare = require "snare"
      local stress = assert(snare.load(%q))
      -- Closed at once: a handle left to the collector would be counted
      -- or not depending on when it runs.
      local stat = assert(io.open("/proc/self/stat"))
      local pid = stat:read("n")
      stat:close()
      local function count(dir)
        local p = assert(io.popen("ls /proc/" .. %s .. "/" .. dir .. " | wc -l"))
        local n = p:read("n")
        p:close()
        return n
      end
      -- First use starts what stays: handlers, and a library's debug
      -- information (one descriptor) at its first breakpoint.
      local warm = snare.session()
      warm:breakpoint(stress:symbol("leaf"))
      warm:call(stress:symbol("leaf"), 1)
      warm:close()
      collectgarbage()
      -- A closed session's worker thread ends on its own a moment later:
      -- counts are read once they hold still (before), or until they are
      -- back where they were (after; a leak stays and fails), for 5 s.
      local function nap() os.execute("sleep 0.05") end
      local function still()
        local last, same = {}, 0
        for _ = 1, 100 do
          local now = { count("task"), count("fd") }
          same = (now[1] == last[1] and now[2] == last[2]) and same + 1 or 0
          if same == 2 then return now[1], now[2] end
          last = now
          nap()
        end
        return last[1], last[2]
      end
      local threads, fds = still()
      local n = %d
      for i = 1, n do
        local s = snare.session()
        if i %% 2 == 0 then
          s:breakpoint(stress:symbol("leaf"))
          assert(s:call("leaf", i).kind == "breakpoint") -- closed while stopped
        else
          assert(s:call("leaf", i).value == 3 * i + 1)
        end
        s:close()
      end
      collectgarbage()
      local threads_after, fds_after
      for _ = 1, 100 do
        threads_after, fds_after = count("task"), count("fd")
        if threads_after == threads and fds_after == fds then break end
        nap()
      end
      print(n, threads, threads_after, fds, fds_after)
    ]]):format(helpers.fixture("stress"),
               "pid", 1000 * scale))
    f:close()
    local p = assert(io.popen("lua5.4 " .. script))
    local out = p:read("a")
    local ok = p:close()
    os.remove(script)
    assert.is_true(ok, out)
    local n, threads, threads_after, fds, fds_after =
      out:match("^(%d+)%s+(%d+)%s+(%d+)%s+(%d+)%s+(%d+)")
    assert.is_not_nil(n, out)
    print(string.format("FIGURE lua_sessions_created %s", n))
    print(string.format("FIGURE lua_threads_before_after %s %s", threads, threads_after))
    print(string.format("FIGURE lua_fds_before_after %s %s", fds, fds_after))
    assert.equals(threads, threads_after)
    assert.equals(fds, fds_after)
  end)

end)
