-- debug_conditions_spec.lua - breakpoint conditions written in C with
-- registers ($sp, $pc, $fp, $rdi), given at break and by condition N,
-- on a program: the hit counts `info breakpoints` shows are gdb 13's
-- (a crossing where the condition is false is no hit), also of a
-- second breakpoint at the same address with a condition of its own.
local dp = require "spec.debug_program_helpers"

local hit_counts = require("spec.helpers").hit_counts

describe("snare debug -- PROG, conditions with registers", function()
  it("counts the hits gdb counts", function()
    local commands = {
      "break add_square if $sp != 0", "break scale if $pc == scale",
      "break scale", "condition 3 $rsi == 2", "break main if $fp == 0",
      "break scale if $sp % 8 == 0 && $pc != 0",
      "break scale if factor == 3",
      "run", "continue", "continue", "continue", "continue", "continue",
      "info breakpoints",
    }
    local out = dp.snare_debug(commands)
    local gdb_out = dp.gdb_batch(commands)
    local counts = hit_counts(out)
    assert.same(hit_counts(gdb_out), counts)
    local compared, hits = 0, 0
    for _, n in pairs(counts) do
      compared, hits = compared + 1, hits + n
    end
    print(("register conditions vs gdb: %d breakpoints' hit counts "
           .. "compared (%d hits), 0 mismatches"):format(compared, hits))
    assert.equals(6, compared)
    assert.equals(0, counts[2]) -- false each time: no hit
    assert.equals(1, counts[3])
  end)
end)
