-- disassemble_spec.lua - snare.disassemble: AT&T (gdb's default) or Intel
-- text, lengths and bytes of instructions, the program's own bytes under
-- breakpoints. Both spellings against gdb: disassemble_gdb_spec.lua; every
-- instruction against objdump: disassemble_objdump_spec.lua.
local snare = require "snare"
local helpers = require "spec.helpers"

describe("snare.disassemble", function()
  local lib
  setup(function() lib = helpers.load("loops") end)
  teardown(function() lib:close() end)
  after_each(helpers.close_sessions)

  it("lists instructions from a symbol or an address", function()
    local insns = assert(snare.disassemble("fib", 3))
    assert.equal(3, #insns)
    local fib = lib:symbol("fib")
    assert.same({ address = fib, length = 1, text = "push   %rbp",
                  bytes = "\x55" }, insns[1])
    assert.same({ address = fib + 1, length = 3, text = "mov    %rsp,%rbp",
                  bytes = "\x48\x89\xe5" }, insns[2])
    assert.equal(fib + 4, insns[3].address)
    local one = assert(snare.disassemble(fib + 1))
    assert.equal(1, #one)
    assert.equal("mov    %rsp,%rbp", one[1].text)
  end)

  it("takes a flavor: att (the default) or intel", function()
    local att = assert(snare.disassemble("fib", 2, { flavor = "att" }))
    assert.same(snare.disassemble("fib", 2), att)
    local intel = assert(snare.disassemble("fib", 2, { flavor = "intel" }))
    assert.equal("push   rbp", intel[1].text)
    assert.equal("mov    rbp,rsp", intel[2].text)
    assert.equal(att[2].length, intel[2].length)
    assert.has_error(function()
      snare.disassemble("fib", 1, { flavor = "masm" })
    end)
    assert.has_error(function() snare.disassemble("fib", 1, "intel") end)
  end)

  it("shows the program's instruction under a breakpoint, not int3",
     function()
    local s = helpers.session()
    -- the trap is in memory (spec/c/disassemble_test.c checks the byte);
    -- a stop there proves it is live
    s:breakpoint("*fib")
    assert.equal("breakpoint", s:call("fib", 1).kind)
    local insns = assert(snare.disassemble("fib", 1))
    assert.equal("push   %rbp", insns[1].text)
    assert.equal("\x55", insns[1].bytes)
  end)

  it("returns nil, message for unreadable memory, raises on bad arguments",
     function()
    local insns, err, code = snare.disassemble(0, 4)
    assert.is_nil(insns)
    assert.matches("cannot disassemble at 0x0", err, 1, true)
    assert.equal("BAD_ADDRESS", code)
    assert.has_error(function() snare.disassemble("no_such_symbol") end,
                     "unknown symbol 'no_such_symbol'")
    assert.has_error(function() snare.disassemble("fib", 0) end)
  end)
end)
