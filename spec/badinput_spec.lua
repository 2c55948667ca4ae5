-- badinput_spec.lua - every function of the Lua API, enumerated from the
-- module tables and the objects' metatables, gets wrong types, nil,
-- out-of-range numbers, unmapped, misaligned and mid-instruction
-- addresses, unknown symbols, closed and cleared objects, double closes.
-- Each call must raise a clear error (naming the function, an argument
-- or the snare type) or return nil, message; afterwards the session
-- still computes fib(10). Every error text also keeps the rules of
-- `misleads` below (addresses as 0x-hex, no path into snare's own
-- sources, no position of an argument that was not passed). The
-- coverage table is spec/reliability/badinput_cases.lua; a function
-- missing from it fails. Then every kind of callback
-- (spec/reliability/callback_cases.lua) tries every entry point a
-- callback must not use, and runs forever under the session's timeout.
local snare = require "snare"
local helpers = require "spec.helpers"
local cases = require "spec.reliability.badinput_cases"
local callbacks = require "spec.reliability.callback_cases"

local TIMEOUT = 5000 -- ms; a runaway call becomes an "interrupt" stop

-- name -> function of each group, read from the live tables.
local function enumerate(ctx)
  local groups = { module = {} }
  for _, tbl in ipairs { snare, snare.core } do
    for name, value in pairs(tbl) do
      if type(value) == "function" then
        groups.module[name] = value
      end
    end
  end
  local types = { session = "snare.session", breakpoint = "snare.breakpoint",
                  library = "snare.library", frame = "snare.frame",
                  regs = "snare.regs", stop = "snare.stop" }
  for group, tname in pairs(types) do
    local mt = snare.core.metatable(tname)
    local fns = {}
    for name, value in pairs(mt) do
      if type(value) == "function" and name:match("^__") then
        fns[name] = value
      end
    end
    local methods = mt.__index
    if type(methods) == "function" then
      methods = select(2, debug.getupvalue(methods, 1))
    end
    for name, value in pairs(type(methods) == "table" and methods or {}) do
      fns[name] = value
    end
    groups[group] = fns
  end
  -- The live objects' metatables must be the registered ones.
  assert(debug.getmetatable(ctx.s) == snare.core.metatable("snare.session"))
  assert(debug.getmetatable(ctx.loops) == snare.core.metatable("snare.library"))
  return groups
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do
    keys[#keys + 1] = k
  end
  table.sort(keys)
  return keys
end

-- A clear error names the function, one of its arguments or the snare
-- object ("snare.session: closed"), or is Lua's "bad argument" (which
-- names both where the call site has a name). Whole words only, and not
-- in the "file.lua:12:" position prefix. Words are Lua patterns (the API's
-- names have no magic characters).
local function is_clear(msg, name, entry)
  if type(msg) ~= "string" or msg == "" then
    return false
  end
  msg = msg:gsub("^[^%s:]+%.lua:%d+: ", "")
  local words = { "bad argument", "snare%.%a+", name, "unknown symbol",
                  "unknown register", "bad option" }
  for _, p in ipairs(entry.params or {}) do
    words[#words + 1] = p
  end
  for _, word in ipairs(words) do
    if msg:find("%f[%w_]" .. word .. "%f[^%w_]") then
      return true
    end
  end
  return false
end

-- Parameters that take an address (a number there is one).
local address_params = { addr = true, address = true, where = true, fn = true,
                         ["function"] = true, target = true, targets = true,
                         pc = true, start = true }

-- The arguments of a case that are addresses of the fixtures (the set
-- `known`) passed as addresses, which a message must show as 0x-hex,
-- never in decimal. (A number given as a name comes back as the user
-- wrote it: "unknown symbol '4096'".)
local function addresses_of(args, n, params, known)
  local list = {}
  for i = 1, n do
    if known[args[i]] and address_params[params[i] or "addr"] then
      list[#list + 1] = args[i]
    end
  end
  return list
end

-- Why an error text misleads, or nil: a number printed in decimal after
-- "0x" (or an address in decimal), hex digits in upper case, a
-- file:line inside snare's own Lua sources, or "bad argument #n" for an
-- argument that was not passed. `nargs` counts the arguments given,
-- self included; `params` names the arguments; `known` is the set of the
-- fixtures' addresses.
local function misleads(msg, args, n, nargs, params, known)
  local head = msg:match("^(.-)\nstack traceback:") or msg
  if head:find("snare%.lua:%d+:") or head:find("/snare/[%w_/]+%.lua:%d+:") then
    return "names a line of snare's own sources"
  end
  if head:find("0x%x*[A-F]") then
    return "an address in upper-case hex"
  end
  for i = 1, n do
    local v = args[i]
    if math.type(v) == "integer" and v >= 10 and
        head:find("0x" .. v .. "%f[^%x]") then
      return "the decimal " .. v .. " printed after 0x"
    end
  end
  for _, addr in ipairs(addresses_of(args, n, params, known)) do
    if head:find("%f[%d]" .. tostring(addr):gsub("%-", "%%-") .. "%f[%D]") then
      return "the address " .. snare.hex(addr) .. " printed in decimal"
    end
  end
  local pos = tonumber(head:match("bad argument #(%d+)"))
  if pos and (pos < 1 or pos > math.max(nargs, 1)) then
    return ("blames argument #%d of %d given"):format(pos, nargs)
  end
  return nil
end

describe("bad input to the Lua API", function()
  local ctx = {}
  local mt = {}
  local tried, failures = 0, {}
  local errors, clear_errors, usable = 0, 0, 0

  setup(function()
    ctx.loops = helpers.load("loops")
    ctx.loops_path = helpers.fixture("loops")
    ctx.faults = helpers.load("faults")
    ctx.stress = helpers.load("stress")
    ctx.fib = ctx.loops:symbol("fib")
    ctx.scratch = ctx.stress:symbol("scratch")
    ctx.s = snare.session { timeout = TIMEOUT }
    ctx.other_session = snare.session { timeout = TIMEOUT }
    ctx.closed_session = snare.session()
    ctx.closed_session:close()
    ctx.closed_lib = helpers.load("strings", "O2")
    ctx.closed_lib:close()
    ctx.cleared_bp = ctx.s:breakpoint("fib")
    ctx.cleared_bp:clear()
    ctx.live_bp = ctx.other_session:breakpoint("sled")
    for k = 1, 15 do -- the first address inside fib's instructions
      local ok, err = pcall(ctx.s.breakpoint, ctx.s, ctx.fib + k)
      if ok then
        err:clear()
      elseif err:find("inside an instruction", 1, true) then
        ctx.inside = ctx.fib + k
        break
      end
    end
    assert(ctx.inside, "no address inside an instruction of fib")
    ctx.addresses = { [ctx.fib] = true, [ctx.scratch] = true,
                      [ctx.scratch + 1] = true, [ctx.inside] = true }
    local bp = ctx.s:breakpoint("leaf", { condition = function(frame)
      ctx.stale_frame = frame
      return false
    end })
    ctx.exit_stop = ctx.s:call("leaf", 1)
    bp:clear()
    assert(ctx.stale_frame and ctx.exit_stop.value == 4)
    for _, t in ipairs { "session", "library", "frame" } do
      mt[t] = snare.core.metatable("snare." .. t)
    end
  end)

  teardown(function()
    ctx.s:close()
    ctx.other_session:close()
    for _, lib in ipairs { ctx.loops, ctx.faults, ctx.stress } do
      lib:close()
    end
    print(string.format("FIGURE badinput_inputs %d", tried))
    print(string.format("FIGURE badinput_errors %d clear %d (addresses 0x-hex, "
                        .. "no snare source path, argument named)", errors,
                        clear_errors))
    print(string.format("FIGURE badinput_session_usable_after %d cases "
                        .. "(fib(10) computed after each)", usable))
  end)

  local function fail(where, text)
    failures[#failures + 1] = where .. ": " .. text
  end

  -- Back to a known state: no breakpoints, idle (or stopped at count_to
  -- when `state` is "stopped"); returns the stop in that case.
  local function prepare(state)
    local s = ctx.s
    for _, bp in ipairs(s:breakpoints()) do
      bp:clear()
    end
    if s.stopped then
      s:abort()
    end
    s.timeout = TIMEOUT
    if state == "stopped" then
      s:breakpoint("count_to", { temporary = true })
      local stop = s:call("count_to", 3)
      assert(stop.kind == "breakpoint", tostring(stop))
      return stop
    end
  end

  -- The session still works after a case.
  local function check_session(where)
    assert(not ctx.s.closed, where .. ": closed the shared session")
    assert(not ctx.loops.closed, where .. ": closed the shared library")
    prepare("idle")
    local stop = ctx.s:call("fib", 10)
    if stop.kind ~= "exit" or stop.value ~= 55 then
      error(where .. ": session broken afterwards: " .. tostring(stop))
    end
    usable = usable + 1
  end

  -- Closes sessions and libraries a successful call returned (not those
  -- of an entry whose function returns objects it did not open).
  local function release(results)
    for i = 1, results.n do
      local v = results[i]
      local vmt = debug.getmetatable(v)
      if (vmt == mt.session or vmt == mt.library) and v ~= ctx.s and
          v ~= ctx.other_session and v ~= ctx.loops then
        v:close()
      end
    end
  end

  -- SNARE_BADINPUT_LOG=file: every case and its outcome, for reading.
  local log = os.getenv("SNARE_BADINPUT_LOG")
  log = log and assert(io.open(log, "w"))

  -- One error text of a case (raised, or the message of nil, message).
  local function check_text(where, msg, c)
    errors = errors + 1
    local why = type(msg) == "string" and
                misleads(msg, c.args, c.n, c.nargs, c.params, ctx.addresses)
    if why then
      fail(where, "misleading error (" .. why .. "): " .. msg)
    else
      clear_errors = clear_errors + 1
    end
  end

  -- `c`: {args =, n =, nargs =} of the call, for the text's rules.
  local function verify(where, name, entry, results, c)
    tried = tried + 1
    c.params = entry.params or {}
    if log then
      log:write(where, " -> ", tostring(results[1]), " ", tostring(results[2]),
                " ", tostring(results[3]), "\n")
    end
    if not results[1] then
      if not is_clear(results[2], name, entry) then
        fail(where, "unclear error: " .. tostring(results[2]))
      end
      check_text(where, results[2], c)
      return
    end
    if not entry.borrowed then
      release(results)
    end
    local v1, v2 = results[2], results[3]
    if results.n >= 2 and v1 == nil and type(v2) ~= "string" and
        not entry.nil_ok then
      fail(where, "returned nil without a message")
    elseif results.n >= 3 and v1 == nil and type(v2) == "string" then
      check_text(where, v2, c)
    end
  end

  -- A fresh object of the group, for calls that consume theirs.
  local fresh = {
    session = function() return snare.session() end,
    library = function() return helpers.load("strings", "O2") end,
    breakpoint = function() return ctx.s:breakpoint("count_to") end,
  }

  -- The object a group's methods are called on, in `state`.
  local function good_self(group, entry, stop)
    if group == "module" or group == "stop" then
      return cases.NONE
    elseif entry.self == "fresh" then
      return fresh[group]()
    elseif group == "session" then
      return ctx.s
    elseif group == "library" then
      return ctx.loops
    elseif group == "breakpoint" then
      return ctx.s:breakpoint("count_to")
    elseif group == "regs" then
      return (stop or ctx.exit_stop).regs
    end
  end

  local function bad_selves(group)
    if group == "module" or group == "stop" then
      return {}
    end
    local list = { { "nil self", nil }, { "number self", 42 },
                   { "string self", "x" }, { "table self", {} },
                   { "stale frame self", ctx.stale_frame } }
    if group == "session" then
      list[#list + 1] = { "closed session self", ctx.closed_session }
      list[#list + 1] = { "library self", ctx.loops }
    else
      list[#list + 1] = { "session self", ctx.s }
    end
    if group == "breakpoint" then
      list[#list + 1] = { "cleared breakpoint self", ctx.cleared_bp }
    elseif group == "library" then
      list[#list + 1] = { "closed library self", ctx.closed_lib }
    end
    return list
  end

  -- Every case of one function: {label, self or false (good), args}.
  local function case_list(group, entry)
    local list = {}
    local good = entry.good and entry.good(ctx) or {}
    local n = math.max(#good, #(entry.params or {}) > 0 and 1 or 0)
    list[#list + 1] = { "good arguments", false, good, #good }
    for _, bad in ipairs(bad_selves(group)) do
      list[#list + 1] = { bad[1], true, good, #good, bad[2] }
    end
    for pos = 1, n do
      for _, bad in ipairs(cases.bad_values(ctx)) do
        if not (entry.avoid and entry.avoid[bad[1]]) then
          local args = table.move(good, 1, #good, 1, {})
          args[pos] = bad[2]
          list[#list + 1] = { ("argument %d %s"):format(pos, bad[1]), false,
                              args, math.max(#good, pos) }
        end
      end
    end
    for _, extra in ipairs(entry.extra and entry.extra(ctx) or {}) do
      list[#list + 1] = { extra[1], false, extra[2], #extra[2] }
    end
    return list
  end

  -- Runs one case of a frame method inside a condition, where frames live.
  local function run_in_condition(fn, c, name, entry, where)
    prepare("idle")
    local results
    ctx.s:breakpoint("leaf", { condition = function(frame)
      local self = frame
      if c[2] then
        self = c[5]
      end
      results = table.pack(cases.call(fn, self, c[3], c[4]))
      return false
    end })
    ctx.s:call("leaf", 1)
    if results == nil then
      fail(where, "condition did not run")
    else
      verify(where, name, entry, results, { args = c[3], n = c[4], nargs = c[4] + 1 })
    end
  end

  local function run_group(group, fns)
    local states = { "idle" }
    if group == "session" then
      states = { "idle", "stopped" }
    elseif group == "regs" then
      states = { "stopped" }
    end
    for _, name in ipairs(sorted_keys(fns)) do
      local entry = cases.groups[group][name]
      local fn = fns[name]
      for _, state in ipairs(states) do
        for _, c in ipairs(case_list(group, entry)) do
          local where = ("%s.%s (%s, %s)"):format(group, name, state, c[1])
          if group == "frame" then
            run_in_condition(fn, c, name, entry, where)
          else
            local stop = prepare(state)
            local self = c[5]
            if not c[2] then
              self = good_self(group, entry, stop)
            end
            local nargs = c[4] + (self == cases.NONE and 0 or 1)
            verify(where, name, entry, table.pack(cases.call(fn, self, c[3], c[4])),
                   { args = c[3], n = c[4], nargs = nargs })
            if entry.self == "fresh" and not c[2] then -- and a double close
              verify(where .. " twice", name, entry,
                     table.pack(cases.call(fn, self, {}, 0)),
                     { args = {}, n = 0, nargs = nargs - c[4] })
            end
          end
          check_session(where)
        end
      end
    end
  end

  it("has a bad-input entry for every function of the API", function()
    local missing = {}
    for group, fns in pairs(enumerate(ctx)) do
      for name in pairs(fns) do
        if not (cases.groups[group] and cases.groups[group][name]) then
          missing[#missing + 1] = ("new function %s.%s has no bad-input coverage")
                                  :format(group, name)
        end
      end
    end
    table.sort(missing)
    assert(#missing == 0, table.concat(missing, "\n"))
  end)

  for _, group in ipairs { "module", "session", "breakpoint", "library",
                           "frame", "regs", "stop" } do
    it("gives clear errors and keeps the session working: " .. group, function()
      local fns = enumerate(ctx)[group]
      local covered = {}
      for name, fn in pairs(fns) do
        if cases.groups[group][name] then
          covered[name] = fn
        end
      end
      failures = {}
      run_group(group, covered)
      assert(#failures == 0, #failures .. " failures:\n" ..
             table.concat(failures, "\n", 1, math.min(#failures, 60)))
    end)
  end
end)

describe("callbacks that misbehave", function()
  local ctx = {}
  local refused, loops_stopped, usable = 0, 0, 0

  setup(function()
    ctx.loops = helpers.load("loops")
    ctx.hooks = helpers.load("hooks")
    ctx.marks = helpers.load("marks")
    ctx.s = snare.session { timeout = TIMEOUT }
    ctx.other = snare.session { timeout = TIMEOUT }
  end)

  teardown(function()
    ctx.s:close()
    ctx.other:close()
    ctx.loops:close()
    ctx.hooks:close()
    ctx.marks:close()
    print(string.format("FIGURE callback_kinds %d forbidden_entries %d refused %d "
                        .. "infinite_loops_stopped %d session_usable_after %d",
                        #callbacks.kinds, #callbacks.forbidden, refused,
                        loops_stopped, usable))
  end)

  -- The session (and the objects a forbidden call would change) are as
  -- before, and fib(10) still computes.
  local function check_usable(where)
    assert(not ctx.s.closed, where .. ": closed the session")
    assert(not ctx.other.closed, where .. ": closed the other session")
    assert(not ctx.s.stopped, where .. ": left the session stopped")
    local stop = ctx.s:call("fib", 10)
    assert(stop.kind == "exit" and stop.value == 55,
           where .. ": session broken afterwards: " .. tostring(stop))
    usable = usable + 1
  end

  for _, kind in ipairs(callbacks.kinds) do
    local label = kind.label or kind.name
    it("refuse every entry point a callback must not use: " .. label, function()
      local failures = {}
      for _, entry in ipairs(callbacks.forbidden) do
        local where = label .. " calling " .. entry[1]
        ctx.spare_bp = ctx.s:breakpoint("visit")
        ctx.spare_lib = helpers.load("strings", "O2")
        local outcome
        local got = kind.run(ctx, function()
          outcome = table.pack(pcall(entry[2], ctx))
        end)
        if not got.ran or outcome == nil then
          failures[#failures + 1] = where .. ": the callback did not run"
        elseif outcome[1] then
          failures[#failures + 1] = where .. ": not refused"
        elseif not tostring(outcome[2]):find(callbacks.refusal) then
          failures[#failures + 1] = where .. ": not the one refusal: " ..
                                    tostring(outcome[2])
        else
          refused = refused + 1
        end
        assert(not ctx.spare_bp.cleared and ctx.spare_bp.enabled,
               where .. ": changed a breakpoint")
        assert(not ctx.spare_lib.closed, where .. ": closed a library")
        ctx.spare_bp:clear()
        ctx.spare_lib:close()
        check_usable(where)
      end
      assert(#failures == 0, table.concat(failures, "\n"))
    end)

    for _, loop in ipairs(callbacks.loops) do
      it("stop " .. label .. " running " .. loop[1] .. " at the session's timeout",
         function()
        ctx.s.timeout = 200
        local got = kind.run(ctx, loop[2])
        ctx.s.timeout = TIMEOUT
        assert.is_true(got.ran)
        -- (A hook's last error may be that of a later call, which did
        -- not start: "snare: hook callback not run: ... ran past ...".)
        assert.matches("snare: " .. kind.name .. " .-ran past the session's "
                       .. "timeout %(200 ms%)", got.error)
        assert.not_matches("snare%.lua:%d", got.error)
        loops_stopped = loops_stopped + 1
        check_usable(label .. " running " .. loop[1])
      end)
    end
  end

  it("defer finalizers the GC runs while a callback's arguments are built",
     function()
    local ok, how, code = os.execute("lua5.4 spec/reliability/finalizers_in_arguments.lua")
    assert(ok, ("the script ended by %s %s"):format(how, code))
  end)

  it("start no callback of a run after one ran past the timeout", function()
    local started = 0
    local h = snare.hook(ctx.hooks:symbol("leaf"), function()
      started = started + 1
      while true do end
    end)
    ctx.s.timeout = 200
    local stop = ctx.s:call(ctx.hooks:symbol("calls_leaf"), 20)
    ctx.s.timeout = TIMEOUT
    local stats = h:stats()
    h:remove()
    assert.equal("exit", stop.kind)
    assert.equal(210, stop.value)
    assert.equal(1, started)
    assert.equal(20, stats.errors)
    assert.matches("snare: hook callback not run: a callback of this run already "
                   .. "ran past the session's timeout %(200 ms%)", stats.last_error)
    check_usable("a hook looping at every call")
  end)

  it("defer removing a running hook from its own callback", function()
    local calls = 0
    local h
    h = snare.hook(ctx.hooks:symbol("leaf"), function()
      calls = calls + 1
      h:remove()
    end)
    local calls_leaf = ctx.hooks:symbol("calls_leaf")
    assert.equal(6, ctx.s:call(calls_leaf, 3).value)
    assert.is_true(h.removed)
    local after = calls
    assert.is_true(after >= 1 and after <= 3)
    ctx.s:call(calls_leaf, 3)
    assert.equal(after, calls) -- removed for good
    check_usable("hook removing itself")
  end)
end)

describe("errors name the real cause", function()
  local loops, stress, s

  setup(function()
    loops = helpers.load("loops")
    stress = helpers.load("stress")
    s = snare.session()
  end)

  teardown(function()
    s:close()
    loops:close()
    stress:close()
  end)

  -- The file of the position prefix of an error ("spec/x.lua" of
  -- "spec/x.lua:12: ..."), or nil.
  local function blamed_file(err)
    return err:match("^([^:]+):%d+: ")
  end

  it("a read past readable memory names its first unreadable byte", function()
    local scratch = stress:symbol("scratch")
    local data, err, status = snare.read(scratch, 1 << 40)
    assert.is_nil(data)
    assert.equal("BAD_ADDRESS", status)
    local first = assert(tonumber(err:match("first unreadable byte is 0x(%x+)"), 16), err)
    assert.is_true(first > scratch)
    assert.is_nil((snare.read(first, 1)))
    assert.is_string(snare.read(first - 1, 1))
    assert.matches(("at %s:"):format(snare.hex(scratch)), err)
  end)

  it("a write into code is refused as such", function()
    local ok, err, status = snare.write(loops:symbol("fib"), "\0\0")
    assert.is_nil(ok)
    assert.equal("IS_CODE", status)
    assert.matches("refusing to write into code; use a breakpoint", err)
    assert.is_nil((snare.write_u8(loops:symbol("fib"), 0)))
  end)

  it("a bad timeout is named, not a stack position", function()
    for _, set in ipairs {
      function() return snare.session { timeout = -5 } end,
      function() s.timeout = -5 end,
    } do
      local ok, err = pcall(set)
      assert.is_false(ok)
      assert.matches("snare.session: bad timeout %-5 %(milliseconds", err)
      assert.not_matches("#%d", err)
    end
    local ok, err = pcall(snare.session, { timeout = "soon" })
    assert.is_false(ok)
    assert.matches("bad timeout %(an integer number of milliseconds expected, "
                   .. "got string%)", err)
  end)

  it("a bad target is blamed on the caller's line, never snare's", function()
    for _, name in ipairs { "tally", "profile", "trace", "hook" } do
      local ok, err = pcall(function()
        local r = snare[name]("nosuch", print) -- not a tail call
        return r
      end)
      assert.is_false(ok)
      assert.matches("snare%." .. name .. ": bad targets: unknown symbol 'nosuch'", err)
      assert.matches("badinput_spec%.lua$", blamed_file(err))
    end
    local ok, err = pcall(function()
      local h = snare.hook(0x10, print)
      return h
    end)
    assert.is_false(ok)
    assert.matches("snare.hook: cannot hook 0x10: ", err)
    assert.matches("badinput_spec%.lua$", blamed_file(err))
  end)

  it("an address is 0x and hex in every message", function()
    local ok, err = pcall(snare.mark, 0x1234, 1)
    assert.is_false(ok)
    assert.matches("cannot mark 0x1234: ", err)
  end)

  it("the formatters check their arguments", function()
    for name, arg in pairs { format_stop = "stop", format_breakpoint = "bp",
                             format_regs = "regs", format_event = "event" } do
      for _, bad in ipairs { 42, {}, "x" } do
        local ok, err = pcall(snare[name], bad)
        assert.is_false(ok)
        assert.matches("^snare%." .. name .. ": bad argument '" .. arg .. "' %(", err)
      end
    end
    local ok, err = pcall(snare.format_regs, setmetatable({}, { __index = function()
      return 1.5
    end }))
    assert.is_false(ok)
    assert.matches("register rax is number, not an integer", err)
  end)
end)
