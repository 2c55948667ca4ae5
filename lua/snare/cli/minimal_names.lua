-- minimal_names.lua - the name gdb shows for an ELF symbol it has no
-- debug information of (its "minimal symbols", as info variables lists
-- them). gdb tries each language's demangler on such a name, Ada's last,
-- and Ada's takes any lowercase name it can decode as a GNAT name: so a
-- static local `inner.0` shows as "inner", a split `f.cold` as
-- "f[cold]", `a__b` as "a.b". This is the part of that decoding a C or
-- C++ program's names can meet; names it would not decode (an upper
-- case letter, a leading '_') stay as they are. C++ names are demangled
-- first, as gdb tries C++ before Ada.
local core = require "snare.core"

local M = {}

-- The length of `name` without the digits after a '.', '$', "__" or
-- "___" that end it.
local function without_trailing_number(name, len)
  local digits_from = len
  while digits_from > 1 and name:sub(digits_from, digits_from):match("%d") do
    digits_from = digits_from - 1
  end
  if digits_from == len then
    return len
  end
  local before = name:sub(digits_from, digits_from)
  if before == "." or before == "$" then
    return digits_from - 1
  elseif name:sub(digits_from - 2, digits_from) == "___" then
    return digits_from - 3
  elseif name:sub(digits_from - 1, digits_from) == "__" then
    return digits_from - 2
  end
  return len
end

-- The suffixes GNAT adds for tasks, bodies and protected subprograms.
local function without_gnat_suffixes(name, len)
  local last, before = name:sub(len, len), name:sub(len - 1, len - 1)
  if len > 1 and last == "N" and before:match("[%d%l]") then
    len = len - 1
  end
  local triple = name:find("___", 1, true)
  if triple and triple - 1 < len - 3 then
    if name:sub(triple + 3, triple + 3) ~= "X" then
      return nil
    end
    len = triple - 1
  end
  if len > 3 and name:sub(len - 2, len) == "TKB" then
    len = len - 3
  end
  if len > 2 and name:sub(len - 1, len) == "TB" then
    len = len - 2
  end
  if len > 1 and name:sub(len, len) == "B" then
    len = len - 1
  end
  return len
end

-- `name` decoded as GNAT encodes names, or nil where it is not one.
local function gnat_decoded(name)
  if name:match("^[_<]") then
    return nil
  end
  local len, suffix = #name, nil
  local alpha_from = len
  while alpha_from > 1 and name:sub(alpha_from, alpha_from):match("%a") do
    alpha_from = alpha_from - 1
  end
  if alpha_from > 1 and name:sub(alpha_from, alpha_from) == "." then
    suffix = name:sub(alpha_from + 1)
    len = alpha_from - 1
  end
  len = without_gnat_suffixes(name, without_trailing_number(name, len))
  if not len then
    return nil
  end
  local out = {}
  local i = 1
  while i <= len and not name:sub(i, i):match("%a") do
    out[#out + 1] = name:sub(i, i)
    i = i + 1
  end
  while i <= len do
    local c = name:sub(i, i)
    if c == "X" and i > 1 and name:sub(i - 1, i - 1):match("%w") then
      i = i + 1
      while i <= len and name:sub(i, i):match("[bn]") do
        i = i + 1
      end
      if i <= len then
        return nil
      end
    elseif i < len - 1 and name:sub(i, i + 1) == "__" then
      out[#out + 1] = "."
      i = i + 2
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  local decoded = table.concat(out)
  if decoded:match("[%u ]") then
    return nil
  end
  return suffix and decoded .. "[" .. suffix .. "]" or decoded
end

--- gdb's name of the ELF symbol `name`.
function M.display(name)
  -- (demangled whole: a function's static is "f(int)::counter"; a
  -- version after '@' kept: "std::cerr@GLIBCXX_3.4")
  local mangled, version = name:match("^(_Z[^@]*)(@.*)$")
  if mangled then
    local demangled = core.demangle(mangled, "full")
    return demangled and demangled .. version or name
  end
  return core.demangle(name, "full") or gnat_decoded(name) or name
end

return M
