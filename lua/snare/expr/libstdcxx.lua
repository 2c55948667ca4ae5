--- libstdc++'s types as gdb prints them with the Python pretty-printers
-- it auto-loads from libstdc++ (printers.py of GCC 12): std::string,
-- std::vector, std::map, std::set, std::unordered_map/set, std::list,
-- std::unique_ptr, std::shared_ptr/weak_ptr, std::tuple, std::pair. A
-- printer is picked by the type's name (typedefs taken off); each gives
-- the text gdb's to_string does and the children gdb lists after it, laid out
-- here as gdb's print_children does (at most `print elements`, 200,
-- children; a map's keys and values each count). Memory that cannot be
-- read gives gdb's "<error reading variable: ...>" where it stops the
-- walk; the walks follow links at most as far as the counts allow.
-- @module snare.expr.libstdcxx

local snare = require "snare"
local types = require "snare.expr.types"
local value = require "snare.expr.value"
local image = require "snare.expr.image"
local object = require "snare.expr.cxx_object"

local libstdcxx = {}

local strip = types.strip
local ELEMENTS = 200 -- gdb's `print elements`
-- a red-black tree of 2^64 nodes is at most 128 deep: a longer run of
-- left or parent links is a cycle of a corrupt tree
local TREE_DEPTH = 128

local function number_text(n)
  return require("snare.expr.format").unsigned(n)
end

-- gdb's num_elements: "1 element", "N elements".
local function elements(n)
  return n == 1 and "1 element" or number_text(n) .. " elements"
end

-- A pointer difference in elements of `size` bytes, as C's (toward 0).
local function difference(a, b, size)
  local d = a - b
  size = math.max(size or 1, 1)
  return d >= 0 and d // size or -((-d) // size)
end

-- The children of a list of values as gdb's iterators yield them:
-- {name, value} pairs from `next_value()` (nil at the end), named [0],
-- [1], ...
local function counted(next_value)
  local count = -1
  return function()
    local v = next_value()
    if v == nil then
      return nil
    end
    count = count + 1
    return string.format("[%d]", count), v
  end
end

-- A map's children: key then value of each pair `next_pair()` gives.
local function keys_and_values(next_pair)
  local pending
  return function()
    if pending then
      local v = pending
      pending = nil
      return "", v
    end
    local pair = next_pair()
    if pair == nil then
      return nil
    end
    pending = object.member(pair, "second")
    return "", object.member(pair, "first")
  end
end

local function string_printer(v)
  local chars = object.member(v, "_M_dataplus")
  local p = object.number(chars, "_M_p")
  local length = object.number(v, "_M_string_length")
  if p == 0 and length ~= 0 then -- (gdb's lazy_string refuses it)
    error(string.format("Cannot create a lazy string with address 0x%x, "
                        .. "and a non-zero length.", p), 0)
  end
  local n = (length < 0 or length > ELEMENTS) and ELEMENTS or length
  local bytes = n == 0 and "" or snare.read(image.loaded(p), n)
  if not bytes then
    return { head = string.format(
      "<error: Cannot access memory at address 0x%x>", p) }
  end
  return { head = require("snare.expr.format").string_text(bytes, n < length
                                                            or length < 0) }
end

local function vector_printer(v, t, typename)
  local impl = object.member(v, "_M_impl")
  local start_value = object.member(impl, "_M_start")
  if strip(object.template_argument(t, 1) or types.void).kind == "bool" then
    local p = object.member(start_value, "_M_p")
    local word = strip(p.type).target
    local size = strip(word).size
    local finish_value = object.member(impl, "_M_finish")
    local start, finish = value.number(p), object.number(finish_value, "_M_p")
    local finish_bit = object.number(finish_value, "_M_offset")
    local stop = object.number(impl, "_M_end_of_storage")
    local bits = 8 * size
    local item, bit = start, 0
    return {
      head = string.format("%s<bool> of length %d, capacity %d", typename,
                           bits * difference(finish, start, size) + finish_bit,
                           bits * difference(stop, start, size)),
      hint = "array",
      children = function()
        if item == finish and bit >= finish_bit then
          return nil
        end
        local w = value.number(value.at(word, item))
        local b = (w >> bit) & 1
        bit = bit + 1
        if bit >= bits then
          item, bit = item + size, 0
        end
        return "", value.of(types.builtin._Bool, b)
      end,
    }
  end
  local elem = strip(start_value.type).target
  local size = strip(elem).size
  local start = value.number(start_value)
  local finish = object.number(impl, "_M_finish")
  local stop = object.number(impl, "_M_end_of_storage")
  local item = start
  return {
    head = string.format("%s of length %d, capacity %d", typename,
                         difference(finish, start, size),
                         difference(stop, start, size)),
    hint = "array",
    children = function()
      if item == finish then
        return nil
      end
      local e = value.at(elem, item)
      item = item + math.max(size or 1, 1)
      return "", e
    end,
  }
end

-- The values of a red-black tree (std::map's, std::set's _M_t) in
-- order, as gdb's RbtreeIterator walks it, and their count.
local function tree_values(v)
  local tree = object.member(v, "_M_t")
  local impl = object.member(tree, "_M_impl")
  local header = object.member(impl, "_M_header")
  local link = object.member(header, "_M_left")
  local node_type = strip(link.type).target
  local links = strip(node_type).size
  local stored = object.template_argument(tree.type, 2)
  local size = object.number(impl, "_M_node_count")
  local node, count = value.number(link), 0
  local function field(at, name)
    return object.number(value.at(node_type, at), name)
  end
  local function next_node(at)
    if field(at, "_M_right") ~= 0 then
      at = field(at, "_M_right")
      for _ = 1, TREE_DEPTH do
        local left = field(at, "_M_left")
        if left == 0 then
          return at
        end
        at = left
      end
    else
      local parent = field(at, "_M_parent")
      for _ = 1, TREE_DEPTH do
        if at ~= field(parent, "_M_right") then
          return field(at, "_M_right") ~= parent and parent or at
        end
        at, parent = parent, field(parent, "_M_parent")
      end
    end
    error("Cannot follow the tree's links: they do not end", 0)
  end
  return size, function()
    if count == size then
      return nil
    end
    local result = node
    count = count + 1
    if count < size then
      node = next_node(node)
    end
    return object.after(result, links, stored)
  end
end


-- The values of a hash table (std::unordered_map's _M_h) as gdb's
-- StdHashtableIterator walks its singly linked nodes, and their count.
local function hash_values(v)
  local table_value = object.member(v, "_M_h")
  local first = object.member(object.member(table_value, "_M_before_begin"),
                              "_M_nxt")
  local node_type = strip(first.type).target
  local links = strip(node_type).size
  local stored = object.template_argument(table_value.type, 2)
  local node = value.number(first)
  return object.number(table_value, "_M_element_count"), function()
    if node == 0 then
      return nil
    end
    local at = node
    node = object.number(value.at(node_type, at), "_M_nxt")
    return object.after(at, links, stored)
  end
end

-- The printer of an associative container whose values `walk(v)`
-- gives (with their count): "T with N elements", a map's children its
-- keys and values, a set's [i] = value.
local function associative(walk, is_map)
  return function(v, _, typename)
    local size, next_value = walk(v)
    return { head = typename .. " with " .. elements(size),
             hint = is_map and "map" or nil,
             children = is_map and keys_and_values(next_value)
               or counted(next_value) }
  end
end

local map_printer, set_printer = associative(tree_values, true),
  associative(tree_values, false)
local hash_map_printer, hash_set_printer = associative(hash_values, true),
  associative(hash_values, false)

local function list_printer(v, t, typename)
  local head = object.member(object.member(v, "_M_impl"), "_M_node")
  if not head.address then
    error("value is not available", 0)
  end
  local link = object.member(head, "_M_next")
  local node_type = strip(link.type).target
  local links = strip(node_type).size
  local stored = object.template_argument(t, 1)
  local node = value.number(link)
  return {
    head = node == head.address and "empty " .. typename or typename,
    children = counted(function()
      if node == head.address then
        return nil
      end
      local at = node
      node = object.number(value.at(node_type, at), "_M_next")
      return object.after(at, links, stored)
    end),
  }
end

-- The elements of a std::tuple (or the tuple inside a unique_ptr) as
-- gdb's StdTuplePrinter walks its _Tuple_impl bases: each holds its
-- element in a _Head_base base (as _M_head_impl, or the base itself
-- for an empty class) and the rest in a _Tuple_impl base before it.
local function tuple_elements(v)
  local fields = object.fields(v)
  local node = v
  if #fields == 1 or (#fields == 2 and fields[2].name
                       and fields[2].name:match("^std::__tuple_base<")) then
    node = fields[1].value
  end
  return function()
    if not node then
      return nil
    end
    local nodes = object.fields(node)
    if #nodes == 0 then
      return nil
    elseif #nodes > 2 then
      error("Cannot parse more than 2 nodes in a tuple tree.", 0)
    end
    local impl
    if #nodes == 1 then
      impl, node = nodes[1].value, nil
    else
      impl, node = nodes[2].value, nodes[1].value
    end
    local inner = object.fields(impl)
    if inner[1] and inner[1].name == "_M_head_impl" then
      return inner[1].value
    end
    return impl
  end
end

local function tuple_printer(v, _, typename)
  if #object.fields(v) == 0 then
    return { head = "empty " .. typename }
  end
  local next_element, count = tuple_elements(v), 0
  return {
    head = typename .. " containing",
    children = function()
      local e = next_element()
      if e == nil then
        return nil
      end
      count = count + 1
      return string.format("[%d]", count), e
    end,
  }
end

-- A smart pointer's child: get() = the pointer.
local function pointer_child(p)
  local given = false
  return function()
    if given then
      return nil
    end
    given = true
    return "get()", p
  end
end

local function argument_name(t)
  return types.name(object.template_argument(t, 1) or types.void)
end

local function unique_printer(v, t, typename)
  local held = object.member(v, "_M_t")
  if not (strip(held.type).name or ""):match("^std::tuple<") then
    held = object.member(held, "_M_t") -- __uniq_ptr_data, __uniq_ptr_impl
  end
  return { head = typename .. "<" .. argument_name(t) .. ">",
           children = pointer_child(tuple_elements(held)()) }
end

local function shared_printer(v, t, typename)
  local counts = object.member(object.member(v, "_M_refcount"), "_M_pi")
  local state = "empty"
  if value.number(counts) ~= 0 then
    local base = object.target(counts)
    local use = object.number(base, "_M_use_count")
    local weak = object.number(base, "_M_weak_count")
    state = use == 0 and string.format("expired, weak count %d", weak)
      or string.format("use count %d, weak count %d", use, weak - 1)
  end
  return { head = string.format("%s<%s> (%s)", typename, argument_name(t),
                                state),
           children = pointer_child(object.member(v, "_M_ptr")) }
end

-- std::pair: no text of its own, first and second (its __pair_base
-- left out).
local function pair_printer(v)
  local which = { "first", "second" }
  local i = 0
  return {
    children = function()
      i = i + 1
      if which[i] then
        return which[i], object.member(v, which[i])
      end
    end,
  }
end

local printers = {
  ["std::__cxx11::basic_string"] = string_printer,
  ["std::basic_string"] = string_printer,
  ["std::vector"] = vector_printer,
  ["std::map"] = map_printer, ["std::multimap"] = map_printer,
  ["std::set"] = set_printer, ["std::multiset"] = set_printer,
  ["std::unordered_map"] = hash_map_printer,
  ["std::unordered_multimap"] = hash_map_printer,
  ["std::unordered_set"] = hash_set_printer,
  ["std::unordered_multiset"] = hash_set_printer,
  ["std::__cxx11::list"] = list_printer, ["std::list"] = list_printer,
  ["std::unique_ptr"] = unique_printer,
  ["std::shared_ptr"] = shared_printer, ["std::weak_ptr"] = shared_printer,
  ["std::tuple"] = tuple_printer, ["std::pair"] = pair_printer,
}

-- The template's name of a type named "NAME<ARGS>" (its arguments
-- closing at the end: not a member type of an instance), or nil.
local function template_name(name)
  local base, open = name:match("^([%w_:]+)()<")
  if not base or name:sub(-1) ~= ">" then
    return nil
  end
  local depth = 0
  for i = open, #name do
    local c = name:sub(i, i)
    if c == "<" then
      depth = depth + 1
    elseif c == ">" then
      depth = depth - 1
      if depth == 0 and i < #name then
        return nil
      end
    end
  end
  return base
end

-- type -> {printer, typename} or false, found once per type
local chosen = setmetatable({}, { __mode = "k" })

local function printer_of(t)
  local found = chosen[t]
  if found == nil then
    local typename = t.cplus and t.name and template_name(t.name)
    local printer = typename and printers[typename]
    if printer == string_printer then
      -- (a string of chars only: gdb's wide strings are not done here)
      local unit = object.template_argument(t, 1)
      printer = unit and strip(unit).size == 1 and printer or nil
    end
    found = printer and { printer = printer, typename = typename } or false
    chosen[t] = found
  end
  return found or nil
end

-- The text of a printer's result as gdb's print_children lays it out
-- after to_string's: " = {...}", a map's children as [key] = value, an
-- array's bare, the others as name = value; `set print pretty` puts
-- each child (but an array's) on its own line; in summary mode (opts.
-- summary: a frame line's argument) the children are "{...}".
local function layout(result, opts, depth, render)
  local children = result.children
  local out = { result.head }
  if not children then
    return result.head
  end
  local is_map, is_array = result.hint == "map", result.hint == "array"
  local pretty = opts.pretty and not is_array
  local indent = "\n" .. string.rep(" ", 2 + 2 * depth)
  local i, done = 0, false
  local ok, err = pcall(function()
    while i < ELEMENTS do
      local name, child = children()
      if name == nil then
        done = true
        return
      end
      if i == 0 then
        out[#out + 1] = result.head and " = {" or "{"
        if opts.summary then -- (a frame line's argument)
          i = 1
          return
        end
      elseif not is_map or i % 2 == 0 then
        out[#out + 1] = pretty and "," or ", "
      end
      if pretty and (not is_map or i % 2 == 0) then
        out[#out + 1] = indent
      end
      if is_map and i % 2 == 0 then
        out[#out + 1] = "["
      elseif not is_array and not is_map then
        out[#out + 1] = name .. " = "
      end
      out[#out + 1] = render(child, opts, depth + 1, false)
      if is_map and i % 2 == 0 then
        out[#out + 1] = "] = "
      end
      i = i + 1
    end
  end)
  if not ok then
    out[#out + 1] = "<error reading variable: " .. tostring(err) .. ">"
  end
  if i > 0 then
    if not done then
      out[#out + 1] = (pretty and indent or "") .. "..."
    end
    out[#out + 1] = (pretty and "\n" .. string.rep(" ", 2 * depth) or "")
      .. "}"
  end
  return table.concat(out)
end

--- Whether a libstdc++ printer takes struct type t (stripped).
function libstdcxx.takes(t)
  return printer_of(t) ~= nil
end

--- The text gdb's libstdc++ printer gives struct value v of (stripped)
-- type t, or nil when no printer takes t. `render(value, opts, depth,
-- top)` prints a child; opts as format.value's.
function libstdcxx.text(v, t, opts, depth, render)
  local found = printer_of(t)
  if not found then
    return nil
  end
  local ok, result = pcall(found.printer, v, t, found.typename)
  if not ok then
    local message = tostring(result)
    if message:match("^There is no member named ") then
      return nil -- another layout than the printer knows: the raw struct
    end
    return "<error reading variable: " .. message .. ">"
  end
  return layout(result, opts, depth, render)
end

return libstdcxx
