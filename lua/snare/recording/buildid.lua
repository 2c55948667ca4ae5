--- The GNU build-id of an ELF file (its NT_GNU_BUILD_ID note), which
-- names the exact build a recording's addresses belong to.
-- @module snare.recording.buildid
local elf = require "snare.elf"

local buildid = {}

local SHT_NOTE, NT_GNU_BUILD_ID = 7, 3

local function align4(n)
  return (n + 3) & ~3
end

-- The build-id in a note section's bytes, as hex, or nil.
local function from_notes(notes)
  local at = 1
  while at + 12 <= #notes do
    local namesz, descsz, kind = string.unpack("<I4I4I4", notes, at)
    local name_at = at + 12
    local desc_at = name_at + align4(namesz)
    if kind == NT_GNU_BUILD_ID and notes:sub(name_at, name_at + 3) == "GNU\0" then
      return (notes:sub(desc_at, desc_at + descsz - 1):gsub(".", function(c)
        return string.format("%02x", c:byte())
      end))
    end
    at = desc_at + align4(descsz)
  end
  return nil
end

--- The build-id of the 64-bit little-endian ELF file at `path` as hex,
-- or nil when it has none or is no such file.
function buildid.of_file(path)
  local file, shoff, shentsize, shnum = elf.open(path)
  if not file then
    return nil
  end
  local found
  for i = 0, shnum - 1 do
    file:seek("set", shoff + i * shentsize)
    local section = file:read(64)
    if not section or #section < 64 then
      break
    end
    local kind = string.unpack("<I4", section, 5)
    if kind == SHT_NOTE then
      local offset, size = string.unpack("<I8I8", section, 25)
      file:seek("set", offset)
      found = from_notes(file:read(size) or "")
      if found then
        break
      end
    end
  end
  file:close()
  return found
end

return buildid
