-- native_conditions_spec.lua - C conditions run natively (snare.expr.lower:
-- the core rejects a false hit without entering Lua) against the same
-- conditions left to Lua and against gdb's `break FUNCTION if CONDITION`
-- hit counts, on the loop of condition_loop and on real programs of the
-- corpus (bzip2 and xz at -O0 and -O2). Each condition meant to be
-- lowered must be ("native"), and its false hits after the first must
-- all have been rejected natively; the rest stay with Lua. The errors a
-- condition raises (an unreadable pointer, a division by zero) stop as
-- they do without the native program, with the same message.
local helpers = require "spec.helpers"
local gdb_compare = require "spec.gdb_compare"
local snare = require "snare"
local expr = require "snare.expr"

local run = helpers.run

-- Conditions on visit(struct item *p, int i, const char *name,
-- unsigned char small) of condition_loop; `lua`: left to Lua.
local loop_conditions = {
  { "p->len > 3 && name[0] == 'a'" },
  { "i == -1" },
  { "i % 7 == 3 || p->tag == 'c'" },
  { "p->flags > 1000" },
  { "p->delta < -2000" },
  { "small > 200" },
  { "small > -1" },                  -- unsigned char promotes to int
  { "(char)small < 0" },
  { "p->next->len == 2" },
  { "i * 3 / 5 > p->len * 10" },
  { "name[1] == 'n' && !(i & 1)" },
  { "p->flags >> 28" },
  { "-i > 150" },
  { "~i == 5" },
  { "+small == 7" },
  { "(unsigned)i > 100" },           -- unsigned against signed
  { "i < 5u" },
  { "p->len - 5 > 0u" },
  { "sizeof(*p) == 40 && i < -190" },
  { "p + 1 == p->next" },
  { "p->next->next->name[2] == 'v' ? i > 0 : i < -100" },
  { "(short)(p->delta * 40) > 0" },
  { "small / 3 * 3 == small" },
  { "(small ^ 0x55) < 30 || (small | 1) == 201" },
  { "(i << 3) - (i >> 1) == 100 || (small & 0xf0) == 0x70" },
  { "i % 4 != 0 && i <= -100 && i >= -180" },
  { "(signed char)small == -7" },
  { "*name == 'b' && i > 100" },
  { "p->tag == 'a' || p->tag == 'h'" },
  { "(unsigned char)(small + 100) < 10" },
  { "!!(i & 8) && small != 0" },
  { "p->weight > 2.5", lua = true },  -- a double
  { "p->next - p == 1", lua = true }, -- a pointer difference
  { "$rsi == 3", lua = true },        -- a register
}

local function write_lines(lines)
  return helpers.temp_file(table.concat(lines, "\n") .. "\n")
end

-- Runs rows ({where =, text =, lua =}) natively and in Lua in `program
-- arguments` and compares each with gdb: returns the mismatches and the
-- report.
local function compare(rows, program, arguments)
  local lines = {}
  for i, row in ipairs(rows) do
    lines[i] = row.where .. "\t" .. row.text
  end
  local conditions = write_lines(lines)
  local counts_path = os.tmpname()
  local log = run(string.format(
    "CONDITIONS=%s COUNTS=%s timeout 300 bin/snare exec "
    .. "spec/native_conditions/count.lua -- %s %s > /dev/null", conditions,
    counts_path, program, arguments))
  local mine = {}
  for line in io.lines(counts_path) do
    local native, lua, how, falses = line:match("^(%d+)\t(%d+)\t(%S+)\t(%d+)")
    mine[#mine + 1] = { native = tonumber(native), lua = tonumber(lua),
                        how = how, falses = tonumber(falses) }
  end
  os.remove(conditions)
  os.remove(counts_path)
  assert.are.equal(#rows, #mine, log)
  local theirs, gdb_log = gdb_compare.condition_hits(rows, program, arguments)
  local mismatches, report = gdb_compare.rows(#rows, function(i)
    local m, row = mine[i], rows[i]
    local want_how = row.lua and "lua" or "native"
    local ok = m.native == theirs[i] and m.lua == theirs[i] and
      m.how == want_how and (row.lua or m.falses <= 1)
    return ok, string.format("%6s %6s %6s %-6s %3d %s if %s", m.native, m.lua,
      tostring(theirs[i]), m.how, m.falses, row.where, row.text)
  end)
  return mismatches, "  native    lua    gdb  how  false-in-Lua\n"
    .. table.concat(report, "\n"), gdb_log
end

local function rows_of(where, conditions)
  local rows = {}
  for i, c in ipairs(conditions) do
    rows[i] = { where = where, text = c[1], lua = c.lua }
  end
  return rows
end

local function check(label, rows, program, arguments)
  local mismatches, report, gdb_log = compare(rows, program, arguments)
  print(label .. "\n" .. report)
  print(string.format("native conditions, %s: %d conditions compared with "
                      .. "gdb, %d mismatches", label, #rows, mismatches))
  assert.are.equal(0, mismatches, report .. "\n" .. gdb_log)
end

describe("native C conditions", function()
  it("count as gdb's and as Lua's on condition_loop", function()
    check("condition_loop", rows_of("visit", loop_conditions),
          helpers.program("condition_loop"), "")
  end)

  -- The corpus: real functions, their parameters through compiled reads
  -- at -O0 (the frame) and -O2 (registers).
  local bzip2_conditions = {
    { "BZ2_bzWrite", "len > 4000" },
    { "BZ2_bzWrite", "len % 7 == 3 || len < 100" },
    { "BZ2_bzWrite", "((unsigned char *)buf)[0] == 'l'" },
    { "BZ2_bzWrite", "((char *)buf)[len - 1] == 10 && len != 5000" },
    { "BZ2_bzWrite", "*bzerror == 0 && (unsigned short)len > 4999u" },
    { "BZ2_hbMakeCodeLengths", "alphaSize > 100 && freq[1] > 3" },
    { "BZ2_hbMakeCodeLengths", "freq[alphaSize - 1] * 2 > freq[0]" },
    { "BZ2_hbMakeCodeLengths", "maxLen == 17 && len[0] == 0" },
    { "BZ2_hbMakeCodeLengths", "(alphaSize & 3) == 2 || freq[2] < 0" },
  }
  local xz_conditions = {
    { "lzma_code", "strm->avail_in > 1000" },
    -- (an enum parameter: the compiled reads take none)
    { "lzma_code", "action == 0 && strm->avail_out < 4096", lua = true },
    { "lzma_code", "strm->total_in % 3 == 1 || strm->avail_in == 0" },
    { "lzma_code", "(int)strm->total_out > 100000" },
    { "lzma_code", "strm->next_in != 0 && strm->next_in[0] == 'l'" },
    { "lzma_code", "(strm->avail_out >> 12) != 0 && action != 3", lua = true },
  }
  local function corpus_rows(list)
    local rows = {}
    for i, c in ipairs(list) do
      rows[i] = { where = c[1], text = c[2], lua = c.lua }
    end
    return rows
  end
  local input
  local function corpus_input()
    if not input then
      input = os.tmpname()
      local f = assert(io.open(input, "w"))
      for i = 1, 20000 do
        f:write(string.format("line %d of the corpus input %x\n", i, i * 7919))
      end
      f:close()
    end
    return input
  end
  teardown(function()
    if input then
      os.remove(input)
    end
  end)
  for _, case in ipairs {
    { "bzip2", bzip2_conditions, "-k -c" },
    { "xz", xz_conditions, "-T1 -k -c" },
  } do
    for _, build in ipairs { "gcc-O0", "gcc-O2" } do
      local program = "build/corpus/bin/" .. build .. "/" .. case[1]
      local corpus_it = io.open(program) and it or pending
      corpus_it(string.format("count as gdb's and as Lua's on %s %s",
                              case[1], build), function()
        check(case[1] .. " " .. build, corpus_rows(case[2]), program,
              case[3] .. " " .. corpus_input())
      end)
    end
  end
end)

-- The errors a condition raises: what the Lua condition raises at that
-- hit, the native program handing it over.
describe("native C conditions that fail", function()
  local lib = helpers.load("loops", "O2")
  local holder = {}
  local env = expr.env {
    frame = function() return holder.frame end,
    compiled_reads = true,
  }
  -- The stop of visit_loop(10) under `break visit if text` (natively or
  -- not), its breakpoint's counts and mechanism.
  local function stop_of(text, native)
    local s <close> = snare.session()
    local test = expr.condition(text, env, holder, true, native)
    local bp = s:breakpoint(lib:symbol("visit"), { condition = test })
    local stop = s:call(lib:symbol("visit_loop"), 10)
    local got = { kind = stop.kind, reason = stop.reason,
                  error = stop.error and tostring(stop.error):match("[^\n]*"),
                  hits = bp.hits, rejected = bp.rejected,
                  native_rejected = bp.native_rejected,
                  how = bp.condition_mechanism }
    s:abort()
    return got
  end

  for _, case in ipairs {
    { "i == 6 && *(int *)(long)i == 1", "Cannot access memory at address 0x6" },
    { "i > 5 && 100 / (i - 6) > 1", "Division by zero" },
    { "i < 7 ? 0 : 7 % (i - 7)", "Division by zero" },
  } do
    it("stop as the Lua condition does: " .. case[1], function()
      local native, lua = stop_of(case[1], true), stop_of(case[1], false)
      assert.are.equal("native", native.how)
      assert.are.equal("lua", lua.how)
      assert.are.equal(lua.kind, native.kind)
      assert.are.equal(lua.reason, native.reason)
      assert.are.equal(lua.error, native.error)
      assert.truthy(native.error and native.error:find(case[2], 1, true),
                    tostring(native.error))
      assert.are.equal(lua.hits, native.hits)
      assert.are.equal(lua.rejected, native.rejected)
      -- the false hits after the first, natively
      assert.are.equal(native.rejected - 1, native.native_rejected)
      assert.are.equal(0, lua.native_rejected)
    end)
  end
end)

-- At the prompt: `break ... if` conditions go native, and `info
-- breakpoints` counts gdb's hits (the false hits the core rejected are
-- none); `condition N` gives a breakpoint a new meaning, which its old
-- native program must no longer decide.
describe("native C conditions at the prompt", function()
  local dp = require "spec.debug_program_helpers"
  it("count gdb's hits, and a changed condition decides anew", function()
    local commands = {
      "break visit if i == -1",
      "break visit if (unsigned char)small == 3 && i > 0",
      "break visit if p->weight > 100.0", -- (Lua's, never true)
      "run", "condition 1 i == 100", "continue", "continue", "continue",
      "info breakpoints",
    }
    local program = helpers.program("condition_loop")
    local out = dp.snare_debug(commands, program)
    local gdb_out = dp.gdb_batch(commands, program)
    local mine, theirs = helpers.hit_counts(out), helpers.hit_counts(gdb_out)
    assert.same(theirs, mine, out .. "\n" .. gdb_out)
    print(string.format("prompt conditions vs gdb: hit counts %d %d %d "
                        .. "(gdb %d %d %d), 0 mismatches", mine[1], mine[2],
                        mine[3], theirs[1], theirs[2], theirs[3]))
    assert.are.equal(2, mine[1]) -- i == -1, then i == 100
    assert.are.equal(1, mine[2])
    assert.are.equal(0, mine[3])
    -- the stops: i = -1, then 93 (breakpoint 2), then 100
    local stops = {}
    for i in out:gmatch("Breakpoint %d+, visit %b()") do
      stops[#stops + 1] = i:match("i=(%-?%d+)")
    end
    assert.same({ "-1", "93", "100" }, stops, out)
  end)

  it("lower a condition changed by condition N as break ... if", function()
    local Debugger = require "snare.cli.debugger"
    local dbg = assert(Debugger.new {
      libraries = { helpers.fixture("loops", "O2") } })
    finally(function() dbg:close() end)
    local loop = dbg.libraries[1]:symbol("visit_loop")
    dbg:execute("break visit if i == -1")
    local bp = dbg.session:breakpoints()[1]
    assert.are.equal("exit", dbg.session:call(loop, 10).kind)
    assert.are.equal("native", bp.condition_mechanism)
    assert.are.equal(9, bp.native_rejected) -- (the first hit lowers it)
    dbg:execute("condition 1 i == 7")
    assert.are.equal("lua", bp.condition_mechanism) -- (until its first hit)
    local stop = dbg.session:call(loop, 10)
    assert.are.equal("breakpoint", stop.kind)
    assert.are.equal(7, dbg.session:frame(0):var("i"))
    print(string.format("condition N: %s after its first hit, %d of %d "
                        .. "hits rejected natively", bp.condition_mechanism,
                        bp.native_rejected, bp.hits))
    assert.are.equal("native", bp.condition_mechanism)
    assert.are.equal(9 + 6, bp.native_rejected) -- i = 1..6
    assert.are.equal(18, bp.hits)
    dbg.session:abort()
  end)
end)

describe("a native condition's early resume", function()
  it("keeps live xmm, x87 and MXCSR state at each instruction", function()
    -- A false native condition resumes the thread before the vector
    -- state is saved (only Lua needs it): whatever the evaluator runs
    -- must leave float_mix's double in xmm, long double on the x87
    -- stack and exception flags as they were.
    local lib <close> = helpers.load("float_state", "O2")
    local s = helpers.session()
    local plain = s:call("float_mix", 20).value
    local fn = assert(snare.symbol_at(assert(lib:symbol("float_mix"))))
    local holder = {}
    local env = expr.env { frame = function() return holder.frame end,
                           compiled_reads = true }
    local native, rejected, jumps = 0, 0, 0
    local pc = fn.address
    while pc < fn.address + fn.size do
      local insn = assert(snare.disassemble(pc, 1))[1]
      -- (n is optimised out at some instructions: no read, no error)
      local test = expr.condition("2 + 2 == 5 || -1 < 0u", env, holder,
                                  true, true)
      local bp = s:breakpoint(pc, { condition = test })
      assert.equals(plain, s:call("float_mix", 20).value,
                    string.format("+%d %s", pc - fn.address, insn.text))
      jumps = jumps + (bp.mechanism == "jump" and 1 or 0)
      if bp.condition_mechanism == "native" then
        native = native + 1
        rejected = rejected + bp.native_rejected
      end
      bp:clear()
      pc = pc + insn.length
    end
    print(string.format("native early resume: %d of float_mix's "
                        .. "instructions with a native condition (%d by "
                        .. "jump), %d hits rejected natively, result "
                        .. "unchanged", native, jumps, rejected))
    assert.is_true(jumps > 10, tostring(jumps))
    assert.is_true(native > 5, tostring(native))
    assert.is_true(rejected > 20, tostring(rejected))
  end)
end)
