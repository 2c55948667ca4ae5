--- Reading a 64-bit little-endian ELF file's section headers from Lua
-- (build-ids of recordings, .text bounds of info sharedlibrary).
-- @module snare.elf
local elf = {}

--- Opens the ELF file at `path`: the file (the caller closes it), then
-- its e_shoff, e_shentsize, e_shnum and e_shstrndx; nil when it is no
-- such file or not a 64-bit little-endian ELF file.
function elf.open(path)
  local file = io.open(path, "rb")
  if not file then
    return nil
  end
  local header = file:read(64)
  if not header or #header < 64 or header:sub(1, 6) ~= "\127ELF\2\1" then
    file:close()
    return nil
  end
  local shoff = string.unpack("<I8", header, 41)
  return file, shoff, string.unpack("<I2I2I2", header, 59)
end

return elf
