--- The x86-64 System V calling convention for calls made from
-- expressions: each argument's class (INTEGER, SSE, MEMORY; a struct of
-- up to 16 bytes by the class of each eightbyte), where it goes
-- (integer registers, vector registers, stack words), and where the
-- result comes back. The plan is what `s:call_abi` takes.
-- @module snare.expr.abi

local types = require "snare.expr.types"

local strip = types.strip

local abi = {}

local function fail(fmt, ...)
  error(string.format(fmt, ...), 0)
end

-- Merges the classes of the scalars of t (at byte offset base) into
-- classes (one per eightbyte: "integer" wins over "sse"); false when a
-- scalar makes the whole aggregate MEMORY (long double, unaligned).
local function merge(t, base, classes)
  t = strip(t)
  local kind = t.kind
  if kind == "struct" or kind == "union" then
    for _, m in ipairs(t.members or {}) do
      if m.bit_size then
        classes[(base + m.offset) // 8 + 1] = "integer"
      elseif not merge(m.type, base + m.offset, classes) then
        return false
      end
    end
    return true
  elseif kind == "array" then
    local each = strip(t.target).size or 0
    for i = 0, (t.count or 0) - 1 do
      if not merge(t.target, base + i * each, classes) then
        return false
      end
    end
    return true
  end
  local size = t.size or 8
  if base % size ~= 0 or (kind == "float" and size > 8) then
    return false
  end
  local slot = base // 8 + 1
  if kind == "float" then
    classes[slot] = classes[slot] or "sse"
  else
    classes[slot] = "integer"
  end
  return true
end

--- The classes of aggregate t's eightbytes ({"integer", "sse"}...), or
-- nil when it is passed and returned in memory (over 16 bytes, or a
-- member that forces it).
function abi.classify(t)
  local size = strip(t).size or 0
  if size == 0 or size > 16 then
    return nil
  end
  local classes = {}
  if not merge(t, 0, classes) then
    return nil
  end
  for i = 1, (size + 7) // 8 do
    classes[i] = classes[i] or "sse" -- padding only
  end
  return classes
end

local function is_aggregate(t)
  local kind = strip(t).kind
  return kind == "struct" or kind == "union" or kind == "array"
end

-- The 8-byte words of bytes (zero-padded).
local function eightbytes(bytes)
  local padded = bytes .. string.rep("\0", (-#bytes) % 8)
  local list = {}
  for i = 1, #padded, 8 do
    list[#list + 1] = padded:sub(i, i + 7)
  end
  return list
end

local function word(bytes)
  return (string.unpack("<i8", bytes))
end

--- Where the result of return type ret comes back: the plan's `ret`
-- and `memory` (a struct returned in memory: its size).
function abi.result_class(ret)
  local t = strip(ret)
  if t.kind == "float" then
    if t.size > 8 then
      fail("Functions returning long double cannot be called from snare.")
    end
    return "sse"
  elseif not is_aggregate(t) then
    return "integer"
  end
  local classes = abi.classify(t)
  if not classes then
    return "integer", t.size
  end
  local first, second = classes[1], classes[2] or classes[1]
  if first == second then
    return first
  end
  return first .. "_" .. second
end

--- A plan for `s:call_abi` from a list of arguments, each
-- `{type = T, bytes = B}` (the converted value's bytes) or `{word = W}`
-- (an integer or a string the call passes a copy of), and the return
-- type.
function abi.plan(args, ret)
  local plan = { ints = {}, sse = {}, stack = {} }
  plan.ret, plan.memory = abi.result_class(ret)
  local ints, sse, stack = plan.ints, plan.sse, plan.stack
  if plan.memory then
    ints[1] = 0 -- rdi: the result's buffer, which the call fills in
  end
  for _, a in ipairs(args) do
    if a.word ~= nil then
      table.insert(#ints < 6 and ints or stack, a.word)
    elseif strip(a.type).kind == "float" then
      local bytes = eightbytes(a.bytes)[1]
      if #sse < 8 then
        sse[#sse + 1] = bytes
      else
        stack[#stack + 1] = word(bytes)
      end
    else
      local classes = abi.classify(a.type)
      local words = eightbytes(a.bytes)
      local need = { integer = 0, sse = 0 }
      for _, c in ipairs(classes or {}) do
        need[c] = need[c] + 1
      end
      if classes and #ints + need.integer <= 6 and #sse + need.sse <= 8 then
        for i, c in ipairs(classes) do
          if c == "integer" then
            ints[#ints + 1] = word(words[i])
          else
            sse[#sse + 1] = words[i]
          end
        end
      else -- MEMORY, or no registers left for all of it: the stack
        for _, w in ipairs(words) do
          stack[#stack + 1] = word(w)
        end
      end
    end
  end
  if #stack > 16 then
    fail("Too many arguments for a call from snare (at most 128 bytes on "
         .. "the stack).")
  end
  return plan
end

--- The value of return type ret from a finished call's `returned`
-- (`first`, `second` eightbytes, `memory`): a {type =, bytes =} value.
function abi.result(ret, returned)
  local size = strip(ret).size or 8
  if returned.memory then
    return { type = ret, bytes = returned.memory }
  end
  local bytes = string.pack("<i8i8", returned.first, returned.second)
  return { type = ret, bytes = bytes:sub(1, size) }
end

return abi
