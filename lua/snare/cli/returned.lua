--- The value a function just returned, read from the registers the
-- x86-64 System V ABI returns it in, by the function's DWARF type: rax
-- for integers and pointers, xmm0 for float and double, a struct of up
-- to 16 bytes in rax:rdx or xmm0:xmm1 by the class of each eightbyte,
-- a larger one in memory at the address rax holds.
-- @module snare.cli.returned

local expr = require "snare.expr"
local abi = require "snare.expr.abi"

local types, value = expr.types, expr.value
local strip = types.strip

local returned = {}

--- The returned value of type `ret` in the stopped session s, or nil
-- (void, or a type this does not read: long double).
function returned.value(s, ret)
  local t = strip(ret)
  local kind = t.kind
  if kind == "void" then
    return nil
  elseif kind == "float" then
    if t.size > 8 then
      return nil
    end
    return { type = ret, bytes = s:xmm(0):sub(1, t.size) }
  elseif kind == "struct" or kind == "union" or kind == "array" then
    local size = t.size or 0
    local classes = abi.classify(t)
    if not classes then -- in memory, at the address rax holds
      return value.at(ret, s:reg("rax"))
    end
    local ints, sses = { "rax", "rdx" }, { 0, 1 }
    local bytes = {}
    for i = 1, (size + 7) // 8 do
      if classes[i] == "integer" then
        bytes[i] = string.pack("<i8", s:reg(table.remove(ints, 1)))
      else
        bytes[i] = s:xmm(table.remove(sses, 1)):sub(1, 8)
      end
    end
    return { type = ret, bytes = table.concat(bytes):sub(1, size) }
  end
  return value.of(ret, s:reg("rax"))
end

return returned
