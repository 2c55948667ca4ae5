--- gdb's names of a function with debug information, which differ for
-- C++: its symbol's print name ("ns::twice(int)": `info breakpoints`,
-- `info functions`, a pointer's <...>), its linkage name
-- ("_ZN2ns5twiceEi": the <...> of `x/i`, `info line` and `disassemble`,
-- gdb's asm-demangle being off) and its minimal (ELF) symbol's name
-- ("int ns::sum<int>(int, int)": `info symbol`). A C function goes by
-- its name in each.
-- @module snare.function_names

local snare = require "snare"
local core = require "snare.core"
local types = require "snare.expr.types"
local cxx_names = require "snare.expr.cxx_names"
local languages = require "snare.languages"
local minimal_names = require "snare.cli.minimal_names"

local names = {}

--- A type's C spelling as gdb's C++ canonical form writes it: no
-- struct, union or enum keyword, "char const*".
function names.cxx_spelling(text)
  for _, keyword in ipairs { "struct", "union", "enum" } do
    text = text:gsub("%f[%w_]" .. keyword .. " ", "")
  end
  return cxx_names.type(text)
end

-- The parameter list gdb computes from DWARF for the C++ function at
-- addr when DWARF gives it no linkage name (main, an extern "C" or a
-- static function): "()", "(int, char*)".
local function computed_parameters(addr)
  local ref = core.find_function_type(addr)
  local t = ref and types.from_ref(ref)
  local params = {}
  for i, p in ipairs(t and t.params or {}) do
    params[i] = names.cxx_spelling(types.name(p))
  end
  if t and t.varargs then
    params[#params + 1] = "..."
  end
  return "(" .. table.concat(params, ", ") .. ")"
end

--- gdb's print name of the function a `line_at` or `source_frame_at`
-- row at addr names ("ns::K::get() const", "main()" in C++), or nil
-- when the row names none.
function names.print_name(row, addr)
  local name = row["function"]
  if row.linkage then
    return core.demangle(row.linkage, "signature") or name
  elseif name and languages.name(core.language_at(addr)) == "c++" then
    return name .. computed_parameters(addr)
  end
  return name
end

--- gdb's linkage name of that function: its mangled name where DWARF
-- has one, else its print name.
function names.linkage_name(row, addr)
  return row.linkage or names.print_name(row, addr)
end

--- The row of the out-of-line function holding addr (the outermost of
-- its source frames, around any inlined calls), or nil.
function names.outer_frame(addr)
  local outer
  for outward = 0, 255 do
    local frame = core.source_frame_at(addr, outward)
    if not frame then
      break
    end
    outer = frame
  end
  return outer
end

--- The name gdb gives the function symbol `sym` (a `symbol_at` answer
-- for addr) in a <...>: `form` "linkage" or "print" of the out-of-line
-- function with debug information it names, else its own name.
function names.symbol_name(sym, addr, form)
  local frame = sym.is_function and names.outer_frame(addr)
  local own = frame and frame["function"] == sym.name
  if not own or not (frame.linkage or
                     languages.name(core.language_at(addr)) == "c++") then
    return sym.name
  end
  return form == "linkage" and names.linkage_name(frame, addr)
    or names.print_name(frame, addr)
end

--- "name+offset" as gdb writes a place in a <...>: the name alone at
-- offset 0.
function names.with_offset(name, offset)
  return offset == 0 and name or string.format("%s+%d", name, offset)
end

--- snare.describe(addr) ("name+offset" or nil) with a function named
-- as names.symbol_name's `form` names it, and in the "print" form a data
-- symbol by its print name, as a pointer's <...> shows it (the name
-- gdb's demanglers give its ELF symbol: clang's function static
-- "io_open_src.pair" is "io_open_src[pair]", GCC's "pair.0" "pair").
function names.describe(addr, form)
  local sym = core.symbol_at(addr)
  if sym and not sym.is_function and form == "print" then
    return names.with_offset(minimal_names.display(sym.name), sym.offset)
  elseif not (sym and sym.is_function) then
    return snare.describe(addr)
  end
  return names.with_offset(names.symbol_name(sym, addr, form), sym.offset)
end

--- An ELF symbol's name as gdb's minimal symbols show it: demangled
-- whole ("int ns::sum<int>(int, int)"), else as it is.
function names.minimal_name(name)
  return core.demangle(name, "full") or name
end

return names
