--- gdb's view of a 128-bit vector register (`$xmm0`): the union
-- vec128 of its lanes as bfloat16, half, float, double, 8-, 16-, 32-
-- and 64-bit integers and one 128-bit integer, in gdb's member order.
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
-- Member, element type, count and the name gdb's target description
-- gives the lane type.
local lanes = {
  { "v8_bfloat16", bfloat16, 8, "v8bf16" },
  { "v8_half", half, 8, "v8h" },
  { "v4_float", scalar("float", "float", 4, lane), 4, "v4f" },
  { "v2_double", scalar("double", "float", 8, lane), 2, "v2d" },
  { "v16_int8", scalar("int8_t", "int", 1), 16, "v16i8" },
  { "v8_int16", scalar("short", "int", 2), 8, "v8i16" },
  { "v4_int32", scalar("int", "int", 4), 4, "v4i32" },
  { "v2_int64", scalar("long", "int", 8), 2, "v2i64" },
}

local function named(name, t)
  return { kind = "typedef", name = name, target = t, size = t.size,
           loaded = true }
end

local members = {}
for i, l in ipairs(lanes) do
  members[i] = { name = l[1], offset = 0,
                 type = named(l[4], types.array(l[2], l[3])) }
end
members[#members + 1] = { name = "uint128", offset = 0,
                          type = scalar("uint128_t", "int", 16,
                                        { signed = false }) }

--- The type of `$xmmN` (gdb names the union plain "vec128").
vector.vec128 = named("vec128", { kind = "union", name = "vec128", size = 16,
                                  members = members, loaded = true })

--- The value of a vector register from its 16 bytes (`register`: its
-- name, for messages and assignments).
function vector.value(bytes, register)
  return { type = vector.vec128, bytes = bytes, vector_register = register }
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

--- The decimal digits of a 128-bit unsigned integer (16 little-endian
-- bytes): long division of 32-bit limbs, Lua's integers being 64-bit.
function vector.uint128_text(bytes)
  local limbs = { string.unpack("<I4I4I4I4", bytes) }
  limbs[5] = nil
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
  return string.reverse(table.concat(digits))
end

return vector
