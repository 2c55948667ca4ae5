--- gdb's view of a vector register (`$xmm0`, `$ymm0`, `$zmm0`): the
-- union vec128 (vec256, vec512) of its lanes as bfloat16, half, float,
-- double, 8-, 16-, 32- and 64-bit integers and 128-bit integers, in
-- gdb's member order.
-- @module snare.expr.vector

local types = require "snare.expr.types"

local vector = {}

local function scalar(name, kind, size, extra)
  local t = { kind = kind, size = size, name = name, loaded = true,
              signed = kind == "int" or nil }
  for k, v in pairs(extra or {}) do
    t[k] = v
  end
  return t
end

-- Float lanes print their bits under /x, as gdb's vector registers do
-- (`vector_lane`). The 16-bit floats: `half_format` tells value.number
-- how to widen them.
local lane = { vector_lane = true }
local bfloat16 = scalar("bfloat16", "float", 2,
                        { half_format = "bfloat16", vector_lane = true })
local half = scalar("_Float16", "float", 2,
                    { half_format = "binary16", vector_lane = true })
-- Member name, element type, element size and the abbreviation of the
-- lane type's name in gdb's target description (v4f: 4 floats).
local lanes = {
  { "bfloat16", bfloat16, 2, "bf16" },
  { "half", half, 2, "h" },
  { "float", scalar("float", "float", 4, lane), 4, "f" },
  { "double", scalar("double", "float", 8, lane), 8, "d" },
  { "int8", scalar("int8_t", "int", 1), 1, "i8" },
  { "int16", scalar("short", "int", 2), 2, "i16" },
  { "int32", scalar("int", "int", 4), 4, "i32" },
  { "int64", scalar("long", "int", 8), 8, "i64" },
}

local function named(name, t)
  return { kind = "typedef", name = name, target = t, size = t.size,
           loaded = true }
end

-- gdb's union of a `size`-byte vector register: the lanes of each width,
-- then its 128-bit parts (one uint128 in xmm, signed int128 lanes in the
-- wider ones).
local function union(name, size)
  local members = {}
  for i, l in ipairs(lanes) do
    local n = size // l[3]
    members[i] = { name = "v" .. n .. "_" .. l[1], offset = 0,
                   type = named("v" .. n .. l[4], types.array(l[2], n)) }
  end
  if size == 16 then
    members[#members + 1] = { name = "uint128", offset = 0,
                              type = scalar("uint128_t", "int", 16,
                                            { signed = false }) }
  else
    local n = size // 16
    members[#members + 1] = {
      name = "v" .. n .. "_int128", offset = 0,
      type = named("v" .. n .. "i128",
                   types.array(scalar("int128_t", "int", 16), n)) }
  end
  return { kind = "union", name = name, size = size, members = members,
           loaded = true }
end

--- The types of `$xmmN`, `$ymmN` and `$zmmN`, named as gdb names them.
vector.vec128 = union("vec128", 16)
vector.vec256 = union("builtin_type_vec256i", 32)
vector.vec512 = union("builtin_type_vec512i", 64)

local by_size = { [16] = vector.vec128, [32] = vector.vec256,
                  [64] = vector.vec512 }

--- The value of a vector register from its 16, 32 or 64 bytes
-- (`register`: its name, for messages and assignments).
function vector.value(bytes, register)
  return { type = by_size[#bytes], bytes = bytes, vector_register = register }
end

-- A 16-bit float's number: bfloat16 is a float's upper half; binary16
-- (IEEE half) has 5 exponent bits and 10 mantissa bits.
function vector.widen(bits, half_format)
  if half_format == "bfloat16" then
    return (string.unpack("<f", string.pack("<I4", bits << 16)))
  end
  local sign = (bits >> 15) == 1 and -1 or 1
  local exponent, mantissa = (bits >> 10) & 0x1f, bits & 0x3ff
  if exponent == 0 then
    return sign * mantissa * 2.0 ^ -24
  elseif exponent == 0x1f then
    return mantissa == 0 and sign * math.huge or 0 / 0
  end
  return sign * (1 + mantissa / 1024) * 2.0 ^ (exponent - 15)
end

--- The number an x87 register's 10 bytes hold, rounded to a double
-- (its 64-bit mantissa to 53 bits).
function vector.x87_number(bytes)
  local mantissa, top = string.unpack("<I8I2", bytes)
  local sign = top >> 15 == 1 and -1 or 1
  local exponent = top & 0x7fff
  if exponent == 0x7fff then
    return (mantissa << 1) == 0 and sign * math.huge or 0 / 0
  end
  -- the mantissa as two exact halves: an integer bit, then 63 fraction bits
  local high, low = mantissa >> 32, mantissa & 0xffffffff
  local m = high * 2.0 ^ 32 + low
  return sign * m * 2.0 ^ ((exponent == 0 and 1 or exponent) - 16383 - 63)
end

--- The decimal digits of a 128-bit integer (16 little-endian bytes),
-- unsigned unless `signed`: long division of 32-bit limbs, Lua's
-- integers being 64-bit.
function vector.int128_text(bytes, signed)
  local limbs = { string.unpack("<I4I4I4I4", bytes) }
  limbs[5] = nil
  local sign = ""
  if signed and limbs[4] >> 31 == 1 then -- two's complement: negate
    sign = "-"
    local carry = 1
    for i = 1, 4 do
      local n = (~limbs[i] & 0xffffffff) + carry
      limbs[i], carry = n & 0xffffffff, n >> 32
    end
  end
  local digits = {}
  repeat
    local rest, nonzero = 0, false
    for i = 4, 1, -1 do
      local current = (rest << 32) | limbs[i]
      limbs[i] = current // 10
      rest = current % 10
      nonzero = nonzero or limbs[i] ~= 0
    end
    digits[#digits + 1] = tostring(rest)
  until not nonzero
  return sign .. string.reverse(table.concat(digits))
end

return vector
