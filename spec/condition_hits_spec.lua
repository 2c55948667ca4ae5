-- condition_hits_spec.lua - breakpoint conditions written in C against
-- gdb: on the loop of condition_loop (400 calls of visit()), each
-- condition lets through as many hits with snare (spec/condition_hits/
-- count.lua: compiled for the site, snare.expr.condition) as gdb's
-- `break visit if COND` counts (its hit count, every stop ignored).
local helpers = require "spec.helpers"
local gdb_compare = require "spec.gdb_compare"

local program = helpers.program("condition_loop")

-- Chosen to be compiled for the site: promotions, signedness, chars,
-- shorts, doubles, pointers, strings, short-circuits, sizeof.
-- (`break visit if ...`: gdb's breakpoint and snare's are both past
-- visit's prologue.)
local conditions = {
  "p->len > 3 && name[0] == 'a'",
  "i == -1",
  "i % 7 == 3 || p->tag == 'c'",
  "p->flags > 1000",
  "p->delta < -2000",
  "small > 200",
  "(char)small < 0",
  "p->next->len == 2",
  "p->weight > 2.5",
  "i * 3 / 5 > p->len * 10",
  "name[1] == 'n' && !(i & 1)",
  "p->flags >> 28",
  "-i > 150",
  "(unsigned)i > 100",
  "p->len - 5 > 0u",
  "sizeof(*p) == 40 && i < -190",
  "p + 1 == p->next",
  "p->next->next->name[2] == 'v' ? i > 0 : i < -100",
  "(short)(p->delta * 40) > 0",
  "small / 3 * 3 == small",
}
-- Left to the general evaluator (registers), every hit.
local general = {
  ["$rsi == 3"] = true,
  ["(int)$rsi < -150 && p->len > 0"] = true,
}
for text in pairs(general) do
  conditions[#conditions + 1] = text
end
table.sort(conditions)

local function write_lines(lines)
  return helpers.temp_file(table.concat(lines, "\n") .. "\n")
end

local run = helpers.run

describe("C conditions against gdb's break if", function()
  it("let through as many hits as gdb's on the same loop", function()
    local exprs = write_lines(conditions)
    local counts_path = os.tmpname()
    local log = run(string.format(
      "CONDITIONS=%s COUNTS=%s timeout 120 bin/snare exec "
      .. "spec/condition_hits/count.lua -- %s", exprs, counts_path, program))
    local mine = {}
    for line in io.lines(counts_path) do
      local n, how, text = line:match("^(%d+)\t(%S+)\t(.*)$")
      mine[#mine + 1] = { n = tonumber(n), how = how, text = text }
    end
    os.remove(exprs)
    os.remove(counts_path)
    assert.are.equal(#conditions, #mine, log)
    local rows = {}
    for i, c in ipairs(conditions) do
      rows[i] = { where = "visit", text = c }
    end
    local theirs, gdb_log = gdb_compare.condition_hits(rows, program)
    local mismatches, report = gdb_compare.rows(#conditions, function(i)
      local c = conditions[i]
      local ok = mine[i].n == theirs[i] and
        mine[i].how == (general[c] and "general" or "specialised")
      return ok, string.format("%4s %4s %-11s %s", mine[i].n,
                               tostring(theirs[i]), mine[i].how, c)
    end)
    print("   snare  gdb  path        condition\n" .. table.concat(report, "\n"))
    print(string.format("condition hits: %d conditions compared with gdb, "
                        .. "%d mismatches", #conditions, mismatches))
    assert.are.equal(0, mismatches, table.concat(report, "\n") .. "\n"
                     .. gdb_log)
    -- conditions that hold sometimes and not always: counts that tell
    assert.is_true(theirs[1] > 0 and theirs[1] < 400)
  end)
end)
