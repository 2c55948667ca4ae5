-- jit_spec.lua - generated code from Lua: W^X JIT memory, regions with
-- symbols and a line map, and hand-assembled code and copies of a compiled
-- function stopped in, stepped, backtraced, hooked and unregistered.
local snare = require "snare"
local helpers = require "spec.helpers"

-- inner(x) = x + 1 at 0, outer(x) = 2 * inner(x) at 16, with frame-pointer
-- prologues: push rbp; mov rbp, rsp; lea eax, [rdi+1]; pop rbp; ret and
-- push rbp; mov rbp, rsp; call inner; add eax, eax; pop rbp; ret
local INNER, INNER_BODY, INNER_POP, OUTER = 0, 4, 7, 16
local code = string.char(0x55, 0x48, 0x89, 0xe5, 0x8d, 0x47, 0x01, 0x5d, 0xc3,
                         0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
                         0x55, 0x48, 0x89, 0xe5, 0xe8, 0xe7, 0xff, 0xff, 0xff,
                         0x01, 0xc0, 0x5d, 0xc3)

-- Permissions ("r-xs") of the mapping holding addr.
local function permissions(addr)
  local maps <close> = assert(io.open("/proc/self/maps"))
  for line in maps:lines() do
    local low, high, perms = line:match("^(%x+)-(%x+) (%S+)")
    if addr >= tonumber(low, 16) and addr < tonumber(high, 16) then
      return perms
    end
  end
  return nil
end

local function register(jit)
  local base = jit.address
  return assert(snare.code_register {
    start = base, size = #code, name = "hand",
    symbols = { { name = "lua_jit_inner", start = base + INNER, size = 9 },
                { name = "lua_jit_outer", start = base + OUTER, size = 13 } },
    lines = { { address = base + INNER, file = "gen.lua", line = 2 },
              { address = base + INNER_BODY, file = "gen.lua", line = 3 },
              { address = base + OUTER, file = "gen.lua", line = 10 } },
  })
end

describe("JIT code", function()
  local s
  before_each(function() s = helpers.session { timeout = 10000 } end)
  after_each(helpers.close_sessions)

  for _, single in ipairs { false, true } do
    it((single and "in a single mapping" or "in dual-mapped memory")
       .. ": stops, steps, backtraces, hooks, unregisters", function()
      local jit <close> = assert(snare.jit.alloc(#code, { single = single }))
      assert.equal(not single, jit.dual)
      jit:write(0, code)
      jit:commit()
      local base = jit.address
      assert.equal(single and "r-xp" or "r-xs", permissions(base))
      local region <close> = register(jit)
      assert.equal(base + OUTER, (snare.symbol("lua_jit_outer")))
      assert.equal("lua_jit_inner+4", snare.describe(base + INNER_BODY))
      local line = assert(snare.line_at(base + INNER_POP))
      assert.equal("gen.lua", line.file)
      assert.equal(3, line.line)

      local bp = s:breakpoint("lua_jit_inner")
      local stop = s:call("lua_jit_outer", 5)
      assert.equal("breakpoint", stop.kind)
      assert.equal(base + INNER, stop.pc)
      local frames = s:backtrace()
      assert.equal("lua_jit_inner", frames[1].func)
      assert.equal("lua_jit_outer", frames[2].func)
      assert.equal(10, frames[2].line)
      for _ = 1, 3 do
        stop = s:step()
        assert.equal("step", stop.kind)
      end
      assert.equal(base + INNER_POP, stop.pc)
      assert.equal(6, stop.regs.rax)
      frames = s:backtrace()
      assert.equal("lua_jit_inner", frames[1].func)
      assert.equal("lua_jit_outer", frames[2].func)
      stop = s:continue()
      assert.equal("exit", stop.kind)
      assert.equal(12, stop.value)
      bp:disable()

      local inner <close> = snare.core.hook("lua_jit_inner")
      local outer <close> = snare.core.hook("lua_jit_outer")
      for i = 1, 9 do
        assert.equal(2 * (i + 1), s:call("lua_jit_outer", i).value)
      end
      assert.equal(9, inner:stats().calls)
      assert.equal(9, outer:stats().calls)
      assert.equal(single and "r-xp" or "r-xs", permissions(base))

      bp:enable()
      region:unregister()
      assert.is_false(region.registered)
      assert.is_nil(snare.symbol("lua_jit_outer"))
      assert.is_nil(inner:stats()) -- the hooks went with the region
      assert.is_nil(outer:stats())
      stop = s:call(base + OUTER, 0)
      assert.equal("exit", stop.kind) -- so did the breakpoint
      assert.equal(2, stop.value)
    end)
  end

  it("steps by the lines of the region's line map", function()
    local jit <close> = assert(snare.jit.alloc(#code))
    jit:write(0, code)
    jit:commit()
    local base = jit.address
    local _region <close> = assert(snare.code_register {
      start = base, size = #code, name = "hand",
      symbols = { { name = "lua_jit_inner", start = base + INNER, size = 9 },
                  { name = "lua_jit_outer", start = base + OUTER, size = 13 } },
      lines = { { address = base + INNER, file = "gen.lua", line = 2 },
                { address = base + INNER_BODY, file = "gen.lua", line = 3 },
                { address = base + INNER_POP, file = "gen.lua", line = 4 },
                { address = base + OUTER, file = "gen.lua", line = 10 },
                { address = base + OUTER + 4, file = "gen.lua", line = 11 },
                { address = base + OUTER + 9, file = "gen.lua", line = 12 } },
    })
    s:breakpoint("lua_jit_outer")
    local stop = s:call("lua_jit_outer", 5)
    assert.equal(10, stop.line)
    local seen = {}
    for _, step in ipairs { "step_line", "step_line", "step_line", "finish" } do
      stop = s[step](s)
      assert.equal("step", stop.kind)
      seen[#seen + 1] = { stop.func, stop.line, stop.pc - base }
    end
    assert.same({ { "lua_jit_outer", 11, OUTER + 4 },
                  { "lua_jit_inner", 2, INNER },        -- into the call
                  { "lua_jit_inner", 3, INNER_BODY },
                  { "lua_jit_outer", 12, OUTER + 9 } }, -- out by the frame chain
                seen)
    assert.equal(12, s:continue().value)
  end)

  it("copies a compiled function and frees the memory with its region",
     function()
    local lib <close> = helpers.load("jit_source", "O2")
    local mix = assert(lib:symbol_info("jit_mix"))
    local jit = assert(snare.jit.alloc(mix.size))
    jit:write(0, assert(snare.read(mix.address, mix.size)))
    jit:commit()
    local region = assert(snare.code_register {
      start = jit.address, size = mix.size, name = "mix_copy" })
    s:breakpoint("mix_copy")
    local stop = s:call("mix_copy", 4, 5)
    assert.equal("breakpoint", stop.kind)
    assert.equal("mix_copy", s:backtrace()[1].func)
    stop = s:continue()
    assert.equal(4 * 7 + 5 * 3 - 1, stop.value)
    jit:free()
    assert.is_true(jit.freed)
    assert.is_false(region.registered)
    assert.is_nil(snare.symbol("mix_copy"))
    assert.has_error(function() jit:write(0, "x") end, "JIT memory is freed")
  end)

  it("refuses bad regions with a message", function()
    local jit <close> = assert(snare.jit.alloc(64))
    local ok, msg = snare.code_register {
      start = jit.address, size = 32, name = "r",
      symbols = { { name = "a", start = jit.address + 30, size = 4 } } }
    assert.is_nil(ok)
    assert.matches("cannot register 'r'", msg)
    assert.has_error(function() snare.code_register { start = 1, size = 2 } end,
                     "bad field 'name' (string expected, got nil)")
    local data = assert(snare.jit.alloc(64, { single = true }))
    ok, msg = snare.code_register { start = data.address, size = 8, name = "d" }
    assert.is_nil(ok)
    assert.matches("not in executable memory", msg)
    data:free()
  end)
end)
