-- jump_breakpoint_spec.lua - conditional breakpoints reached through a
-- jump instead of a trap (bp.mechanism): the same hits, conditions and
-- stops as a trap; a breakpoint set inside another's jump turns that one
-- back into a trap; and on real code (bzip2 of the corpus, gcc -O2) with
-- a condition on every instruction of a few functions, the program's
-- output is unchanged; a function's live xmm, x87 and MXCSR state too.
local snare = require "snare"
local helpers = require "spec.helpers"

describe("breakpoints through jumps", function()
  local loops

  setup(function()
    loops = helpers.load("loops", "O0")
  end)

  after_each(helpers.close_sessions)

  teardown(function()
    loops:close()
  end)

  it("see and stop what a trap sees and stops", function()
    local s = helpers.session()
    local seen = {}
    local function on_five(frame)
      seen[#seen + 1] = frame:var("i")
      return frame:var("i") == 5
    end
    local where = "loops.c:10" -- total += i; in count_to
    local jump = s:breakpoint(where, { condition = on_five })
    assert.equals("jump", jump.mechanism)
    local stop = s:call("count_to", 8)
    assert.equals("breakpoint", stop.kind)
    assert.equals(jump, stop.breakpoint)
    assert.equals(jump.address, stop.pc)
    local jump_regs = stop.regs.rsp
    stop = s:continue()
    assert.equals(36, stop.value)
    jump:clear()
    local jump_seen = seen
    seen = {}
    local trap = s:breakpoint(where, { condition = on_five,
                                       mechanism = "trap" })
    assert.equals("trap", trap.mechanism)
    stop = s:call("count_to", 8)
    assert.equals(trap.address, stop.pc)
    assert.equals(jump_regs, stop.regs.rsp)
    assert.equals(36, s:continue().value)
    assert.same(jump_seen, seen)
    assert.same({ 1, 2, 3, 4, 5, 6, 7, 8 }, seen)
    assert.same({ 8, 1, 7 }, { trap.hits, trap.stops, trap.rejected })
  end)

  it("step from a stop as from a trap's", function()
    local s = helpers.session()
    local function pcs(opts)
      local bp = s:breakpoint("loops.c:10", opts)
      assert.equals("breakpoint", s:call("count_to", 3).kind)
      local out = { bp.mechanism }
      for _ = 1, 12 do
        out[#out + 1] = s:step().pc
      end
      s:abort()
      bp:clear()
      return out
    end
    local first = function(frame) return frame:var("i") == 1 end
    local jumped = pcs { condition = first }
    local trapped = pcs { condition = first, mechanism = "trap" }
    assert.equals("jump", table.remove(jumped, 1))
    assert.equals("trap", table.remove(trapped, 1))
    assert.same(trapped, jumped)
  end)

  it("give way to a trap for a breakpoint inside their bytes", function()
    local s = helpers.session()
    local never = function() return false end
    local first = s:breakpoint("*count_to", { condition = never })
    assert.equals("jump", first.mechanism)
    local insn = snare.disassemble(first.address, 1)[1]
    local second = s:breakpoint(first.address + insn.length,
                                { condition = never })
    assert.equals("trap", first.mechanism)
    assert.equals(45, s:call("count_to", 9).value)
    assert.same({ 1, 1 }, { first.hits, second.hits })
  end)

  it("keep live xmm, x87 and MXCSR state under a Lua condition on each instruction",
    function()
      local lib <close> = helpers.load("float_state", "O2")
      local s = helpers.session()
      local plain = s:call("float_mix", 20).value
      local fn = assert(snare.symbol_at(assert(lib:symbol("float_mix"))))
      local evaluated, jumps = 0, 0
      local function clobber()
        local y = evaluated / 3 -- inexact, in xmm registers
        for k = 1, 8 do
          y = y * 1.1 + k
        end
        evaluated = evaluated + 1
        return y < 0
      end
      local pc = fn.address
      while pc < fn.address + fn.size do
        local insn = assert(snare.disassemble(pc, 1))[1]
        local bp = s:breakpoint(pc, { condition = clobber })
        jumps = jumps + (bp.mechanism == "jump" and 1 or 0)
        assert.equals(plain, s:call("float_mix", 20).value,
                      string.format("+%d %s", pc - fn.address, insn.text))
        bp:clear()
        pc = pc + insn.length
      end
      assert.is_true(jumps > 10, tostring(jumps))
      assert.is_true(evaluated > 100, tostring(evaluated))
    end)

  local bzip2 = "build/corpus/bin/gcc-O2/bzip2"
  local corpus_it = io.open(bzip2) and it or pending

  -- Breakpoints on every instruction of these bzip2 functions, each with
  -- a condition that counts and says no. `spread`: only instructions a
  -- jump's bytes cannot reach from the one before (so most are jumps).
  local script = [[
local agent = require "snare.agent"
local snare = require "snare"
local spread = SPREAD

local s = agent.session
local hits, placed = 0, { jump = 0, trap = 0 }
local function count() hits = hits + 1 return false end
for _, name in ipairs { "BZ2_bzWrite", "BZ2_bzCompress", "BZ2_bsInitWrite",
                        "BZ2_compressBlock", "BZ2_bzWriteOpen" } do
  local sym = assert(snare.symbol_at(assert(snare.symbol(name))))
  local pc, last = sym.address, -1
  while pc < sym.address + sym.size do
    local insn = assert(snare.disassemble(pc, 1))[1]
    if not spread or pc >= last + 16 then
      local bp = s:breakpoint(pc, { condition = count })
      placed[bp.mechanism] = placed[bp.mechanism] + 1
      last = pc
    end
    pc = pc + insn.length
  end
end
agent.run {}
io.stderr:write(string.format("jump %d trap %d hits %d\n", placed.jump,
                              placed.trap, hits))
]]

  local function run(command)
    local pipe = assert(io.popen("(" .. command .. ") 2>&1; echo \"exit=$?\""))
    local out = pipe:read("a")
    pipe:close()
    return out
  end

  local function compress_under(spread)
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local input = dir .. "/input"
    local f = assert(io.open(input, "w"))
    for i = 1, 2000 do
      f:write(string.format("line %d of the corpus input %x\n", i, i * 7919))
    end
    f:close()
    local plain = run(string.format("%s -k -c %s > %s/plain.bz2", bzip2,
                                    input, dir))
    local path = dir .. "/script.lua"
    f = assert(io.open(path, "w"))
    f:write((script:gsub("SPREAD", tostring(spread))))
    f:close()
    local report = run(string.format("bin/snare exec %s -- %s -k -c %s > %s/snare.bz2",
                                     path, bzip2, input, dir))
    local same = helpers.read_file(dir .. "/plain.bz2") ==
                 helpers.read_file(dir .. "/snare.bz2")
    os.execute("rm -rf " .. dir)
    return plain, report, same
  end

  corpus_it("leave bzip2's output unchanged, breakpoints on every instruction",
    function()
      local plain, report, same = compress_under(false)
      assert.equals("exit=0\n", plain)
      local jumps, traps, hits = report:match("jump (%d+) trap (%d+) hits (%d+)")
      assert.is_truthy(hits, report)
      assert.is_true(same)
      assert.is_true(tonumber(traps) > 100, report)
      assert.is_true(tonumber(jumps) > 0, report)
      assert.is_true(tonumber(hits) > 10000, report)
    end)

  corpus_it("leave bzip2's output unchanged, mostly jumps", function()
    local _, report, same = compress_under(true)
    local jumps, traps, hits = report:match("jump (%d+) trap (%d+) hits (%d+)")
    assert.is_truthy(hits, report)
    assert.is_true(same)
    assert.is_true(tonumber(jumps) > tonumber(traps), report)
    assert.is_true(tonumber(hits) > 10000, report)
  end)
end)
