-- shared_objects.lua - the shared objects of `snare debug -- PROG` as gdb
-- lists them (info sharedlibrary): the loader's list (r_debug's link_map)
-- less the program itself, the vDSO and what only snare's agent brought
-- in (its own libraries and theirs: libz, liblzma, libm... the program
-- alone would not load), the dynamic loader first as gdb finds it first.
local elf = require "snare.elf"

local M = {}

local DT_NEEDED, DT_STRTAB, DT_SONAME = 1, 5, 14

local SHF_ALLOC, SHF_EXECINSTR = 2, 4

-- The sections of the ELF file at `path`: { name, addr, size, alloc,
-- code, offset, link, entsize } each, in the file's order; nil when it is not
-- one.
local function sections_of(path)
  local file, shoff, shentsize, shnum, shstrndx = elf.open(path)
  if not file then
    return nil
  end
  local headers = {}
  file:seek("set", shoff)
  local table_bytes = file:read(shentsize * shnum) or ""
  for i = 0, shnum - 1 do
    local at = i * shentsize + 1
    if at + 63 > #table_bytes then
      break
    end
    local name, _, flags, addr, offset, size, link, _, _, entsize =
      string.unpack("<I4I4I8I8I8I8I4I4I8I8", table_bytes, at)
    headers[i] = { name = name, flags = flags, addr = addr, offset = offset,
                   size = size, link = link, entsize = entsize }
  end
  local names = headers[shstrndx]
  local strings = ""
  if names then
    file:seek("set", names.offset)
    strings = file:read(names.size) or ""
  end
  file:close()
  local list = {}
  for i = 0, shnum - 1 do
    local h = headers[i]
    if h then
      list[#list + 1] = { name = strings:match("^[^%z]*", h.name + 1) or "",
                          addr = h.addr, size = h.size,
                          alloc = h.flags & SHF_ALLOC ~= 0,
                          code = h.flags & SHF_EXECINSTR ~= 0,
                          offset = h.offset, link = h.link,
                          entsize = h.entsize }
    end
  end
  return list
end

M.sections = sections_of

local STT_FUNC, STT_SECTION, STT_FILE = 2, 3, 4
local SHN_LORESERVE, STB_LOCAL, STB_GLOBAL = 0xff00, 0, 1

-- The defined symbols of the ELF file at `path` (its .symtab, else its
-- .dynsym) that `keep(type, section, value)` accepts (section nil for an
-- absolute one): { name, addr, global, file_local } each, addr the
-- link-time address, global and file_local its binding's.
local function defined_symbols(path, keep)
  local sections = sections_of(path)
  if not sections then
    return {}
  end
  local symtab
  for _, want in ipairs { ".symtab", ".dynsym" } do
    for _, sec in ipairs(sections) do
      if not symtab and sec.name == want then
        symtab = sec
      end
    end
  end
  local strtab = symtab and sections[symtab.link + 1]
  if not strtab then
    return {}
  end
  local file = assert(io.open(path, "rb"))
  file:seek("set", symtab.offset)
  local entries = file:read(symtab.size) or ""
  file:seek("set", strtab.offset)
  local names = file:read(strtab.size) or ""
  file:close()
  local found = {}
  for at = 1, #entries - 23, 24 do
    local name, info, _, shndx, value =
      string.unpack("<I4BBI2I8", entries, at)
    local section = shndx < SHN_LORESERVE and sections[shndx + 1] or nil
    if shndx ~= 0 and keep(info & 0xf, section, value) then
      found[#found + 1] = { name = names:match("^[^%z]*", name + 1),
                            addr = value, global = info >> 4 == STB_GLOBAL,
                            file_local = info >> 4 == STB_LOCAL }
    end
  end
  return found
end

--- The defined function symbols of the ELF file at `path`.
function M.function_symbols(path)
  return defined_symbols(path, function(kind, _, value)
    return kind == STT_FUNC and value ~= 0
  end)
end

--- The PT_INTERP name of the ELF program at `path` (its dynamic
-- loader: "/lib64/ld-linux-x86-64.so.2"), or nil (a static program).
function M.interpreter(path)
  local file = elf.open(path)
  if not file then
    return nil
  end
  file:seek("set", 0)
  local header = file:read(64)
  local phoff = string.unpack("<I8", header, 33)
  local phentsize, phnum = string.unpack("<I2I2", header, 55)
  file:seek("set", phoff)
  local table_bytes = file:read(phentsize * phnum) or ""
  local name
  for at = 1, #table_bytes - 55, phentsize do
    local kind, _, offset, _, _, size = string.unpack("<I4I4I8I8I8I8",
                                                      table_bytes, at)
    if kind == 3 then -- PT_INTERP
      file:seek("set", offset)
      name = (file:read(size) or ""):match("^[^%z]*")
    end
  end
  file:close()
  return name
end

--- The symbols gdb takes for code (its minimal text symbols): those in
-- a code section, of any type but a section's or a file's, named (an
-- assembler label such as the loader's _start has no type).
function M.code_symbols(path)
  local found = defined_symbols(path, function(kind, section)
    return section ~= nil and section.code and kind ~= STT_SECTION
      and kind ~= STT_FILE
  end)
  local named = {}
  for _, sym in ipairs(found) do
    if sym.name ~= "" then
      named[#named + 1] = sym
    end
  end
  return named
end

--- The symbols gdb takes for data (its minimal symbols of types data and
-- bss): those in a section loaded and not code, of any type but a
-- section's or a file's, named; a global one with a version
-- ("__progname_full@GLIBC_2.2.5") also by its name alone, as gdb.
function M.data_symbols(path)
  local found = defined_symbols(path, function(kind, section)
    return section ~= nil and section.alloc and not section.code
      and kind ~= STT_SECTION and kind ~= STT_FILE
  end)
  local named = {}
  for _, sym in ipairs(found) do
    if sym.name ~= "" then
      named[#named + 1] = sym
      local bare = not sym.file_local and sym.name:match("^(..-)@") -- (weak too)
      if bare then
        named[#named + 1] = { name = bare, addr = sym.addr, global = true }
      end
    end
  end
  return named
end

-- The [from, to) virtual addresses of the .text section of the ELF file
-- at `path` (gdb's From and To), or nil.
function M.text_range(path)
  for _, s in ipairs(sections_of(path) or {}) do
    if s.name == ".text" then
      return s.addr, s.addr + s.size
    end
  end
end

local read_sections = {} -- path -> its sections (each file read once)

-- The name of the section of the ELF file at `path` that is loaded at
-- `addr` (a link-time address: ".text", ".bss"), or nil.
function M.section_at(path, addr)
  read_sections[path] = read_sections[path] or sections_of(path) or {}
  for _, s in ipairs(read_sections[path]) do
    if s.alloc and addr >= s.addr and addr < s.addr + s.size then
      return s.name
    end
  end
end

-- The loader's list from r_debug: { bias, name, dynamic } each.
function M.link_map(snare, r_debug)
  local entries = {}
  local map = r_debug and r_debug ~= 0 and snare.read_u64(r_debug + 8)
  for _ = 1, 4096 do
    if not map or map == 0 then
      break
    end
    entries[#entries + 1] = {
      bias = snare.read_u64(map),
      name = snare.read_cstring(snare.read_u64(map + 8)) or "",
      dynamic = snare.read_u64(map + 16),
    }
    map = snare.read_u64(map + 24)
  end
  return entries
end

-- An entry's DT_NEEDED names and DT_SONAME from its dynamic section in
-- memory (the loader relocated DT_STRTAB there; one it did not, below
-- the bias, is relative to it).
local function dynamic_names(snare, entry)
  local needed, strtab, soname_at, offsets = {}, nil, nil, {}
  local at = entry.dynamic
  for _ = 1, 4096 do
    local tag = at and at ~= 0 and snare.read_u64(at)
    if not tag or tag == 0 then
      break
    end
    local value = snare.read_u64(at + 8)
    if tag == DT_NEEDED then
      offsets[#offsets + 1] = value
    elseif tag == DT_STRTAB then
      strtab = value
    elseif tag == DT_SONAME then
      soname_at = value
    end
    at = at + 16
  end
  if not strtab then
    return needed
  end
  if strtab < entry.bias then
    strtab = strtab + entry.bias
  end
  for i, offset in ipairs(offsets) do
    needed[i] = snare.read_cstring(strtab + offset)
  end
  entry.soname = soname_at and snare.read_cstring(strtab + soname_at)
  return needed
end

-- The entries `roots` need, themselves included (by soname or base name).
local function closure(entries, roots, needs)
  local by_name = {}
  for _, e in ipairs(entries) do
    by_name[e.name:match("[^/]*$")] = by_name[e.name:match("[^/]*$")] or e
    if e.soname then
      by_name[e.soname] = by_name[e.soname] or e
    end
  end
  local seen, todo = {}, {}
  for _, r in ipairs(roots) do
    todo[#todo + 1] = r
  end
  while #todo > 0 do
    local e = table.remove(todo)
    if not seen[e] then
      seen[e] = true
      for _, name in ipairs(needs[e]) do
        local dep = by_name[name] or by_name[name:match("[^/]*$")]
        if dep then
          todo[#todo + 1] = dep
        end
      end
    end
  end
  return seen
end

--- The entries gdb lists for the program run alone, in its order:
-- `entries` from M.link_map (the program first), `is_own(name)` true for
-- snare's own objects, `mapped(entry)` true for one with a file mapped,
-- `interpreter` the program's PT_INTERP name.
function M.program_objects(snare, entries, is_own, mapped, interpreter)
  local needs = {}
  for _, e in ipairs(entries) do
    needs[e] = dynamic_names(snare, e)
  end
  local own_roots = {}
  for _, e in ipairs(entries) do
    if is_own(e.name) then
      own_roots[#own_roots + 1] = e
    end
  end
  local program = closure(entries, { entries[1] }, needs)
  local snares = closure(entries, own_roots, needs)
  local shown = {}
  for i, e in ipairs(entries) do
    if i > 1 and e.name:find("/", 1, true) and mapped(e)
       and not (snares[e] and not program[e]) then
      if interpreter and e.name:match("[^/]*$")
                        == interpreter:match("[^/]*$") then
        -- named as the program names it (snare may start the loader by
        -- another path)
        e.name = interpreter
        table.insert(shown, 1, e)
      else
        shown[#shown + 1] = e
      end
    end
  end
  return shown
end

return M
