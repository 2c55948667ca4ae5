-- spec/reliability/fuzz.lua - seeded random sequences of API operations
-- (set, clear, enable, disable, conditions, call, continue, step, read,
-- write, interrupt by timeout, abort, close and reopen of sessions and
-- libraries) against the fixture targets, checking after every operation:
--
--  * the code bytes, read raw from /proc/self/mem (which, unlike
--    snare.read, shows snare's traps), equal the original bytes wherever
--    no enabled breakpoint is, and are 0xCC exactly where one is;
--  * snare.read shows the original bytes everywhere;
--  * every breakpoint object agrees with the model: cleared, enabled,
--    hits, stops, rejected (exact, computed from the calls made);
--  * s:breakpoints() lists exactly the live breakpoints;
--  * every call returns the value the target computes without snare.
--
-- Used by spec/fuzz_spec.lua (short run) and tools/reliability (long
-- run). A failure raises with the seed and the operations so far.
--
--    local fuzz = require "spec.reliability.fuzz"
--    local figures = fuzz.run { seed = 42, steps = 500 }
local snare = require "snare"

local fuzz = {}

local TIMEOUT = 10000 -- ms: a hang becomes an "interrupt" stop, a failure

-- What each target computes, and how often it calls each function: the
-- expected hit count of a breakpoint at a function's entry.
local function fib(n)
  if n < 2 then
    return n, 1
  end
  local a, ca = fib(n - 1)
  local b, cb = fib(n - 2)
  return a + b, 1 + ca + cb
end

local targets = {
  { lib = "loops", name = "fib", arg = function(r) return r(0, 12) end,
    run = function(n)
      local value, calls = fib(n)
      return value, { fib = calls }
    end },
  { lib = "loops", name = "count_to", arg = function(r) return r(0, 50) end,
    run = function(n) return n * (n + 1) // 2, { count_to = 1 } end },
  { lib = "loops", name = "visit_loop", arg = function(r) return r(0, 60) end,
    run = function(n)
      local total = 0
      for i = 0, n - 1 do
        total = total + i % 7
      end
      return total, { visit_loop = 1, visit = n }
    end },
  { lib = "stress", name = "leaf_loop", arg = function(r) return r(0, 60) end,
    run = function(n)
      local total = 0
      for i = 0, n - 1 do
        total = total + 3 * i + 1
      end
      return total, { leaf_loop = 1, leaf = n }
    end },
  { lib = "stress", name = "sled", arg = function(r) return r(-5, 5) end,
    run = function(x) return x + 1, { sled = 1, sled_nop = 1 } end },
}

local functions = { loops = { "fib", "count_to", "visit", "visit_loop" },
                    stress = { "leaf", "leaf_loop", "sled" } }

local NOP_SITES = 40 -- sites picked inside sled's nops

-- Raw bytes of this process's memory, traps included.
local function raw_reader()
  local f = assert(io.open("/proc/self/mem", "rb"))
  f:setvbuf("no") -- a buffered read could reach past the range
  return function(addr, n)
    assert(f:seek("set", addr))
    return assert(f:read(n))
  end, f
end

local Fuzz = {}
Fuzz.__index = Fuzz

-- Loads a library and records its functions' original bytes and sites.
function Fuzz:load(which)
  local lib = assert(snare.load(string.format("%s/O0/lib%s.so", self.fixtures, which)))
  self.libs[which] = lib
  for _, name in ipairs(functions[which]) do
    local info = assert(lib:symbol_info(name))
    self.code[name] = { addr = info.address, bytes = self.raw(info.address, info.size) }
    self.sites[#self.sites + 1] = { addr = info.address, fn = name, lib = which }
  end
  if which == "stress" then
    local code = self.code.sled
    local first = code.bytes:find("\x90\x90\x90\x90", 1, true)
    local nops = assert(lib:symbol("sled_nops"))
    local count = self.session:call(nops).value
    for _ = 1, NOP_SITES do
      local off = first - 1 + self.random(0, count - 1)
      assert(code.bytes:byte(off + 1) == 0x90)
      self.sites[#self.sites + 1] = { addr = code.addr + off, fn = "sled_nop", lib = which }
    end
  end
end

-- SNARE_FUZZ_TRACE=1 also prints each operation as it starts, for a
-- crash that kills the process before the failure report.
local trace = os.getenv("SNARE_FUZZ_TRACE")

function Fuzz:log(fmt, ...)
  local text = string.format(fmt, ...)
  self.ops[#self.ops + 1] = text
  if trace then
    io.stderr:write(string.format("[seed %d step %d] %s\n", self.seed, self.step, text))
  end
end

function Fuzz:fail(fmt, ...)
  local from = math.max(1, #self.ops - 200)
  error(string.format("fuzz FAILED (seed %d, step %d): %s\nlast operations:\n  %s",
                      self.seed, self.step, string.format(fmt, ...),
                      table.concat(self.ops, "\n  ", from)), 0)
end

function Fuzz:check(cond, fmt, ...)
  if not cond then
    self:fail(fmt, ...)
  end
end

-- The model's live breakpoints, in creation order.
function Fuzz:live()
  local list = {}
  for _, m in ipairs(self.bps) do
    if not m.cleared then
      list[#list + 1] = m
    end
  end
  return list
end

function Fuzz:site_free(addr)
  for _, m in ipairs(self:live()) do
    if m.addr == addr then
      return false
    end
  end
  return true
end

-- Every invariant of the header, after each operation. Mid-call (stopped
-- at a breakpoint) the model already holds the counts of the whole call,
-- so only the bytes and the listing are compared.
function Fuzz:check_invariants(mid_call)
  local trap, jump = {}, {}
  for _, m in ipairs(self:live()) do
    if mid_call and m.max > 0 and m.before + (self.seen[m.bp] or 0) >= m.max then
      m.cleared = true -- by its last stop, earlier in this call
    elseif m.enabled then
      trap[m.addr] = true
      jump[m.addr] = m.bp.mechanism == "jump"
    end
  end
  for name, code in pairs(self.code) do
    local raw = self.raw(code.addr, #code.bytes)
    self:check(snare.read(code.addr, #code.bytes) == code.bytes,
               "snare.read of %s does not show the original bytes", name)
    local displacement = 0 -- bytes of a jump's rel32 still to pass
    for i = 1, #code.bytes do
      local addr = code.addr + i - 1
      local want
      if displacement > 0 then
        displacement = displacement - 1
        want = raw:byte(i)
      elseif jump[addr] then -- reached through a jump: jmp rel32 in place
        displacement = 4
        want = 0xE9
      else
        want = trap[addr] and 0xCC or code.bytes:byte(i)
      end
      if raw:byte(i) ~= want then
        self:fail("raw byte at %s+%d (0x%x) is 0x%02x, expected 0x%02x (%s)", name, i - 1,
                  addr, raw:byte(i), want,
                  trap[addr] and "enabled breakpoint" or "original")
      end
    end
  end
  local listed = {}
  for _, bp in ipairs(self.session:breakpoints()) do
    listed[bp] = true
  end
  for _, m in ipairs(self.bps) do
    self:check(m.bp.cleared == m.cleared, "breakpoint %d: cleared is %s, model %s",
               m.bp.id, m.bp.cleared, m.cleared)
    if not m.cleared then
      self:check(listed[m.bp], "breakpoint %d missing from s:breakpoints()", m.bp.id)
      listed[m.bp] = nil
      self:check(m.bp.enabled == m.enabled, "breakpoint %d enabled mismatch", m.bp.id)
      for _, field in ipairs(mid_call and {} or { "hits", "stops", "rejected" }) do
        self:check(m.bp[field] == m[field], "breakpoint %d (%s): %s is %d, expected %d",
                   m.bp.id, m.fn, field, m.bp[field], m[field])
      end
    end
  end
  self:check(next(listed) == nil, "s:breakpoints() lists a breakpoint the model lacks")
end

-- ---- operations ----

function Fuzz:op_set()
  local site = self.sites[self.random(#self.sites)]
  if not self:site_free(site.addr) then
    return
  end
  local kind = ({ "stop", "never", "skip", "max" })[self.random(4)]
  local m = { addr = site.addr, fn = site.fn, lib = site.lib, kind = kind,
              enabled = true, cleared = false, hits = 0, stops = 0, rejected = 0,
              skip = 0, max = 0 }
  local opts = {}
  if kind == "never" then
    opts.condition = function() return false end
  elseif kind == "skip" then
    m.skip = self.random(0, 20)
    opts.skip = m.skip
  elseif kind == "max" then
    m.max = self.random(1, 3)
    opts.max = m.max
  end
  m.bp = self.session:breakpoint(site.addr, opts)
  self.bps[#self.bps + 1] = m
  self:log("set %d at %s 0x%x (%s skip=%d max=%d)", m.bp.id, site.fn, site.addr, kind,
           m.skip, m.max)
end

function Fuzz:pick_live()
  local live = self:live()
  return live[#live > 0 and self.random(#live) or 0]
end

function Fuzz:op_clear()
  local m = self:pick_live()
  if m then
    self:log("clear %d", m.bp.id)
    m.bp:clear()
    m.cleared = true
  end
end

function Fuzz:op_toggle()
  local m = self:pick_live()
  if m then
    m.enabled = not m.enabled
    self:log("%s %d", m.enabled and "enable" or "disable", m.bp.id)
    if m.enabled then m.bp:enable() else m.bp:disable() end
  end
end

-- Applies one reach of each enabled breakpoint's site, as many times as
-- the call reaches it; returns the stops this predicts per breakpoint.
local function predict(m, reaches)
  local stops = 0
  for _ = 1, reaches do
    if m.cleared_by_max then
      break
    end
    m.hits = m.hits + 1
    if m.kind == "never" or m.hits <= m.skip then
      m.rejected = m.rejected + 1
    else
      m.stops = m.stops + 1
      stops = stops + 1
      if m.max > 0 and m.stops >= m.max then
        m.cleared_by_max = true
      end
    end
  end
  return stops
end

-- A call that only continues: every count is exact.
function Fuzz:op_call()
  local t = targets[self.random(#targets)]
  local arg = t.arg(self.random)
  local value, reaches = t.run(arg)
  self:log("call %s(%d)", t.name, arg)
  local expected = {}
  for _, m in ipairs(self:live()) do
    m.before = m.stops
    if m.enabled then
      expected[m] = predict(m, reaches[m.fn] or 0)
    end
  end
  local seen = {}
  self.seen = seen
  local stop = self.session:call(self.libs[t.lib]:symbol(t.name), arg)
  local steps = 0
  while stop.kind == "breakpoint" do
    self:check(stop.breakpoint ~= nil, "stop without breakpoint object: %s", tostring(stop))
    seen[stop.breakpoint] = (seen[stop.breakpoint] or 0) + 1
    if self.random(8) == 1 then -- look around while stopped
      self:check(stop.regs.rip == stop.pc, "rip %x ~= pc %x", stop.regs.rip, stop.pc)
      self:check_invariants(true)
    end
    stop = self.session:continue()
    steps = steps + 1
  end
  self:check(stop.kind == "exit", "%s(%d) ended with %s", t.name, arg, tostring(stop))
  self:check(stop.value == value, "%s(%d) returned %d, expected %d", t.name, arg,
             stop.value, value)
  for m, n in pairs(expected) do
    self:check((seen[m.bp] or 0) == n, "breakpoint %d (%s %s) stopped %d times, expected %d",
               m.bp.id, m.kind, m.fn, seen[m.bp] or 0, n)
    if m.cleared_by_max then
      m.cleared = true
    end
  end
  self.figures.calls = self.figures.calls + 1
  self.figures.stops = self.figures.stops + steps
end

-- Re-reads counts from the objects after a call whose counts the model
-- cannot predict (stepped or aborted), checking they only grew.
function Fuzz:resync()
  for _, m in ipairs(self:live()) do
    if m.bp.cleared then
      m.cleared = true
    else
      for _, field in ipairs { "hits", "stops", "rejected" } do
        local now = m.bp[field]
        self:check(now >= m[field], "breakpoint %d: %s went down", m.bp.id, field)
        m[field] = now
      end
    end
  end
end

-- A call that steps and then continues or aborts.
function Fuzz:op_call_step()
  local t = targets[self.random(#targets)]
  local arg = t.arg(self.random)
  local value = t.run(arg)
  local entry = self.libs[t.lib]:symbol(t.name)
  local finish = self.random(2) == 1 and "abort" or "continue"
  self:log("call %s(%d), step, %s", t.name, arg, finish)
  local stop
  if self:site_free(entry) then
    self.session:breakpoint(entry, { temporary = true })
    stop = self.session:call(entry, arg)
    self:check(stop.kind == "breakpoint", "no stop at the entry of %s: %s", t.name,
               tostring(stop))
  else
    stop = self.session:call(entry, arg)
    self:resync()
    if stop.kind == "exit" then
      return
    end
  end
  for _ = 1, self.random(1, 20) do
    if stop.kind ~= "breakpoint" and stop.kind ~= "step" then
      break
    end
    stop = self.session:step()
  end
  while finish == "continue" and stop.kind ~= "exit" do
    self:check(stop.kind == "breakpoint" or stop.kind == "step",
               "unexpected %s", tostring(stop))
    stop = self.session:continue()
  end
  if finish == "abort" and stop.kind ~= "exit" then
    stop = self.session:abort()
    self:check(stop.kind == "aborted", "abort gave %s", tostring(stop))
  elseif finish == "continue" then
    self:check(stop.value == value, "%s(%d) returned %d after stepping, expected %d",
               t.name, arg, stop.value, value)
  end
  self:resync()
end

function Fuzz:op_interrupt()
  self:log("call spin with a 20 ms timeout, abort")
  self.session.timeout = 20
  local stop = self.session:call(self.spin, 0)
  self.session.timeout = TIMEOUT
  self:check(stop.kind == "interrupt", "spin ended with %s", tostring(stop))
  self:check(self.session:abort().kind == "aborted", "abort after interrupt")
end

function Fuzz:op_memory()
  local data = string.pack("<i8", self.random(-1000000, 1000000))
  self:log("write/read scratch")
  self:check(snare.write(self.scratch, data), "write to scratch failed")
  self:check(self.session:read(self.scratch, 8) == data, "scratch read back differs")
  self:check(snare.read(0x10, 1) == nil, "read at 0x10 succeeded")
end

function Fuzz:op_close_session()
  self:log("close and reopen the session")
  self.session:close()
  for _, m in ipairs(self:live()) do
    m.cleared = true
  end
  self.session = snare.session { timeout = TIMEOUT }
  self.bps = {}
  self.figures.sessions = self.figures.sessions + 1
end

function Fuzz:op_reload()
  self:log("close and reload libstress")
  self.libs.stress:close()
  for _, m in ipairs(self:live()) do
    if m.lib == "stress" then
      m.cleared = true
    end
  end
  self:check_invariants_cleared()
  local kept = {}
  for _, site in ipairs(self.sites) do
    if site.lib ~= "stress" then
      kept[#kept + 1] = site
    end
  end
  self.sites = kept
  for _, name in ipairs(functions.stress) do
    self.code[name] = nil
  end
  self:load("stress")
  self.scratch = self.libs.stress:symbol("scratch")
end

-- After a library close: its breakpoint objects report cleared.
function Fuzz:check_invariants_cleared()
  for _, m in ipairs(self.bps) do
    self:check(m.bp.cleared == m.cleared, "breakpoint %d: cleared %s after library close",
               m.bp.id, m.bp.cleared)
  end
end

local operations = {
  { 30, Fuzz.op_set }, { 10, Fuzz.op_clear }, { 10, Fuzz.op_toggle },
  { 25, Fuzz.op_call }, { 6, Fuzz.op_call_step }, { 2, Fuzz.op_interrupt },
  { 5, Fuzz.op_memory }, { 1, Fuzz.op_close_session }, { 1, Fuzz.op_reload },
}

function Fuzz:pick()
  local total = 0
  for _, o in ipairs(operations) do
    total = total + o[1]
  end
  local r = self.random(total)
  for _, o in ipairs(operations) do
    r = r - o[1]
    if r <= 0 then
      return o[2]
    end
  end
end

--- Runs one seeded sequence. opts: seed (default: $SNARE_FUZZ_SEED or
-- os.time()), steps (default 500), fixtures (default $SNARE_FIXTURES).
-- Returns figures {seed, steps, calls, stops, sessions}; raises on a
-- broken invariant with the seed and the operations.
function fuzz.run(opts)
  opts = opts or {}
  local seed = opts.seed or tonumber(os.getenv("SNARE_FUZZ_SEED") or "") or os.time()
  local rng = math.random
  math.randomseed(seed)
  local raw, rawfile = raw_reader()
  local self = setmetatable({
    seed = seed, step = 0, ops = {}, bps = {}, libs = {}, code = {}, sites = {},
    random = rng, raw = raw,
    fixtures = opts.fixtures or os.getenv("SNARE_FIXTURES") or "build/fixtures",
    figures = { seed = seed, steps = 0, calls = 0, stops = 0, sessions = 1 },
  }, Fuzz)
  self.session = snare.session { timeout = TIMEOUT }
  self:load("loops")
  self:load("stress")
  self.scratch = self.libs.stress:symbol("scratch")
  local faults = assert(snare.load(string.format("%s/O0/libfaults.so", self.fixtures)))
  self.spin = faults:symbol("spin")
  local ok, err = pcall(function()
    self:check_invariants()
    for step = 1, opts.steps or 500 do
      self.step = step
      self:pick()(self)
      self:check_invariants()
      self.figures.steps = step
    end
  end)
  self.session:close()
  for _, lib in pairs(self.libs) do
    lib:close()
  end
  faults:close()
  rawfile:close()
  if not ok then
    error(type(err) == "string" and err:find("^fuzz FAILED") and err or
          string.format("fuzz FAILED (seed %d, step %d): %s\nlast operations:\n  %s",
                        seed, self.step, tostring(err),
                        table.concat(self.ops, "\n  ", math.max(1, #self.ops - 200))), 0)
  end
  return self.figures
end

return fuzz
