--- The value a function just returned, read from the registers the
-- x86-64 System V ABI returns it in, by the function's DWARF type: rax
-- for integers and pointers, xmm0 for float and double, a struct of up
-- to 16 bytes in rax:rdx or xmm0:xmm1 by the class of each eightbyte,
-- a larger one in memory at the address rax holds.
-- @module snare.cli.returned

local expr = require "snare.expr"

local types, value = expr.types, expr.value
local strip = types.strip

local returned = {}

-- Marks each eightbyte of aggregate t (at offset base) that holds
-- anything but float or double as INTEGER.
local function classify(t, base, classes)
  t = strip(t)
  if t.kind == "struct" or t.kind == "union" then
    for _, m in ipairs(t.members or {}) do
      classify(m.type, base + m.offset, classes)
    end
  elseif t.kind == "array" then
    local each = strip(t.target).size or 0
    for i = 0, (t.count or 0) - 1 do
      classify(t.target, base + i * each, classes)
    end
  elseif t.kind ~= "float" then
    classes[base // 8 + 1] = "integer"
  end
end

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
    if size > 16 then
      return value.at(ret, s:reg("rax"))
    end
    local classes = {}
    classify(t, 0, classes)
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
