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

  -- The Lua API's text is the C API's (the driver of
  -- disassemble_objdump_spec.lua calls that one): every instruction of the
  -- library's .text, at its run-time address, against objdump's line for
  -- it (link-time addresses, "call   1139 <fib>"), both made into gdb's
  -- spelling with the load address taken out.
  for _, flavor in ipairs { "att", "intel" } do
    it("gives each instruction of a library objdump's " .. flavor
       .. " text", function()
      local pipe = assert(io.popen(string.format(
        "objdump -d -w --insn-width=15 %s -j .text %s",
        flavor == "intel" and "-M intel" or "",
        helpers.quote(helpers.fixture("loops")))))
      local dump = pipe:read("a")
      pipe:close()
      local base = lib:symbol("fib")
        - tonumber(assert(dump:match("\n(%x+) <fib>:")), 16)
      local compared, differ = 0, 0
      for at, text in dump:gmatch("\n +(%x+):\t[%x ]+\t([^\n]*)") do
        -- an address objdump names is bare hex: "1139 <fib>"
        local expected = text:gsub("%s+$", "")
        local named = expected:match("^(.*[ ,])(%x+) <[^>]*>$")
        if named then
          expected = named .. "0x" .. expected:match("(%x+) <[^>]*>$")
        end
        local insn = assert(snare.disassemble(base + tonumber(at, 16), 1,
                                              { flavor = flavor }))[1]
        local got = insn.text:gsub("0x(%x+)", function(hex)
          local n = tonumber(hex, 16)
          return n >= base and string.format("0x%x", n - base) or nil
        end)
        compared = compared + 1
        if got ~= expected then
          differ = differ + 1
          print(string.format("  %s\n    objdump: %s\n    snare:   %s", at,
                              expected, got))
        end
      end
      print(string.format("FIGURE snare.disassemble %s libloops.so: %d of "
                          .. "%d instructions differ from objdump", flavor,
                          differ, compared))
      assert.is_true(compared > 50)
      assert.equal(0, differ)
    end)
  end

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
