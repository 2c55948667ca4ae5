--- gdb's names of source languages (its "Source language is c." of
-- `info frame` and `info source`).
-- @module snare.languages

local languages = {}

-- gdb's name of each DWARF language (DW_LANG_*) of a unit: its source
-- language line; a unit of another language is gdb's "minimal".
local names = {
  [0x1] = "c", [0x2] = "c", [0xc] = "c", [0x1d] = "c", [0x2c] = "c",
  [0x4] = "c++", [0x19] = "c++", [0x1a] = "c++", [0x21] = "c++",
  [0x2a] = "c++", [0x2b] = "c++", [0x11] = "c++",
  [0x10] = "objective-c", [0x8001] = "asm", [0x1c] = "rust", [0x16] = "go",
  [0x13] = "d", [0x15] = "opencl", [0x3] = "ada", [0xd] = "ada",
  [0x9] = "pascal", [0xa] = "modula-2",
  [0x7] = "fortran", [0x8] = "fortran", [0xe] = "fortran",
  [0x22] = "fortran", [0x23] = "fortran", [0x2d] = "fortran",
}

--- gdb's name of DWARF language `code` (DW_LANG_*), or nil for none.
function languages.name(code)
  return code and code ~= 0 and (names[code] or "minimal") or nil
end

return languages
