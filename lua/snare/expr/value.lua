--- Values of C expressions: a type and where its bytes are (memory at
-- `address`, or `bytes` held here: a register, a computed value, a
-- history entry). Memory is read when the bytes are first needed.
--
-- Fields: `type`, `address` (an lvalue in memory), `bytes`, `bitfield`
-- ({offset =, size =} in bits past `address`/`bytes`), `register` (a
-- register's name: assignable), `variable` (a variable not in memory,
-- for frame:set_var), `optimized_out`.
-- @module snare.expr.value

local snare = require "snare"
local types = require "snare.expr.types"
local vector = require "snare.expr.vector"
local image = require "snare.expr.image"

local value = {}

--- Raises gdb's error for memory that cannot be read.
function value.no_memory(addr)
  error(string.format("Cannot access memory at address 0x%x", addr), 0)
end

local formats = { [1] = "1", [2] = "2", [4] = "4", [8] = "8" }
-- string.unpack's formats per size, made once (a condition unpacks at
-- every hit)
local signed_formats, unsigned_formats = {}, {}
for size, digits in pairs(formats) do
  signed_formats[size], unsigned_formats[size] = "<i" .. digits, "<I" .. digits
end

--- The value's bytes (reads its memory once).
function value.bytes(v)
  if v.bytes then
    return v.bytes
  end
  if v.optimized_out then
    error("value has been optimized out", 0)
  end
  local size = types.strip(v.type).size or 0
  if v.bitfield then
    size = (v.bitfield.offset + v.bitfield.size + 7) // 8
  end
  if not v.address then
    error("value is not available", 0)
  end
  local bytes = size == 0 and "" or snare.read(image.loaded(v.address), size)
  if not bytes then
    value.no_memory(v.address)
  end
  v.bytes = bytes
  return bytes
end

local function unpack_int(bytes, size, signed, at)
  at = at or 1
  if size > 8 then
    size = 8
  end
  if not formats[size] then -- 3, 5, 6, 7 bytes: widen
    bytes = bytes:sub(at, at + size - 1) .. string.rep("\0", 8 - size)
    local u = string.unpack("<I8", bytes)
    if signed and u >> (8 * size - 1) & 1 == 1 then
      u = u | (-1 << (8 * size))
    end
    return u
  end
  return (string.unpack(signed and signed_formats[size]
                        or unsigned_formats[size], bytes, at))
end

--- Truncates integer n to `size` bytes, sign-extending when signed.
function value.wrap(n, size, signed)
  if size >= 8 then
    return n
  end
  local bits = 8 * size
  n = n & ((1 << bits) - 1)
  if signed and n >> (bits - 1) == 1 then
    n = n - (1 << bits)
  end
  return n
end

--- The Lua number a scalar value holds (integers, enums, bools and
-- pointers as integers; floats as floats).
function value.number(v)
  if v.number ~= nil then -- known already: a literal, a compiled read
    return v.number
  end
  local t = types.strip(v.type)
  local bytes = value.bytes(v)
  local kind = t.kind
  if v.bitfield then
    local bf = v.bitfield
    local raw = unpack_int(bytes .. string.rep("\0", 8), 8, false)
    local n = (raw >> bf.offset) & ((1 << bf.size) - 1)
    if types.is_signed(t) and (n >> (bf.size - 1)) & 1 == 1 then
      n = n - (1 << bf.size)
    end
    return n
  end
  if kind == "float" then
    if t.size == 4 then
      return (string.unpack("<f", bytes))
    elseif t.size == 8 then
      return (string.unpack("<d", bytes))
    elseif t.size == 2 and t.half_format then -- a vector register's lane
      return vector.widen(string.unpack("<I2", bytes), t.half_format)
    elseif t.x87 then -- an x87 register, to the nearest double
      return vector.x87_number(bytes)
    end
    error("Cannot use a floating-point value of " .. t.size .. " bytes", 0)
  elseif kind == "pointer" then
    return unpack_int(bytes, 8, false)
  elseif kind == "int" or kind == "bool" or kind == "enum" then
    return unpack_int(bytes, t.size, types.is_signed(t))
  end
  error(string.format("Value of type %s is not a number", types.name(v.type)),
        0)
end

--- A value of scalar type t holding number n (converted as C converts).
function value.of(t, n)
  local s = types.strip(t)
  local bytes
  if s.kind == "float" then
    n = n + 0.0
    bytes = s.size == 4 and string.pack("<f", n) or string.pack("<d", n)
  else
    if math.type(n) == "float" then
      if n ~= n or n >= 2.0 ^ 63 or n < -(2.0 ^ 63) then
        n = n >= 2.0 ^ 63 and math.tointeger(n - 2.0 ^ 64) or math.mininteger
      else
        n = math.tointeger(n < 0 and math.ceil(n) or math.floor(n))
      end
    end
    if s.kind == "bool" then
      n = n ~= 0 and 1 or 0
    end
    local size = s.size or 8
    n = value.wrap(n, size, false)
    bytes = string.pack("<I8", n):sub(1, size)
  end
  return { type = t, bytes = bytes }
end

--- The value a C++ static member's declaration gives (core.type_info's
-- part with `value` or `value_bytes`: DW_AT_const_value), or nil.
function value.constant(part)
  local t = part.type and types.strip(part.type)
  if part.value and t.kind == "float" then -- (its bits, in a data form)
    return { type = part.type,
             bytes = string.pack("<i8", part.value):sub(1, t.size) }
  elseif part.value then
    return value.of(part.type, part.value)
  elseif part.value_bytes then
    return { type = part.type, bytes = part.value_bytes }
  end
end

--- A value of type t at address (an lvalue).
function value.at(t, address)
  return { type = t, address = address }
end

--- What a C++ reference v refers to (gdb's coerce_ref); v itself when
-- it is no reference.
function value.referenced(v)
  local t = types.strip(v.type)
  if t.kind ~= "reference" and t.kind ~= "rvalue_reference" then
    return v
  end
  return value.at(t.target, string.unpack("<I8", value.bytes(v)))
end

--- A copy holding its bytes, as history keeps values (`$1` stays what
-- was printed).
function value.snapshot(v)
  local copy = {}
  for k, x in pairs(v) do
    copy[k] = x
  end
  if not copy.optimized_out and types.strip(v.type).kind ~= "function" then
    local ok, bytes = pcall(value.bytes, v)
    copy.bytes = ok and bytes or nil
  end
  return copy
end

return value
