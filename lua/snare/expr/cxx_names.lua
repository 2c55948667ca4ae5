--- C and C++ type spellings as gdb writes them: a base type's words in
-- gdb's order ("long unsigned int" is "unsigned long"), and a C++ name
-- in gdb's canonical form, the demangler's ("std::pair<Json::Value::
-- CZString const, Json::Value>", "char const*"): gdb canonicalises the
-- names of C++ types and functions its DWARF reader computes.
-- @module snare.expr.cxx_names

local cxx_names = {}

local c_words = { unsigned = true, signed = true, char = true, short = true,
                  long = true, int = true, float = true, double = true,
                  _Bool = true, void = true }

--- gdb's spelling of a base type: "long unsigned int" is "unsigned
-- long"; a name of other words ("__int128 unsigned", "wchar_t") is its
-- own.
function cxx_names.base(name)
  local words = {}
  for w in name:gmatch("%S+") do
    if not c_words[w] then
      return name
    end
    words[w] = (words[w] or 0) + 1
  end
  if words.float or words.double or words._Bool or words.void then
    return (words.long and "long " or "") .. name:match("%S+$")
  end
  local out = {}
  if words.unsigned then
    out[#out + 1] = "unsigned"
  elseif words.signed and words.char then
    out[#out + 1] = "signed"
  end
  if words.char then
    out[#out + 1] = "char"
  elseif words.short then
    out[#out + 1] = "short"
  elseif words.long then
    out[#out + 1] = words.long > 1 and "long long" or "long"
  else
    out[#out + 1] = "int"
  end
  return table.concat(out, " ")
end

local canonical_type, canonical_function_pointer -- (below)

-- The position of the '>' closing the '<' at i of text, or nil.
local function closing(text, i)
  local depth = 0
  for j = i, #text do
    local c = text:sub(j, j)
    if c == "<" or c == "(" then
      depth = depth + 1
    elseif c == ">" or c == ")" then
      depth = depth - 1
      if depth == 0 then
        return j
      end
    end
  end
end

-- The arguments of a template argument list's text (between its
-- brackets), split at the commas outside brackets.
local function arguments(text)
  local list, depth, start = {}, 0, 1
  for j = 1, #text do
    local c = text:sub(j, j)
    if c == "<" or c == "(" then
      depth = depth + 1
    elseif c == ">" or c == ")" then
      depth = depth - 1
    elseif c == "," and depth == 0 then
      list[#list + 1] = text:sub(start, j - 1)
      start = j + 1
    end
  end
  list[#list + 1] = text:sub(start)
  return list
end

-- One template argument canonical: a number as it is, a type as gdb
-- writes it.
local function canonical_argument(text)
  text = text:match("^%s*(.-)%s*$")
  local number, suffix = text:match("^(%-?%d+)(%a*)$")
  if number then -- (gdb writes a suffix in lower case: 3ul)
    return number .. suffix:lower()
  elseif text == "" or text == "true" or text == "false" then
    return text
  end
  return canonical_type(text)
end

-- Whether gdb's name parser (cp-name-parser.y) reads every '(' of
-- text: it has a rule for a declarator in brackets ("(*)", "(* const&)",
-- "(K::*)") and for the parameters after one, none for a function type
-- ("void (const Json::Value &)", std::function's argument) nor for a
-- call of no arguments ("__assignable<T>()", clang's expression of
-- std::__conditional_t): gdb leaves a name it cannot parse as DWARF
-- writes it.
local function parsable(text)
  for at in text:gmatch("()%(") do
    local before = text:sub(1, at - 1):match("(%S)%s*$")
    if before and before:match("[%w_>%*&]")
       and not text:match("^%s*[%w_:]*[%*&]", at + 1) then
      return false
    end
  end
  return true
end

--- A qualified name ("std::map<int, long int>::iterator") with each
-- template argument list canonical.
function cxx_names.canonical(name)
  -- (gdb's parser takes no clang lambda, "(lambda at f.cpp:3:12)": such
  -- a name stays as DWARF writes it)
  if not name:find("<", 1, true) or name:match("^operator")
     or name:find("(lambda at ", 1, true) or not parsable(name) then
    return name
  end
  local out, i = {}, 1
  while i <= #name do
    local open = name:find("<", i, true)
    local shut = open and closing(name, open)
    if not shut or name:sub(open - 8, open - 1) == "operator" then
      out[#out + 1] = name:sub(i)
      break
    end
    local args = shut > open + 1 and arguments(name:sub(open + 1, shut - 1))
      or {} -- std::tuple<>
    for k, a in ipairs(args) do
      args[k] = canonical_argument(a)
    end
    local inside = table.concat(args, ", ")
    out[#out + 1] = name:sub(i, open) .. inside
      .. (inside:sub(-1) == ">" and " >" or ">")
    i = shut + 1
  end
  return table.concat(out)
end

-- The words and symbols of a type's text: names (with their template
-- arguments), "*", "&", "&&", qualifiers; nil when it has others
-- (function types, arrays), which are left as they are.
local function tokens(text)
  local list, i = {}, 1
  while i <= #text do
    local c = text:sub(i, i)
    if c:match("%s") then
      i = i + 1
    elseif text:sub(i, i + 1) == "&&" then
      list[#list + 1], i = "&&", i + 2
    elseif c == "*" or c == "&" then
      list[#list + 1], i = c, i + 1
    elseif c:match("[%w_:]") then
      local j = i
      while j <= #text do
        local d = text:sub(j, j)
        if d:match("[%w_:]") then
          j = j + 1
        elseif d == "<" then
          local shut = closing(text, j)
          if not shut then
            return nil
          end
          j = shut + 1
        else
          break
        end
      end
      list[#list + 1], i = text:sub(i, j - 1), j
    else
      return nil
    end
  end
  return list
end

local qualifiers = { const = true, volatile = true }

-- The words of a declarator's tokens as the demangler writes them: a
-- qualifier after a space, "*" and "&" without ("* const&").
local function joined(list, from)
  local out = ""
  for k = from, #list do
    local t = list[k]
    out = out .. (qualifiers[t] and " " .. t or t)
  end
  return out
end

-- A pointer (or reference) to a function, "TestCase *(*const &)()", as
-- the demangler writes it: "TestCase* (* const&)()", its return and
-- parameter types canonical; nil for another text.
function canonical_function_pointer(text)
  local result, declarator, params =
    text:match("^(.-)%s*(%b())%s*(%b())$")
  local inner = declarator and declarator:match("^%(%s*[%w_:]*[%*&]")
    and tokens(declarator:sub(2, -2))
  if not inner or result == "" then
    return nil
  end
  local list = params:sub(2, -2):match("^%s*$") and {}
    or arguments(params:sub(2, -2))
  for k, p in ipairs(list) do
    list[k] = canonical_type(p:match("^%s*(.-)%s*$"))
  end
  return canonical_type(result) .. " (" .. joined(inner, 1) .. ")("
    .. table.concat(list, ", ") .. ")"
end

--- A type's text ("const char * const", "long int") in gdb's canonical
-- C++ form ("char const* const", "long").
function canonical_type(text)
  local list = tokens(text)
  if not list then
    return canonical_function_pointer(text) or text
  end
  local leading, base, i = {}, {}, 1
  while qualifiers[list[i]] do
    leading[#leading + 1], i = list[i], i + 1
  end
  while list[i] and not qualifiers[list[i]] and not list[i]:match("^[%*&]") do
    base[#base + 1], i = list[i], i + 1
  end
  local out = #base > 1 and cxx_names.base(table.concat(base, " "))
    or cxx_names.canonical(cxx_names.base(base[1] or ""))
  for _, q in ipairs(leading) do
    out = out .. " " .. q
  end
  return out .. joined(list, i)
end
cxx_names.type = canonical_type

return cxx_names
