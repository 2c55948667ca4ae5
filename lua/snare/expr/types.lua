--- C types for the expression evaluator: DWARF types of the loaded
-- libraries (read lazily, one object per type), C's built-in types, and
-- the pointer, array and function types expressions make.
--
-- A type has `kind`: "void", "int" (`signed`, `is_char`), "float",
-- "bool", "pointer", "array" (`count`), "struct", "union", "enum"
-- (`enumerators`), "function" (`params`, `varargs`, `prototyped`),
-- "typedef", "const", "volatile", "restrict", "reference",
-- "rvalue_reference", "other"; `name` (in C++ with its namespaces and
-- classes: "ns::K"), `size`, `target` (pointee, referent, element,
-- aliased or qualified type, return type), `members` ({name, type,
-- offset, bit_size, bit_offset}); in C++ `cplus`, `class_tag`, `parts`
-- (core.type_info's: methods, static members, template parameters).
-- @module snare.expr.types

local core = require "snare.core"
local cxx_names = require "snare.expr.cxx_names"

local types = {}

local kinds = { signed = "int", unsigned = "int" }

-- gdb's spelling of a base type: "long unsigned int" is "unsigned long"
local canonical = cxx_names.base
types.canonical = canonical

-- owner -> die -> dim -> type (a condition asks at every hit: no
-- string keys to build)
local cache = {}

-- A list of core.type_info's entries with their `type` references made
-- types (nil for nil).
local function typed(list)
  for _, entry in ipairs(list or {}) do
    entry.type = types.from_ref(entry.type)
  end
  return list
end

-- The complete struct, class or union a declaration's name stands for,
-- as gdb completes an opaque type (clang declares Json::Value only in a
-- unit that uses it through references; xmlwf.c, struct
-- XML_ParserStruct): its type_info, or nil.
local function completed(info)
  local name = info.name and (info.cplus
    and (info.scope and info.scope .. "::" or "") .. info.name
    or info.kind .. " " .. info.name)
  local ref = name and core.find_type(name)
  local full = ref and core.type_info(ref)
  return full and not full.declaration and full.kind == info.kind and full
    or nil
end

local function load(t)
  local ref = rawget(t, "ref")
  local info = assert(core.type_info(ref))
  if info.declaration and (info.kind == "struct" or info.kind == "union") then
    info = completed(info) or info
  end
  local kind = kinds[info.kind] or info.kind
  rawset(t, "kind", kind)
  rawset(t, "size", info.size)
  if kind == "int" then
    rawset(t, "signed", info.kind == "signed")
    rawset(t, "is_char", info.is_char)
  end
  if not info.name and info.linkage then -- typedef struct {...} div_t
    info.name = core.demangle("_Z" .. info.linkage)
  end
  if info.name then
    local base = kind == "int" or kind == "float" or kind == "bool"
    local name = base and canonical(info.name) or info.name
    name = info.scope and (info.scope .. "::" .. name) or name
    -- (gdb's C++ names are canonical: pair<Json::Value::CZString const, ...>)
    rawset(t, "name", info.cplus and cxx_names.canonical(name) or name)
  end
  rawset(t, "cplus", info.cplus)
  rawset(t, "class_tag", info.class_tag)
  rawset(t, "parts", typed(info.parts))
  if info.enumerators and info.cplus then
    -- C++ names an enumerator in the enum's scope (the enum's own for an
    -- enum class): ns::red
    local scope = info.enum_class and (info.scope and info.scope .. "::" or "")
                  .. (info.name or "") or info.scope
    for _, e in ipairs(scope and info.enumerators or {}) do
      e.name = scope .. "::" .. e.name
    end
  end
  rawset(t, "declaration", info.declaration)
  if info.target and kind ~= "struct" and kind ~= "union" then
    rawset(t, "target", types.from_ref(info.target))
  end
  rawset(t, "count", info.count)
  rawset(t, "vector", info.vector)
  rawset(t, "members", typed(info.members))
  rawset(t, "enumerators", info.enumerators)
  if info.params then
    for i, p in ipairs(info.params) do
      info.params[i] = types.from_ref(p)
    end
    -- gdb makes a method's `this` const (a definition's is, a class's
    -- declaration's not: GCC PR 43053): "bool (const Json::Value * const)"
    local object = info.object_param and info.params[1]
    if object and object.kind ~= "const" then
      info.params[1] = { kind = "const", target = object, size = object.size,
                         loaded = true }
    end
    rawset(t, "params", info.params)
    rawset(t, "varargs", info.varargs)
    rawset(t, "prototyped", info.prototyped)
  end
  rawset(t, "loaded", true)
end

local lazy = {
  __index = function(t, field)
    if rawget(t, "loaded") then
      return nil
    end
    load(t)
    return rawget(t, field)
  end,
}

local void = { kind = "void", name = "void", size = 1, loaded = true }
types.void = void

--- The type a reference from snare.core stands for (void for none).
function types.from_ref(ref)
  if ref.owner == nil then
    return void
  end
  local by_die = cache[ref.owner]
  if not by_die then
    by_die = {}
    cache[ref.owner] = by_die
  end
  local by_dim = by_die[ref.die]
  if not by_dim then
    by_dim = {}
    by_die[ref.die] = by_dim
  end
  local t = by_dim[ref.dim]
  if not t then
    t = setmetatable({ ref = ref }, lazy)
    by_dim[ref.dim] = t
  end
  return t
end

local builtin = {}
local function define(name, fields)
  fields.name, fields.loaded = name, true
  builtin[name] = fields
  return fields
end
define("char", { kind = "int", size = 1, signed = true, is_char = true })
define("signed char", { kind = "int", size = 1, signed = true, is_char = true })
define("unsigned char", { kind = "int", size = 1, signed = false, is_char = true })
define("short", { kind = "int", size = 2, signed = true })
define("unsigned short", { kind = "int", size = 2, signed = false })
define("int", { kind = "int", size = 4, signed = true })
define("unsigned int", { kind = "int", size = 4, signed = false })
define("long", { kind = "int", size = 8, signed = true })
define("unsigned long", { kind = "int", size = 8, signed = false })
define("long long", { kind = "int", size = 8, signed = true })
define("unsigned long long", { kind = "int", size = 8, signed = false })
define("float", { kind = "float", size = 4 })
define("double", { kind = "float", size = 8 })
define("long double", { kind = "float", size = 16 })
define("_Bool", { kind = "bool", size = 1 })
builtin.void = void
types.builtin = builtin

--- C's built-in type of a spelling ("unsigned", "long int"), or nil.
function types.base(words)
  if builtin[words] then
    return builtin[words]
  end
  for w in words:gmatch("%S+") do
    if not (w == "unsigned" or w == "signed" or w == "int" or w == "char"
            or w == "short" or w == "long" or w == "float" or w == "double"
            or w == "_Bool" or w == "void") then
      return nil
    end
  end
  return builtin[canonical(words)]
end

--- The type with typedefs and qualifiers removed.
function types.strip(t)
  while t.kind == "typedef" or t.kind == "const" or t.kind == "volatile"
        or t.kind == "restrict" do
    t = t.target
  end
  return t
end

local pointers = setmetatable({}, { __mode = "k" })

--- The pointer type to t (one object per t).
function types.pointer(t)
  local p = pointers[t]
  if not p then
    p = { kind = "pointer", size = 8, target = t, loaded = true }
    pointers[t] = p
  end
  return p
end

--- An array of n elements of t.
function types.array(t, n)
  return { kind = "array", count = n, target = t,
           size = n * (types.strip(t).size or 0), loaded = true }
end

--- A function type returning ret, with param types (a list).
function types.func(ret, params, varargs)
  return { kind = "function", target = ret, params = params or {},
           prototyped = params ~= nil, varargs = varargs, size = 1,
           loaded = true }
end

local function qualifier_of(t)
  local kind = t.kind
  return (kind == "const" or kind == "volatile" or kind == "restrict")
    and kind or nil
end

local qualifier_order = { "const", "volatile", "restrict" }
local body -- (below: a struct's, union's or enum's members, as ptype)
-- While a C++ template's body is spelled: its arguments' names -> the
-- parameters' ("int" -> "T"), as gdb writes the members; and the class's
-- name and "::", its own typedefs going by their names alone.
local template_names, class_scope

-- The qualifiers of set ({const = true...}) in gdb's order, or "".
local function qualifier_words(set)
  local words = {}
  for _, q in ipairs(qualifier_order) do
    if set and set[q] then
      words[#words + 1] = q
    end
  end
  return table.concat(words, " ")
end

-- The text of t around declarator decl, as gdb's C type printer writes
-- it: "int *", "char (*)[16]", "int (*)(int)", "const char *". `quals`:
-- the qualifiers over t (a set), written in gdb's order whatever the
-- DWARF's nesting; an array's go to its elements, as C has them.
-- `show` (gdb's): at 0 or above, an anonymous struct, union or enum at
-- the base is spelled out with its members.
local function spell(t, decl, quals, show)
  if qualifier_of(t) then
    local set = {}
    for q in pairs(quals or {}) do
      set[q] = true
    end
    while qualifier_of(t) do
      set[t.kind] = true
      t = t.target
    end
    return spell(t, decl, set, show)
  end
  local kind = t.kind
  local words = qualifier_words(quals)
  if kind == "reference" or kind == "rvalue_reference" then
    local target, under = t.target, t.target
    while qualifier_of(under) do
      under = under.target
    end
    local sign = kind == "reference" and "&" or "&&"
    if under.kind == "array" or under.kind == "function" then
      return spell(target, "(" .. sign .. decl .. ")", nil, show)
    end
    return spell(target, sign .. decl, nil, show)
  elseif kind == "pointer" then
    if words ~= "" then -- "char * const", "char * const&"
      decl = " " .. words .. ((decl == "" or decl:sub(1, 1) == "&") and ""
                              or " ") .. decl
    end
    local target = t.target
    local under = target -- an array's or a function's qualifiers: "(*)"
    while qualifier_of(under) do
      under = under.target
    end
    local tk = under.kind
    if tk == "array" or tk == "function" then
      return spell(target, "(*" .. decl .. ")", nil, show)
    end
    return spell(target, "*" .. decl, nil, show)
  elseif kind == "array" then
    if t.vector then -- gdb writes its highest index + 1: the count
      return spell(t.target, decl .. (decl ~= "" and " " or "")
                   .. "__attribute__ ((vector_size(" .. (t.count or 0)
                   .. ")))", quals, show)
    end
    return spell(t.target, decl .. "[" .. (t.count or 0) .. "]", quals, show)
  elseif kind == "function" then
    local params = {}
    for i, p in ipairs(t.params or {}) do
      params[i] = spell(p, "")
    end
    if t.varargs then
      params[#params + 1] = "..."
    elseif #params == 0 and t.prototyped then
      params[1] = "void"
    end
    return spell(t.target, decl .. "(" .. table.concat(params, ", ") .. ")",
                 nil, show)
  end
  local base = types.tag_name(t)
  if template_names and template_names[base] then -- gdb's "T item;"
    base = template_names[base]
  elseif class_scope and kind == "typedef"
         and base:sub(1, #class_scope) == class_scope
         and not base:find("::", #class_scope + 1, true) then
    base = base:sub(#class_scope + 1) -- the class's own typedef: "Int"
  end
  if (show or -1) >= 0 and not t.name
     and (kind == "struct" or kind == "union" or kind == "enum") then
    base = kind .. " " .. body(t, 0, show)
  end
  if words ~= "" then
    base = words .. " " .. base
  end
  if decl == "" then
    return base
  end
  return base .. " " .. decl
end

--- The name a type goes by: "struct point", "counter_t", "int"; a
-- named C++ struct, class, union or enum by its name alone ("ns::K").
function types.tag_name(t)
  local kind = t.kind
  if kind == "expanded" then
    return t.name
  end
  if kind == "struct" or kind == "union" or kind == "enum" then
    if t.cplus and t.name then
      return t.name
    end
    return kind .. " " .. (t.name or "{...}")
  end
  return t.name or "?"
end

--- gdb's spelling of t, with an optional declarator (a member's name).
function types.name(t, decl)
  return (spell(t, decl or ""))
end

--- gdb's declaration of a variable `name` of type t (info variables:
-- its type printed at gdb's show 0, an anonymous struct's members
-- spelled out).
function types.declaration(t, name)
  return (spell(t, name, nil, 0))
end

-- The body gdb's ptype shows for a struct, union or enum, indented by
-- depth levels of four spaces. An anonymous struct or union among the
-- members is spelled out while `show` (gdb's) stays at 0 or above, else
-- "{...}".
function body(t, depth, show)
  local kind = t.kind
  if kind == "enum" then
    local items, expected = {}, 0
    for _, e in ipairs(t.enumerators or {}) do
      items[#items + 1] = e.value == expected and e.name
        or string.format("%s = %d", e.name, e.value)
      expected = e.value + 1
    end
    return "{" .. table.concat(items, ", ") .. "}"
  end
  if t.declaration then
    return "{...}"
  end
  local pad = string.rep("    ", depth + 1)
  local lines = { "{" }
  for _, m in ipairs(t.members or {}) do
    local mt = m.type
    local text
    if (mt.kind == "struct" or mt.kind == "union") and not mt.name then
      text = mt.kind .. " " .. (show - 1 >= 0 and body(mt, depth + 1, show - 1)
                                or "{...}")
      if m.name then
        text = text .. " " .. m.name
      end
    else
      text = types.name(m.type, m.name or "")
    end
    if m.bit_size then
      text = text .. " : " .. m.bit_size
    end
    lines[#lines + 1] = pad .. text .. ";"
  end
  lines[#lines + 1] = string.rep("    ", depth) .. "}"
  return table.concat(lines, "\n")
end

-- The unqualified name of C++ type t without its template arguments: a
-- constructor's name ("box" of ns::box<int>).
local function constructor_name(t)
  local name = (t.name or ""):gsub("%b<>", "")
  return name:match("([^:]+)$") or name
end

-- gdb's line of method m of C++ type t, without indentation.
local function method_line(t, m)
  local ft = m.type
  local params, first = {}, 1
  if not m.static then
    first = 2 -- the object: `this`
  end
  -- (a destructor's artificial in-charge parameter is not shown)
  for i = first, (m.name or ""):sub(1, 1) == "~" and 0 or #(ft.params or {}) do
    params[#params + 1] = types.name(ft.params[i])
  end
  if ft.varargs then
    params[#params + 1] = "..."
  elseif #params == 0 then
    params[1] = "void"
  end
  local object = not m.static and ft.params and ft.params[1]
    and types.strip(ft.params[1])
  local const = object and object.kind == "pointer"
    and qualifier_of(object.target) == "const"
  -- (gdb's name of an instance of a member template is canonical:
  -- as<unsigned long>)
  local name = cxx_names.canonical(m.name or "")
  local returned = ""
  -- (a constructor, a destructor and a conversion operator have none)
  local converts = name:match("^operator%s") and not name:match("^operator%s+new")
    and not name:match("^operator%s+delete")
  if name ~= constructor_name(t) and name:sub(1, 1) ~= "~" and not converts then
    returned = types.name(ft.target or void) .. " "
  end
  return (m.virtual and "virtual " or m.static and "static " or "")
    .. returned .. name .. "(" .. table.concat(params, ", ") .. ")"
    .. (const and " const" or "") .. ";"
end

-- gdb's C++ ptype body of struct, class or union t: its data members
-- (static ones too) under access labels when some member's access is
-- not the tag's default, then its methods, each under its label, then
-- the typedefs it declares (spelled by the names of the scope around the
-- class, `outer`: {names =, scope =}, not by its own, as gdb's
-- semi-local typedefs: "typedef const Json::Reader::Char *Location").
local function cplus_body(t, outer)
  local default = t.class_tag and "private" or "public"
  local fields, methods, typedefs, labelled = {}, {}, {}, false
  local others = false -- (gdb's blank line before the typedefs: any
  -- field or method, artificial ones too)
  for _, part in ipairs(t.parts or {}) do
    local shown
    if part.kind == "member" or part.kind == "static_member" then
      shown = not part.artificial and fields
    elseif part.kind == "method" then
      shown = not part.artificial and methods
    elseif part.kind == "typedef" then
      shown = typedefs
    end
    others = others or part.kind ~= "typedef" and part.kind ~= "template_type"
    if shown then
      shown[#shown + 1] = part
      labelled = labelled or part.access ~= default
    end
  end
  local lines, section = { "{" }, nil
  local function label(access)
    if access ~= section then
      section = access
      lines[#lines + 1] = "  " .. access .. ":"
    end
  end
  local bits = {}
  for _, m in ipairs(t.members or {}) do
    bits[m.name or false] = m.bit_size
  end
  for _, f in ipairs(fields) do
    if labelled then
      label(f.access)
    end
    local text
    local ft = f.type
    if (ft.kind == "struct" or ft.kind == "union") and not ft.name then
      text = ft.kind .. " " .. body(ft, 1, 0) .. (f.name and " " .. f.name or "")
    else
      text = types.name(ft, f.name or "")
    end
    if f.kind == "static_member" then
      text = "static " .. text
    elseif bits[f.name or false] then
      text = text .. " : " .. bits[f.name or false]
    end
    lines[#lines + 1] = "    " .. text .. ";"
  end
  if #methods > 0 and section then
    lines[#lines + 1] = ""
  end
  -- gdb lists a name's overloads together, where the name first comes
  local grouped, place = {}, {}
  for _, m in ipairs(methods) do
    local name = m.name or ""
    if not place[name] then
      place[name] = #grouped + 1
      grouped[#grouped + 1] = {}
    end
    local group = grouped[place[name]]
    group[#group + 1] = m
  end
  methods = {}
  for _, group in ipairs(grouped) do
    table.move(group, 1, #group, #methods + 1, methods)
  end
  for _, m in ipairs(methods) do
    label(m.access)
    lines[#lines + 1] = "    " .. method_line(t, m)
  end
  if #typedefs > 0 and others then
    lines[#lines + 1] = ""
  end
  local own_names, own_scope = template_names, class_scope
  template_names, class_scope = outer.names, outer.scope
  for _, d in ipairs(typedefs) do
    if labelled then
      label(d.access)
    end
    lines[#lines + 1] = "    typedef " .. types.name(d.type, d.name or "") .. ";"
  end
  template_names, class_scope = own_names, own_scope
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n")
end

-- gdb's C++ ptype of struct, class or union x: "class ns::K {...}",
-- "struct ns::box<int> [with T = int] {...}", template arguments spelled
-- by their parameters' names inside.
local function cplus_expanded(x)
  local tag = x.kind == "union" and "union" or x.class_tag and "class"
    or "struct"
  local with, saved, saved_scope = {}, template_names, class_scope
  template_names, class_scope = {}, (x.name or "") .. "::"
  for _, part in ipairs(x.parts or {}) do
    if part.kind == "template_type" and part.name then
      local arg = types.name(part.type)
      with[#with + 1] = part.name .. " = " .. arg
      template_names[arg] = part.name
    end
  end
  -- its bases as gdb lists them: ": public Json::Writer"
  local bases = {}
  for _, part in ipairs(x.parts or {}) do
    if part.kind == "base" then
      bases[#bases + 1] = part.access .. (part.virtual and " virtual" or "")
        .. " " .. types.name(part.type)
    end
  end
  local header = tag .. " " .. (x.name or "{...}")
    .. (#with > 0 and " [with " .. table.concat(with, ", ") .. "]" or "")
    .. (#bases > 0 and " : " .. table.concat(bases, ", ") or "")
  local ok, text = pcall(cplus_body, x,
                         { names = saved, scope = saved_scope })
  template_names, class_scope = saved, saved_scope
  if not ok then
    error(text, 0)
  end
  return header .. " " .. text
end

-- gdb's C++ ptype of enum x: its underlying type named.
local function cplus_enum(x)
  local under = x.target and types.strip(x.target)
  return "enum " .. (x.name and x.name .. " " or "")
    .. (under and under.name and (": " .. under.name .. " ") or "")
    .. body(x, 0, 1)
end

--- gdb's ptype of t: the typedefs of its innermost type resolved and a
-- struct, union or enum there spelled out with its members.
function types.ptype(t)
  -- the chain of declarators down to the base type
  local function resolve(x)
    local kind = x.kind
    if kind == "typedef" then
      return resolve(x.target)
    elseif kind == "pointer" then
      return types.pointer(resolve(x.target))
    elseif kind == "array" then
      local a = types.array(resolve(x.target), x.count or 0)
      a.vector = x.vector
      return a
    elseif kind == "const" or kind == "volatile" or kind == "restrict"
           or kind == "reference" or kind == "rvalue_reference" then
      return { kind = kind, target = resolve(x.target), loaded = true }
    elseif kind == "function" then
      return { kind = "function", target = resolve(x.target or types.void),
               params = x.params, prototyped = x.prototyped,
               varargs = x.varargs, loaded = true }
    elseif x.cplus and x.parts and not x.declaration then
      return { kind = "expanded", name = cplus_expanded(x), loaded = true }
    elseif x.cplus and kind == "enum" then
      return { kind = "expanded", name = cplus_enum(x), loaded = true }
    elseif kind == "struct" or kind == "union" or kind == "enum" then
      -- an anonymous one (typedef struct {...} bz_stream) is "struct {"
      local tag = x.name and types.tag_name(x) or x.kind
      return { kind = "expanded", name = tag .. " " .. body(x, 0, 1),
               loaded = true }
    end
    return x
  end
  return types.name(resolve(t))
end

--- True for the integer-like kinds (int, bool, enum, char).
function types.is_integer(t)
  local k = types.strip(t).kind
  return k == "int" or k == "bool" or k == "enum"
end

--- True for integers and floats.
function types.is_arithmetic(t)
  local k = types.strip(t).kind
  return k == "int" or k == "bool" or k == "enum" or k == "float"
end

--- Whether an integer type is signed (enums by their underlying type
-- or values).
function types.is_signed(t)
  t = types.strip(t)
  if t.kind == "int" then
    return t.signed
  elseif t.kind == "enum" then
    local under = t.target and types.strip(t.target)
    if under and under.kind == "int" then
      return under.signed
    end
    for _, e in ipairs(t.enumerators or {}) do
      if e.value < 0 then
        return true
      end
    end
    return false
  end
  return false
end

return types
