-- memory_spec.lua - reading and writing memory without faulting.
local snare = require "snare"
local helpers = require "spec.helpers"

describe("memory", function()
  local strings

  setup(function()
    strings = helpers.load("strings")
  end)

  after_each(helpers.close_sessions)

  teardown(function()
    strings:close()
  end)

  -- Stops in my_strlen(text) and returns the session and the address of
  -- the call's copy of text, which is writable and lives until the exit.
  local function stopped_with(text)
    local s = helpers.session()
    local bp = s:breakpoint("my_strlen")
    local stop = s:call("my_strlen", text)
    assert.equals("breakpoint", stop.kind)
    bp:clear()
    return s, stop.regs.rdi
  end

  it("returns nil and a message for a bad address", function()
    local data, msg, code = snare.read(0, 8)
    assert.is_nil(data)
    assert.matches("cannot read at 0x0", msg)
    assert.equals("BAD_ADDRESS", code)
    assert.is_nil((snare.read_u32(16)))
    assert.is_nil((snare.read_cstring(0)))
    local ok, wmsg = snare.write(0, "x")
    assert.is_nil(ok)
    assert.matches("cannot write at 0x0", wmsg)
    assert.is_nil((snare.write_u8(0, 1)))
  end)

  it("reads code bytes of a loaded library", function()
    local fn = strings:symbol("my_strlen")
    local bytes = assert(snare.read(fn, 4))
    assert.equals(4, #bytes)
    assert.equals(bytes:byte(1), snare.read_u8(fn))
    assert.equals("", snare.read(fn, 0))
    assert.has_error(function() snare.read(fn, -1) end)
    assert.has_error(function() snare.read("x", 1) end)
  end)

  it("round-trips writes and reads in the target's memory", function()
    local s, text = stopped_with("hello world")
    assert.equals("hello world", s:read_cstring(text))
    assert.equals("hello", s:read_cstring(text, 5))
    assert.equals("hello", s:read(text, 5))
    assert.is_true(s:write(text, "HELLO"))
    assert.equals("HELLO world", snare.read_cstring(text))
    assert.is_true(snare.write_u32(text, 0xdeadbeef))
    assert.equals(0xdeadbeef, snare.read_u32(text))
    assert.equals(0xbeef, snare.read_u16(text))
    assert.equals(0xef, snare.read_u8(text))
    assert.equals(-17, snare.read_i8(text))
    assert.equals(-16657, snare.read_i16(text))
    assert.equals(-559038737, snare.read_i32(text))
    assert.is_true(snare.write_i64(text, -2))
    assert.equals(-2, snare.read_i64(text))
    assert.equals(-2, snare.read_u64(text)) -- two's complement
    assert.equals(-2, snare.read_ptr(text))
    assert.is_true(snare.write_i8(text, -1))
    assert.equals(255, snare.read_u8(text))
    assert.has_error(function() snare.write_u8(text, 256) end)
    assert.has_error(function() snare.write_i16(text, -40000) end)
    snare.write(text, "abc\0")
    -- the target sees the write
    assert.equals(3, s:continue().value)
  end)

  it("reads strings longer than a chunk, and cuts them at max", function()
    local s, text = stopped_with(string.rep("x", 100))
    assert.equals(100, #s:read_cstring(text))
    assert.equals(10, #s:read_cstring(text, 10))
    assert.has_error(function() s:read_cstring(text, -1) end)
  end)

  it("has session and frame methods that check their object", function()
    local s = helpers.session()
    local seen
    s:breakpoint("my_strlen", {
      condition = function(frame)
        seen = frame:read(frame.regs.rdi, 3) .. frame:read_u8(frame.regs.rdi)
        return false
      end,
    })
    assert.equals(3, s:call("my_strlen", "abc").value)
    assert.equals("abc97", seen)
    local closed = snare.session()
    closed:close()
    assert.has_error(function() closed:read(0, 1) end, "snare.session: closed")
  end)
end)
