--- Values printed as gdb prints them: `print`, `output`, `display`,
-- with the format letters of `print/F` and `set print pretty`.
-- @module snare.expr.format

local snare = require "snare"
local types = require "snare.expr.types"
local value = require "snare.expr.value"
local vector = require "snare.expr.vector"
local function_names = require "snare.function_names"
local image = require "snare.expr.image"
local libstdcxx = require "snare.expr.libstdcxx"
local cxx_object = require "snare.expr.cxx_object"

local format = {}

local strip = types.strip
local ELEMENTS = 200 -- gdb's `print elements`
local REPEATS = 10   -- gdb's `print repeats`
local ARRAY_READ = 65536 -- arrays up to this size are read at once

local shown, loaded = image.shown, image.loaded

local char_escapes = { [7] = "\\a", [8] = "\\b", [9] = "\\t", [10] = "\\n",
                       [11] = "\\v", [12] = "\\f", [13] = "\\r",
                       [27] = "\\033", [92] = "\\\\" }

-- One character as gdb writes it inside quote q.
local function escape(byte, q)
  if char_escapes[byte] then
    return char_escapes[byte]
  end
  if byte == q:byte() then
    return "\\" .. q
  end
  if byte < 32 or byte >= 127 then
    return string.format("\\%03o", byte)
  end
  return string.char(byte)
end

--- 'a', '\000', '\310'
function format.char_literal(byte)
  return "'" .. escape(byte & 255, "'") .. "'"
end

-- gdb reads strings in the host's character set: UTF-8 when the locale
-- says so (then valid printable sequences print as themselves), else
-- ASCII (every byte past 127 an octal escape).
local function utf8_locale()
  local locale = os.getenv("LC_ALL")
  if not locale or locale == "" then locale = os.getenv("LC_CTYPE") end
  if not locale or locale == "" then locale = os.getenv("LANG") end
  return locale ~= nil and (locale:lower():find("utf%-?8") ~= nil)
end
local host_utf8 = utf8_locale()

local function is_continuation(b)
  return b ~= nil and b >= 0x80 and b < 0xc0
end

-- How many bytes a sequence led by b claims, as glibc's decoder counts
-- them (0: b cannot lead one).
local function sequence_length(b)
  if b >= 0xc0 and b < 0xe0 then return 2
  elseif b >= 0xe0 and b < 0xf0 then return 3
  elseif b >= 0xf0 and b < 0xf8 then return 4
  elseif b >= 0xf8 and b < 0xfc then return 5
  elseif b >= 0xfc and b < 0xfe then return 6 end
  return 0
end

-- The code point of the n-byte sequence at i, or nil when it is not
-- valid UTF-8 (overlong, surrogate, past U+10FFFF, 5 or 6 bytes).
local function decode(bytes, i, n)
  if n > 4 then
    return nil
  end
  local b = bytes:byte(i)
  local cp = b & (0x7f >> n)
  for k = 1, n - 1 do
    cp = (cp << 6) | (bytes:byte(i + k) & 0x3f)
  end
  local least = ({ 0, 0x80, 0x800, 0x10000 })[n]
  if cp < least or cp > 0x10ffff or (cp >= 0xd800 and cp < 0xe000) then
    return nil
  end
  return cp
end

local function printable(cp)
  return cp >= 0xa0 and cp ~= 0x2028 and cp ~= 0x2029 and cp ~= 0xfeff
    and not (cp >= 0xfff9 and cp <= 0xfffb)
end

-- The characters of bytes as gdb iterates them: {key, text} each (key
-- tells equal characters apart for repeats), and the bytes of an
-- incomplete sequence that ends them, if any.
local function characters(bytes)
  local chars = {}
  local i, n = 1, #bytes
  while i <= n do
    local b = bytes:byte(i)
    local len = host_utf8 and b >= 0x80 and sequence_length(b) or 0
    if len > 1 and i + len - 1 > n then
      local k = i + 1
      while k <= n and is_continuation(bytes:byte(k)) do
        k = k + 1
      end
      if k > n then
        return chars, bytes:sub(i)
      end
    end
    local cp
    if len > 1 and i + len - 1 <= n then
      local ok = true
      for k = i + 1, i + len - 1 do
        ok = ok and is_continuation(bytes:byte(k))
      end
      cp = ok and decode(bytes, i, len) or nil
    end
    if cp then
      local seq = bytes:sub(i, i + len - 1)
      chars[#chars + 1] = { key = seq, valid = true, byte = b,
        text = printable(cp) and seq or seq:gsub(".", function(ch)
          return string.format("\\%03o", ch:byte())
        end) }
      i = i + len
    else
      chars[#chars + 1] = { key = string.char(b), byte = b,
                            valid = b < 0x80 }
      i = i + 1
    end
  end
  return chars, nil
end

-- gdb's generic_printstr: quoted runs, long repeats as 'c' <repeats N
-- times>, an incomplete multibyte sequence at the end apart, "..." when
-- cut at the element limit. With limit, runs of equal characters are
-- taken whole until they count limit characters (a char array: the run
-- that crosses the limit is shown to its end), then the rest is cut.
local function string_text(bytes, cut, limit)
  local chars, incomplete = characters(bytes)
  if limit then
    local taken, i = 0, 1
    while i <= #chars and taken < limit do
      local j = i
      while j < #chars and chars[j + 1].key == chars[i].key do
        j = j + 1
      end
      taken, i = taken + j - i + 1, j + 1
    end
    if i <= #chars or (incomplete and taken >= limit) then
      chars = table.move(chars, 1, i - 1, 1, {})
      incomplete, cut = nil, true
    end
  end
  if incomplete and #chars > 0 and chars[#chars].valid then
    chars[#chars] = nil -- gdb 13 loses the character converted before it
  end
  local parts, run = {}, {}
  local function flush()
    if #run > 0 then
      parts[#parts + 1] = '"' .. table.concat(run) .. '"'
      run = {}
    end
  end
  local i, n = 1, #chars
  while i <= n do
    local c = chars[i]
    local j = i
    while j < n and chars[j + 1].key == c.key do
      j = j + 1
    end
    local count = j - i + 1
    local text = c.text and c.text:find("^[\128-\255]") and c.text
      or escape(c.byte, '"')
    if count > REPEATS then
      flush()
      parts[#parts + 1] = string.format("%s <repeats %d times>",
        #c.key > 1 and ("'" .. c.text .. "'") or format.char_literal(c.byte),
        count)
    else
      for _ = 1, count do
        run[#run + 1] = text
      end
    end
    i = j + 1
  end
  flush()
  if incomplete then
    parts[#parts + 1] = "<incomplete sequence " .. incomplete:gsub(".",
      function(ch) return string.format("\\%03o", ch:byte()) end) .. ">"
  end
  if #parts == 0 then
    parts[1] = '""'
  end
  local text = table.concat(parts, ", ")
  return cut and text .. "..." or text
end
format.string_text = string_text

-- The C string at addr, as gdb shows it after a char pointer.
local function c_string(addr)
  if addr == 0 then
    return nil
  end
  local s = snare.read_cstring(loaded(addr), ELEMENTS + 1)
  if not s then
    return string.format("<error: Cannot access memory at address 0x%x>",
                         addr)
  end
  local cut = #s > ELEMENTS
  return string_text(s:sub(1, ELEMENTS), cut)
end

-- Per float size (and 16-bit format): the mantissa bits a NaN shows and
-- gdb's significant digits (1 + mantissa bits * log10(2), rounded up).
local float_shapes = {
  [8] = { mantissa = (1 << 52) - 1, sign = 63, digits = "%.17g" },
  [4] = { mantissa = 0x7fffff, sign = 31, digits = "%.9g" },
  binary16 = { mantissa = 0x3ff, sign = 15, digits = "%.5g" },
  bfloat16 = { mantissa = 0x7f, sign = 15, digits = "%.4g" },
}

local function float_text(n, t, bits, bytes)
  if t.x87 then
    return snare.core.x87_text(bytes)
  end
  local shape = float_shapes[t.half_format or t.size]
  if n ~= n then
    local negative = (bits >> shape.sign) & 1 == 1
    return string.format("%snan(0x%x)", negative and "-" or "",
                         bits & shape.mantissa)
  end
  if n == math.huge then return "inf" end
  if n == -math.huge then return "-inf" end
  return string.format(shape.digits, n)
end

-- " <fib+4>" after a pointer's value, or "": a C++ function by its print
-- name ("ns::twice(int)"), or by its linkage name under /a (gdb's
-- print_address, asm-demangle being off) when `form` says "linkage".
local function symbol_suffix(addr, form)
  local name = addr ~= 0
    and function_names.describe(loaded(addr), form or "print")
  return name and (" <" .. name .. ">") or ""
end

-- gdb's i386_eflags and i386_mxcsr flag types: the name of each bit.
format.eflags_names = { [0] = "CF", [2] = "PF", [4] = "AF", [6] = "ZF",
                        [7] = "SF", [8] = "TF", [9] = "IF", [10] = "DF",
                        [11] = "OF", [14] = "NT", [16] = "RF", [17] = "VM",
                        [18] = "AC", [19] = "VIF", [20] = "VIP", [21] = "ID" }
format.mxcsr_names = { [0] = "IE", [1] = "DE", [2] = "ZE", [3] = "OE",
                       [4] = "UE", [5] = "PE", [6] = "DAZ", [7] = "IM",
                       [8] = "DM", [9] = "ZM", [10] = "OM", [11] = "UM",
                       [12] = "PM", [15] = "FZ" }

--- The set flags of a flags register's value `n` as gdb shows them
-- ("[ PF ZF IF ]"): `names` names each bit (default: eflags').
function format.eflags(n, names)
  names = names or format.eflags_names
  local set = {}
  for bit = 0, 31 do
    if names[bit] and n & (1 << bit) ~= 0 then
      set[#set + 1] = names[bit]
    end
  end
  return "[ " .. table.concat(set, " ") .. " ]"
end

--- A 64-bit integer read as unsigned, in decimal.
function format.unsigned(n)
  if n >= 0 then
    return string.format("%d", n)
  end
  local q = (n >> 1) // 5 -- n / 10 without the sign
  return string.format("%d%d", q, n - q * 10)
end

local function binary(n, size)
  if size < 8 then
    n = n & ((1 << (8 * size)) - 1)
  end
  if n == 0 then
    return "0"
  end
  local digits = {}
  while n ~= 0 do
    digits[#digits + 1] = tostring(n & 1)
    n = n >> 1
  end
  return string.reverse(table.concat(digits))
end

--- An integer (or pointer) of `size` bytes in format letter f (print/F's
-- x z o t d u c a; else decimal, `signed` or not).
function format.integer_in(n, size, signed, f)
  local masked = size < 8 and n & ((1 << (8 * size)) - 1) or n
  if f == "x" then
    return string.format("0x%x", masked)
  elseif f == "z" then
    return string.format("0x%0" .. (2 * size) .. "x", masked)
  elseif f == "o" then
    return masked == 0 and "0" or string.format("0%o", masked)
  elseif f == "t" then
    return binary(n, size)
  elseif f == "d" then
    return string.format("%d", value.wrap(n, size, true))
  elseif f == "u" then
    return format.unsigned(masked)
  elseif f == "c" then
    local c = value.wrap(n, 1, true)
    return string.format("%d %s", c, format.char_literal(c))
  elseif f == "a" then
    return string.format("0x%x%s", shown(masked),
                         symbol_suffix(masked, "linkage"))
  end
  return string.format("%d", signed and value.wrap(n, size, true) or n)
end
local integer_in = format.integer_in

local render

--- gdb's flag enum: every enumerator 0 or a bit of its own.
function format.is_flag_enum(t)
  local mask = 0
  for _, e in ipairs(t.enumerators or {}) do
    local v = e.value
    if v < 0 or (v & (v - 1)) ~= 0 or (mask & v) ~= 0 then
      return false
    end
    mask = mask | v
  end
  return true
end

-- A flag enum's value as its bits' names: "(A | B | unknown: 0x8)".
local function flag_enum_text(enumerators, n)
  local names = {}
  for _, e in ipairs(enumerators) do
    if e.value ~= 0 and n & e.value ~= 0 then
      names[#names + 1] = e.name
      n = n & ~e.value
    end
  end
  if n ~= 0 then
    names[#names + 1] = string.format("unknown: 0x%x", n)
  elseif #names == 0 then
    return "0"
  end
  return "(" .. table.concat(names, " | ") .. ")"
end

-- A pointer type spelled "char *" (qualifiers aside), no typedef.
local function plain_char_pointer(t)
  while t.kind == "const" or t.kind == "volatile" or t.kind == "restrict" do
    t = t.target
  end
  if t.kind ~= "pointer" then
    return false
  end
  local target = t.target
  while target.kind == "const" or target.kind == "volatile"
        or target.kind == "restrict" do
    target = target.target
  end
  return target.kind == "int" and target.name == "char"
end

local function scalar(v, t, opts, top)
  local f = opts.format
  if v.optimized_out then
    return "<optimized out>"
  end
  if v.synthetic then
    return (top and "(" .. types.name(v.type) .. ") " or "")
      .. "<synthetic pointer>"
  end
  if t.kind == "int" and t.size == 16 then -- a vector register's int128
    local bytes = value.bytes(v)
    if f == "x" then
      local low, high = string.unpack("<I8I8", bytes)
      return high == 0 and string.format("0x%x", low)
        or string.format("0x%x%016x", high, low)
    end
    return vector.int128_text(bytes, t.signed)
  end
  local ok, n = pcall(value.number, v)
  if not ok then
    return "<error: " .. tostring(n) .. ">"
  end
  local kind = t.kind
  if kind == "float" then
    if f and f ~= "f" and t.vector_lane then
      return integer_in(string.unpack("<I" .. t.size, value.bytes(v)),
                        t.size, false, f)
    end
    if f and f ~= "f" then
      local i = math.tointeger(n < 0 and math.ceil(n) or math.floor(n))
      if i then
        return integer_in(i, t.size, true, f)
      end
    end
    if t.x87 then
      return float_text(n, t, nil, value.bytes(v))
    end
    local bits = string.unpack("<I" .. t.size, value.bytes(v))
    return float_text(n, t, bits)
  elseif kind == "pointer" then
    if f and f ~= "s" then
      return integer_in(f == "a" and n or shown(n), 8, false, f)
    end
    local target = strip(t.target)
    local text = string.format("0x%x", shown(n)) .. symbol_suffix(n)
    if target.kind == "int" and target.is_char and target.size == 1 then
      local s = c_string(n)
      text = text .. (s and (" " .. s) or "")
    end
    -- gdb leaves the type out for a plain char * only: its string says it
    if top and not plain_char_pointer(v.type) then
      return "(" .. types.name(v.type) .. ") " .. text
    end
    return text
  elseif kind == "bool" then
    if f then
      return integer_in(n, t.size, false, f)
    end
    return n == 0 and "false" or n == 1 and "true" or tostring(n)
  elseif kind == "enum" then
    if f then
      return integer_in(n, t.size, types.is_signed(t), f)
    end
    local enumerators = t.enumerators or {}
    for _, e in ipairs(enumerators) do
      if e.value == n then
        return e.name
      end
    end
    if format.is_flag_enum(t) then
      return flag_enum_text(enumerators, n)
    end
    return tostring(n)
  elseif t.flags then
    if f then
      return integer_in(n, t.size, true, f)
    end
    return format.eflags(n, t.flag_names)
  end
  local size = t.size or 8
  if v.bitfield then
    size = 8
  end
  if f then
    return integer_in(n, size, t.signed, f)
  end
  if t.is_char then
    return string.format("%d %s", n, format.char_literal(n))
  end
  if not t.signed and n < 0 then
    return format.unsigned(n)
  end
  return tostring(n)
end

-- Elements of an array with runs of equal ones folded.
local function array_text(v, t, opts, depth)
  local elem = t.target
  local es = strip(elem)
  local count = t.count or 0
  local f = opts.format
  if es.kind == "int" and es.is_char and es.size == 1 and
     (not f or f == "s") then
    local ok, bytes = pcall(value.bytes, v)
    if not ok then
      return "<error: " .. tostring(bytes) .. ">"
    end
    if bytes:sub(-1) == "\0" then
      bytes = bytes:sub(1, -2)
    end
    return string_text(bytes, false, ELEMENTS)
  end
  local size = es.size or 0
  local whole
  if not v.address or count * size <= ARRAY_READ then
    local ok, bytes = pcall(value.bytes, v)
    whole = ok and bytes or nil
  end
  local function element(i)
    local e = { type = elem }
    if v.address then
      e.address = v.address + i * size
    end
    if whole then
      e.bytes = whole:sub(i * size + 1, (i + 1) * size)
    end
    return e
  end
  local function contents(i)
    local ok, bytes = pcall(value.bytes, element(i))
    return ok and bytes or nil
  end
  -- gdb's value_print_array_elements: a run longer than `print repeats`
  -- is one item however long, and counts as `print repeats` elements
  -- towards `print elements`.
  local items, printed, i = {}, 0, 0
  while i < count and printed < ELEMENTS do
    local e = element(i)
    local reps, bytes = 1, contents(i)
    if bytes then
      while i + reps < count and contents(i + reps) == bytes do
        reps = reps + 1
      end
    end
    local text = render(e, opts, depth + 1, false)
    if reps > REPEATS then
      items[#items + 1] = string.format("%s <repeats %d times>", text, reps)
      printed = printed + REPEATS
      i = i + reps
    else
      items[#items + 1] = text
      printed = printed + 1
      i = i + 1
    end
  end
  local text = "{" .. table.concat(items, ", ")
  if i < count then
    text = text .. "..."
  end
  return text .. "}"
end

-- The value of static member `part` of C++ type t, gdb's "static made
-- = 2": the variable its class defines apart, else the value its
-- declaration gives (a static const member's DW_AT_const_value),
-- <optimized out> if neither.
local function static_member_text(t, part, opts, depth)
  local ref, address = snare.core.find_global(t.name .. "::" .. part.name)
  if ref then
    local v = value.at(types.from_ref(ref), address)
    local kind = strip(v.type).kind
    if kind == "reference" or kind == "rvalue_reference" then
      -- (gdb's cp_print_static_field leaves a reference undereferenced:
      -- Json::Value's `static const Value& null` would print itself)
      local ok, bytes = pcall(value.bytes, v)
      return ok and string.format("@0x%x", shown(string.unpack("<I8", bytes)))
        or "<error: " .. tostring(bytes) .. ">"
    elseif kind == "struct" or kind == "union" then
      -- a static member of a class type is printed once per print: one of
      -- its own class's type would print again and again
      local statics = opts.statics or {}
      if statics[address] then
        return "<same as static member of an already seen type>"
      end
      statics[address] = true
    end
    return render(v, opts, depth + 1, false)
  end
  local constant = value.constant(part)
  if not constant then
    return "<optimized out>"
  end
  return render(constant, opts, depth + 1, false)
end

-- The members of t in declaration order as {member} or {static = part}:
-- a C++ type's static members among the others.
local function fields_of(t)
  if not t.parts then
    return t.members or {}
  end
  local list, next_member = {}, 1
  for _, part in ipairs(t.parts) do
    if part.kind == "member" then
      list[#list + 1] = t.members[next_member]
      next_member = next_member + 1
    elseif part.kind == "static_member" and part.name then
      list[#list + 1] = { static = part }
    end
  end
  return list
end

-- A C++ class's bases as gdb's cp_print_value prints them before the
-- fields: "<Base> = {...}, " each (a printer's text where one takes
-- the base), `pad` before each under `set print pretty`.
local function bases_text(v, t, opts, depth, pad)
  local text = {}
  for _, part in ipairs(t.parts or {}) do
    if part.kind == "base" then
      local base_text = part.virtual
        and "<error: the place of a virtual base is not known>"
        or render(cxx_object.at(v, part.type, part.offset), opts, depth + 1,
                  false)
      -- (named as the class it is: clang's bases may be typedefs)
      text[#text + 1] = (opts.pretty and pad or "") .. "<"
        .. types.name(strip(part.type)) .. "> = " .. base_text .. ", "
    end
  end
  return table.concat(text)
end

local function aggregate_text(v, t, opts, depth)
  local fields = {}
  for _, m in ipairs(fields_of(t)) do
    if m.static then
      fields[#fields + 1] = "static " .. m.static.name .. " = "
        .. static_member_text(t, m.static, opts, depth)
    else
      local mv
      if v.address then
        mv = value.at(m.type, v.address + m.offset)
      else
        local size = strip(m.type).size or 0
        if m.bit_size then
          size = (m.bit_offset + m.bit_size + 7) // 8
        end
        mv = { type = m.type,
               bytes = value.bytes(v):sub(m.offset + 1, m.offset + size) }
      end
      if m.bit_size then
        mv.bitfield = { offset = m.bit_offset, size = m.bit_size }
      end
      local text = render(mv, opts, depth + 1, false)
      fields[#fields + 1] = m.name and (m.name .. " = " .. text) or text
    end
  end
  local pad = "\n" .. string.rep("  ", depth + 1)
  local bases = bases_text(v, t, opts, depth, pad)
  if #fields == 0 then
    return "{" .. bases .. "<No data fields>}"
  end
  if opts.pretty then
    -- (gdb heads a derived class's own fields after its bases)
    local members = bases ~= "" and pad .. "members of " .. types.name(t)
      .. ":" or ""
    return "{" .. bases .. members .. pad .. table.concat(fields, "," .. pad)
      .. "\n" .. string.rep("  ", depth) .. "}"
  end
  return "{" .. bases .. table.concat(fields, ", ") .. "}"
end

render = function(v, opts, depth, top)
  local t = strip(v.type)
  local kind = t.kind
  if v.optimized_out then
    return "<optimized out>"
  end
  if kind == "reference" or kind == "rvalue_reference" then
    -- a libstdc++ printer takes the reference whole, as gdb's value_print
    -- asks the printers before the language prints "(T &) @0x...: "
    local referent_type = strip(t.target)
    if not opts.raw and libstdcxx.takes(referent_type) then
      local ok, referent = pcall(value.referenced, v)
      if not ok then
        return "<error reading variable: " .. tostring(referent) .. ">"
      end
      return libstdcxx.text(referent, referent_type, opts, depth, render)
    end
    -- gdb reads what it refers to first: an unreadable one is an error
    local ok, referent = pcall(value.referenced, v)
    if ok and referent.address then
      ok, referent = pcall(function()
        value.bytes(referent)
        return referent
      end)
    end
    if not ok then
      return (top and "(" .. types.name(v.type) .. ") " or "")
        .. "<error reading variable: " .. tostring(referent) .. ">"
    end
    return (top and "(" .. types.name(v.type) .. ") " or "")
      .. string.format("@0x%x: ", referent.address)
      .. render(referent, opts, depth, false)
  elseif kind == "struct" or kind == "union" then
    local printed = not opts.raw and libstdcxx.text(v, t, opts, depth, render)
    if printed then
      return printed
    end
    local ok, text = pcall(aggregate_text, v, t, opts, depth)
    return ok and text or ("<error: " .. tostring(text) .. ">")
  elseif kind == "array" then
    local ok, text = pcall(array_text, v, t, opts, depth)
    return ok and text or ("<error: " .. tostring(text) .. ">")
  elseif kind == "function" then
    local addr = v.address or 0
    local f = opts.format
    if f and f:match("^[xdutozf]$") and not v.nodebug then
      -- gdb's print/x of a function: its type is one byte long, so the
      -- value is its code's first byte, a signed char
      local first = snare.read(loaded(addr), 1)
      if not first then
        error(string.format("Cannot access memory at address 0x%x", addr), 0)
      end
      return integer_in(value.wrap(first:byte(), 1, true), 1, true,
                        f == "f" and "d" or f)
    end
    if v.nodebug then
      return string.format("{<text variable, no debug info>} 0x%x%s",
                           shown(addr), symbol_suffix(addr))
    end
    return string.format("{%s} 0x%x%s", types.name(v.type), shown(addr),
                         symbol_suffix(addr))
  elseif kind == "void" then
    return "void"
  end
  if v.nodebug then
    error(string.format("'%s' has unknown type; cast it to its declared type",
                        v.name), 0)
  end
  return scalar(v, t, opts, top)
end

--- The text of value v. opts: `format` (a letter of print/F), `pretty`,
-- `raw` (print/r: libstdc++'s types as their structs, no printer).
function format.value(v, opts)
  opts = opts or {}
  local f = opts.format
  if f == "s" then
    f = nil -- strings print so anyway
  elseif f and not f:match("^[xdoutczaf]$") then
    error(string.format('Undefined output format "%s".', f), 0)
  end
  return render(v, { format = f, pretty = opts.pretty, raw = opts.raw,
                     statics = {} }, 0, not opts.nested)
end

--- A frame argument as gdb's frame lines show it (gdb's summary mode):
-- scalars as print shows them inside a struct, aggregates as "...",
-- a libstdc++ type as its printer's text with "{...}" for its children.
function format.argument(v)
  local t = strip(v.type)
  if t.kind == "reference" or t.kind == "rvalue_reference" then
    t = strip(t.target)
  end
  local k = t.kind
  if (k == "struct" or k == "union") and libstdcxx.takes(t) then
    return render(v, { summary = true }, 0, false)
  elseif k == "struct" or k == "union" or k == "array" then
    return "..."
  end
  return render(v, {}, 0, false)
end

return format
