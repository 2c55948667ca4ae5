--- C++ objects read by their DWARF layout, for the printers of
-- libstdc++'s types (snare.expr.libstdcxx) and C++ expressions: a member
-- found through the base classes, the fields gdb's `Type.fields()` lists (bases and data
-- members in declaration order), template arguments, and the alignment
-- that places a node's value after its links.
-- @module snare.expr.cxx_object

local types = require "snare.expr.types"
local value = require "snare.expr.value"

local strip = types.strip
local object = {}

--- The part of v of type t at byte offset: in memory where v is, else
-- cut from its bytes.
function object.at(v, t, offset)
  if v.address then
    return value.at(t, v.address + offset)
  end
  local size = strip(t).size or 0
  return { type = t, bytes = value.bytes(v):sub(offset + 1, offset + size) }
end

--- The fields of v as gdb's Type.fields() lists them: {name =, value =,
-- base = true for a base class}, in declaration order.
function object.fields(v)
  local t = strip(v.type)
  if not t.parts then
    local list = {}
    for i, m in ipairs(t.members or {}) do
      list[i] = { name = m.name, value = object.at(v, m.type, m.offset) }
    end
    return list
  end
  local list, next_member = {}, 1
  for _, part in ipairs(t.parts) do
    if part.kind == "member" then
      local m = t.members[next_member]
      next_member = next_member + 1
      list[#list + 1] = { name = m.name, value = object.at(v, m.type, m.offset) }
    elseif part.kind == "base" then
      list[#list + 1] = { base = true, name = types.name(part.type),
                          value = object.at(v, part.type, part.offset) }
    end
  end
  return list
end

--- Data member `name` of struct or union type t as C++ finds it: its
-- own, an anonymous struct's or union's, or a base class's (bases in
-- declaration order, depth first); the member and its offset past
-- `base`, or nil.
function object.find_member(t, name, base)
  -- (a name is in one place only: the anonymous members and the bases
  -- are searched after the named members)
  local inner = {}
  for _, m in ipairs(t.members or {}) do
    if m.name == name then
      return m, base + m.offset
    elseif not m.name then
      inner[#inner + 1] = m
    end
  end
  for _, part in ipairs(t.parts or {}) do
    if part.kind == "base" and not part.virtual then
      inner[#inner + 1] = part
    end
  end
  for _, place in ipairs(inner) do
    local found, at = object.find_member(strip(place.type), name,
                                         base + place.offset)
    if found then
      return found, at
    end
  end
end

--- Data member `name` of struct value v (gdb's val['name']); an error
-- names what is missing.
function object.member(v, name)
  local m, at = object.find_member(strip(v.type), name, 0)
  if not m then
    error(string.format("There is no member named %s.", name), 0)
  end
  return object.at(v, m.type, at)
end

--- The number member `name` of v holds (a count, a pointer's address).
function object.number(v, name)
  return value.number(object.member(v, name))
end

--- What pointer value p points to.
function object.target(p)
  return value.at(strip(p.type).target, value.number(p))
end

--- Template type argument i (from 1) of struct type t, or nil.
function object.template_argument(t, i)
  local n = 0
  for _, part in ipairs(strip(t).parts or {}) do
    if part.kind == "template_type" then
      n = n + 1
      if n == i then
        return part.type
      end
    end
  end
end

--- The alignment C++ gives type t (its largest scalar's size, 16 at
-- most).
function object.alignment(t)
  t = strip(t)
  if t.kind == "array" then
    return object.alignment(t.target)
  elseif t.kind == "struct" or t.kind == "union" then
    local most = 1
    for _, m in ipairs(t.members or {}) do
      most = math.max(most, object.alignment(m.type))
    end
    for _, part in ipairs(t.parts or {}) do
      if part.kind == "base" then
        most = math.max(most, object.alignment(part.type))
      end
    end
    return most
  end
  return math.min(math.max(t.size or 1, 1), 16)
end

--- A value of type t stored after `links` bytes of a node at address:
-- the node's value, as libstdc++'s nodes keep it past their links.
function object.after(address, links, t)
  local align = object.alignment(t)
  return value.at(t, address + (links + align - 1) // align * align)
end

return object
