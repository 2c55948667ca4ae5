-- Which variables and types there are, as gdb lists them: info variables
-- [-q] [-n] [REGEX] and info types [-q] [REGEX], over the names of file
-- scope of the known objects' DWARF (lib:file_symbols()) and, for
-- variables, the data symbols of their ELF symbol tables.

local snare = require "snare"
local expr = require "snare.expr"
local cxx_names = require "snare.expr.cxx_names"
local minimal_names = require "snare.cli.minimal_names"
local shared_objects = require "snare.cli.shared_objects"
local symbol_listing = require "snare.cli.symbol_listing"

local types = expr.types

-- The names of file scope of `lib` (none without DWARF), each with the
-- file gdb lists it under: its declaring file, but, before the program
-- runs, the unit's own for a unit without code (gdb 13 shows xz's
-- lzma_crc32_table under crc32_table.c then, under crc32_table_le.h,
-- where it is declared, once the program runs).
local function file_symbols(dbg, lib)
  local ok, symbols = pcall(lib.file_symbols, lib)
  if not ok or not symbols then
    return {}
  end
  local started = dbg.shared_objects and #dbg.shared_objects() > 0
  for _, s in ipairs(symbols) do
    s.shown_file = not started and s.codeless_file or s.file
    -- gdb's C++ names: a variable's its linkage name demangled (a
    -- lambda's "{lambda(int)#1}"), else canonical; a nameless struct's by
    -- its linkage name
    if s.kind == "type" and not s.name then
      s.shown_name = snare.core.demangle("_Z" .. s.linkage) or s.linkage
    else
      s.shown_name = s.linkage and s.linkage:match("^_Z")
        and snare.core.demangle(s.linkage, "full")
        or cxx_names.canonical(s.name)
    end
  end
  return symbols
end

-- `info variables [-q] [-n] [REGEX]`: the variables of file scope by
-- source file, each "LINE:\tDECLARATION;" ("static " before those of the
-- static block); then, unless -n, the data symbols no variable of their
-- object is named after.
local function variables_of(listing, lib, flags)
  local described = {}
  for _, s in ipairs(file_symbols(listing.dbg, lib)) do
    if s.kind ~= "type" and s.kind ~= "namespace" then
      described[s.linkage or s.name] = true
      described[s.name] = true
    end
    if s.kind == "variable" and symbol_listing.matches(listing, s.shown_name)
    then
      symbol_listing.add(listing, s.shown_file, s.shown_name, s.global,
                         s.line, (s.global and "" or "static ")
                           .. types.declaration(types.from_ref(s.type),
                                                s.shown_name) .. ";")
    end
  end
  -- a separate debug file has the symbol table a stripped object lacks
  local has_debug_file, symbol_file = pcall(lib.debug_file, lib)
  for _, sym in ipairs(flags.n and {} or shared_objects.data_symbols(
                         has_debug_file and symbol_file or lib.path)) do
    local name = minimal_names.display(sym.name)
    -- (a C++ variable without a linkage name, in an anonymous namespace,
    -- goes by the name its symbol demangles to)
    if not described[sym.name]
       and not (sym.name:match("^_Z") and described[name])
       and symbol_listing.matches(listing, name)
    then
      symbol_listing.add_other(listing, name, lib.base + sym.addr, sym.name)
    end
  end
end

-- The type a typedef names with the typedefs on top of it resolved (the
-- qualifiers met kept), as gdb prints a typedef's target: uint32_t's is
-- "unsigned int", not __uint32_t.
local function resolved(t)
  local kind = t.kind
  if kind == "typedef" then
    return resolved(t.target)
  elseif kind == "const" or kind == "volatile" or kind == "restrict" then
    return { kind = kind, target = resolved(t.target), loaded = true }
  end
  return t
end

-- gdb's row of a type: "typedef int myint;", "struct point;", a base
-- type's name alone, "void" for an unspecified one.
local function type_text(t)
  local kind = t.kind
  if kind == "typedef" then
    return "typedef " .. types.name(resolved(t.target)) .. " " .. t.name
      .. ";"
  elseif kind == "struct" or kind == "union" or kind == "enum" then
    return types.tag_name(t) .. ";"
  elseif kind == "void" then -- DWARF's unspecified type: decltype(nullptr)
    return "void"
  end
  return t.name
end

-- `info types [-q] [REGEX]`: the named types of file scope by source
-- file (C++ namespaces among them, by their name alone).
local function types_of(listing, lib)
  for _, s in ipairs(file_symbols(listing.dbg, lib)) do
    if s.kind == "namespace" and symbol_listing.matches(listing, s.shown_name)
    then
      symbol_listing.add(listing, s.shown_file, s.shown_name, s.global,
                         s.line, s.shown_name)
    end
    -- a base type goes by gdb's name ("unsigned long"); no other type
    -- can be named in C's keywords alone, which the type would be read
    -- to learn (libc has thousands)
    local name = s.kind == "type" and types.canonical(s.shown_name)
    if name and symbol_listing.matches(listing, name) then
      symbol_listing.add(listing, s.shown_file, name, s.global, s.line,
                         type_text(types.from_ref(s.type)))
    end
  end
end

local info_variables = symbol_listing.command("variables", "qn",
                                              variables_of)
local info_types = symbol_listing.command("types", "q", types_of)

return {
  { name = "variables", group = "info",
    usage = "info variables [-q] [-n] [REGEX]",
    help = "the variables of file scope whose name matches, declared",
    run = info_variables },
  { name = "types", group = "info", usage = "info types [-q] [REGEX]",
    help = "the types whose name matches", run = info_types },
}
