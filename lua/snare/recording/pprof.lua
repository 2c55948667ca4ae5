--- pprof's profile.proto (github.com/google/pprof/proto/profile.proto)
-- written by hand: the few messages a call profile needs, in protobuf's
-- wire format, and gzip's container around it (stored deflate blocks:
-- pprof reads any valid gzip).
-- @module snare.recording.pprof
local pprof = {}

local function varint(n)
  local out = {}
  repeat
    local byte = n & 0x7f
    n = n >> 7 -- logical shift: a negative int64 takes ten bytes, as it must
    out[#out + 1] = string.char(n ~= 0 and byte | 0x80 or byte)
  until n == 0
  return table.concat(out)
end

local function key(field, wire)
  return varint(field << 3 | wire)
end

local function uint_field(field, n)
  return key(field, 0) .. varint(n)
end

local function bytes_field(field, bytes)
  return key(field, 2) .. varint(#bytes) .. bytes
end

local function packed(field, numbers)
  local parts = {}
  for i, n in ipairs(numbers) do
    parts[i] = varint(n)
  end
  return bytes_field(field, table.concat(parts))
end

--- The Profile message of `stacks` (list of `{names = {outermost...},
-- [value fields]}`) with `types` (list of `{type, unit}`; the i-th names
-- the sample's i-th value, read from the stack as `calls`, then `ns`).
function pprof.profile(stacks, types)
  local strings, string_index = { "" }, { [""] = 0 }
  local function str(s)
    if not string_index[s] then
      strings[#strings + 1] = s
      string_index[s] = #strings - 1
    end
    return string_index[s]
  end
  local out, functions = {}, {}
  for _, t in ipairs(types) do
    out[#out + 1] = bytes_field(1, uint_field(1, str(t[1]))
                                   .. uint_field(2, str(t[2])))
  end
  local function function_id(name)
    if not functions[name] then
      functions[#functions + 1] = name
      functions[name] = #functions
    end
    return functions[name]
  end
  for _, s in ipairs(stacks) do
    local locations = {}
    for i = #s.names, 1, -1 do -- leaf first
      locations[#locations + 1] = function_id(s.names[i])
    end
    out[#out + 1] = bytes_field(2, packed(1, locations)
                                   .. packed(2, { s.calls, s.ns }))
  end
  -- One location per function, of the same id.
  for id, name in ipairs(functions) do
    out[#out + 1] = bytes_field(4, uint_field(1, id)
                                   .. bytes_field(4, uint_field(1, id)))
    out[#out + 1] = bytes_field(5, uint_field(1, id) .. uint_field(2, str(name))
                                   .. uint_field(3, str(name)))
  end
  for _, s in ipairs(strings) do
    out[#out + 1] = bytes_field(6, s)
  end
  return table.concat(out)
end

local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    c = (c & 1) ~= 0 and (0xEDB88320 ~ (c >> 1)) or (c >> 1)
  end
  crc_table[i] = c
end

--- CRC-32 (IEEE, as gzip's trailer has it) of `bytes`.
function pprof.crc32(bytes)
  local c = 0xFFFFFFFF
  for i = 1, #bytes do
    c = crc_table[(c ~ bytes:byte(i)) & 0xff] ~ (c >> 8)
  end
  return c ~ 0xFFFFFFFF
end

--- `bytes` in a gzip file of stored (uncompressed) deflate blocks.
function pprof.gzip(bytes)
  local out = { "\31\139\8\0\0\0\0\0\0\255" }
  local at, n = 1, #bytes
  repeat
    local size = math.min(65535, n - at + 1)
    local last = at + size > n and 1 or 0
    out[#out + 1] = string.pack("<BI2I2", last, size, size ~ 0xFFFF)
    out[#out + 1] = bytes:sub(at, at + size - 1)
    at = at + size
  until at > n
  out[#out + 1] = string.pack("<I4I4", pprof.crc32(bytes), n & 0xFFFFFFFF)
  return table.concat(out)
end

return pprof
