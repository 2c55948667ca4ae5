--- Arguments and return values in recordings: uftrace's `-A`/`-R`
-- specs, `--auto-args` from DWARF, what each hook then records, and how
-- a recorded value reads.
--
--    -A 'fib@arg1'              the first integer argument of fib
--    -A 'mix@arg1,arg3/s,arg2/x'  formats: d (signed), u (unsigned),
--                                 x (hex), p (pointer), c (char), s
--                                 (string: up to 64 bytes, read safely),
--                                 i32/i64/u32/... (of that many bits)
--    -R 'fib@retval[/FMT]'      its return value
--    -A 'scale@arg1,fparg1,fparg2/32'  floating-point arguments (the
--                                 Nth in the vector registers: double,
--                                 or float with /32)
--    -R 'scale@retval/f'        a floating-point return value (f, f64:
--                                 double; f32: float)
--
-- Without a format a value reads as a C int when its upper half is all
-- zeros or ones, else as the 64-bit number, in decimal up to +-100000
-- and in hex beyond (as uftrace shows them). `--auto-args` takes every
-- function's parameters and return value from its DWARF: integers of
-- their size and sign, enums by name, pointers in hex, `char *` as
-- strings, floats and doubles from the vector registers; struct
-- parameters (and those after one, whose place is not known) show as
-- `?`.
-- @module snare.recording.argspec
local argspec = {}

-- Integer arguments a hook can record: six registers, two stack words.
local MAX_ARGS = 8

local known_formats = { d = true, u = true, x = true, p = true, c = true,
                        s = true, auto = true, ["?"] = true }

-- "i32" -> "d4", "u16" -> "u2", "f32" -> "f4", "f"/"f64" -> "f8"; other
-- formats as they are; nil if bad.
local function format_of(text)
  if not text or text == "" then
    return "auto"
  end
  local float_bits = text:match("^f(%d*)$")
  if float_bits then
    return ({ [""] = "f8", ["64"] = "f8", ["32"] = "f4" })[float_bits]
  end
  local sign, bits = text:match("^([iu])(%d+)$")
  if sign then
    local bytes = ({ ["8"] = 1, ["16"] = 2, ["32"] = 4, ["64"] = 8 })[bits]
    return bytes and (sign == "i" and "d" or "u") .. bytes
  end
  return known_formats[text] and text or nil
end

--- Parses a spec of `-A` (`what` "args") or `-R` ("retval"): `{pattern,
-- args = {[i] = format}}` or `{pattern, retval = format}`; or nil, why.
function argspec.parse(spec, what)
  local pattern, list = spec:match("^(.-)@(.+)$")
  if not pattern then
    return nil, "expected FUNCTION@" .. (what == "args" and "arg1,arg2..." or
                                         "retval") .. ", got " .. spec
  end
  local out = { pattern = pattern, args = {} }
  for item in list:gmatch("[^,]+") do
    local name, fmt = item:match("^([%w]+)/?(.*)$")
    local index = name and math.tointeger(tonumber(name:match("^arg(%d)$")))
    local fp = name and math.tointeger(tonumber(name:match("^fparg(%d)$")))
    -- fparg takes a size only: 32 (float) or 64 (double, the default).
    local format = fp and ({ [""] = "f8", ["64"] = "f8", ["32"] = "f4" })[fmt]
                   or not fp and format_of(fmt)
    if not format then
      return nil, "unknown format " .. fmt .. " in " .. spec
    end
    if fp and fp >= 1 and fp <= MAX_ARGS and what == "args" then
      -- After the integer argument of the same number, as uftrace
      -- orders them.
      out.args[fp + 0.5] = format
    elseif index and index >= 1 and index <= MAX_ARGS and what == "args" then
      out.args[index] = format
    elseif name == "retval" and what == "retval" then
      out.retval = format
    else
      return nil, "cannot record " .. tostring(name) .. " (" .. (what == "args"
                  and "arg1 to arg8, fparg1 to fparg8" or "retval") .. ")"
    end
  end
  return out
end

-- One of DWARF's formats ("d4", "s8": snare.h's param_formats) as a
-- display format; an enum's with its enumerators: "e4{RED=0;BLUE=6}".
local function dwarf_format(kind, size, enums)
  if kind == "d" or kind == "u" then
    return "a" .. kind .. size
  elseif kind == "e" then
    return enums and ("e" .. size .. "{" .. enums .. "}") or "d" .. size
  elseif kind == "p" or kind == "s" then
    return kind
  elseif kind == "f" and (size == "4" or size == "8") then
    return kind .. size
  end
  return "?" -- structs, long doubles
end

-- The parameters' display formats and where each one's value is (the
-- Nth integer argument: registers, then the stack; the Nth vector
-- register for a float or double), by the x86-64 ABI; after a struct
-- the layout is not known, so neither are the rest.
local function dwarf_formats(info)
  local formats, sources, float_sources, integer, vector = {}, {}, {}, 0, 0
  local known = true
  for kind, size in (info.param_formats or ""):gmatch("(.)(.)") do
    local i = #formats + 1
    local format = dwarf_format(kind, size, (info.param_enums or {})[i])
    if kind == "?" then
      known = false
    end
    if known and kind == "f" and format ~= "?" and vector < MAX_ARGS then
      vector = vector + 1
      formats[i], float_sources[i] = format, vector
    elseif known and kind ~= "f" and integer < MAX_ARGS then
      integer = integer + 1
      formats[i], sources[i] = format, integer
    else
      formats[i] = "?"
    end
  end
  return formats, sources, float_sources
end

--- What to record of function `fn` (`{name, library}`) under the specs
-- (lists of parsed `-A`/`-R` specs, `auto` for `--auto-args`, `info` its
-- `lib:function_info`, `match(pattern, fn)` the name matcher):
-- `{args = {[i] = format}, retval = format}`, or nil for nothing.
function argspec.plan(fn, specs, match)
  local plan = { args = {}, sources = {}, float_sources = {} }
  if specs.auto and fn.info then
    local formats, sources, float_sources = dwarf_formats(fn.info)
    for i, format in ipairs(formats) do
      plan.args[i] = format
      plan.sources[i] = sources[i]
      plan.float_sources[i] = float_sources[i]
    end
    local kind, size = (fn.info.return_format or ""):match("^(.)(.)$")
    if fn.info.returns == "integer" then
      plan.retval = kind and dwarf_format(kind, size, fn.info.return_enums)
                    or "auto"
    elseif kind == "f" and dwarf_format(kind, size) ~= "?" then
      plan.retval = dwarf_format(kind, size)
    end
  end
  for _, spec in ipairs(specs.args or {}) do
    if match(spec.pattern, fn) then
      for i, format in pairs(spec.args) do
        plan.args[i] = format
        if math.type(i) == "float" then -- fpargN, at N + 0.5
          plan.float_sources[i] = math.tointeger(i - 0.5)
        else
          plan.sources[i] = i
        end
      end
    end
  end
  for _, spec in ipairs(specs.retvals or {}) do
    if match(spec.pattern, fn) then
      plan.retval = spec.retval
    end
  end
  if not next(plan.args) and not plan.retval then
    return nil
  end
  return plan
end

--- The hook options of a plan: `{record_args, record_strings,
-- record_float_args, record_return, record_return_string,
-- record_return_float}`.
function argspec.hook_options(plan)
  local count, strings, floats = 0, 0, 0
  for _, source in pairs(plan.float_sources or {}) do
    floats = math.max(floats, source)
  end
  for i, format in pairs(plan.args) do
    local source = plan.sources[i]
    if source then
      count = math.max(count, source)
      if format == "s" then
        strings = strings | (1 << (source - 1))
      end
    end
  end
  return { record_args = count, record_strings = strings,
           record_float_args = floats,
           record_return = plan.retval ~= nil,
           record_return_string = plan.retval == "s",
           record_return_float = (plan.retval or ""):match("^f%d$") ~= nil }
end

--- A plan as a line of args.txt: "ID FORMATS RETVAL" ("-" for none),
-- FORMATS "FORMAT@N,..." per parameter (N: which recorded value; FN:
-- which recorded floating-point value).
function argspec.line(id, plan)
  local list, keys = {}, {}
  for i in pairs(plan.args) do
    keys[#keys + 1] = i
  end
  table.sort(keys) -- those asked for, in order (-A f@arg3: one)
  for _, i in ipairs(keys) do
    local format, float = plan.args[i], (plan.float_sources or {})[i]
    list[#list + 1] = float and format .. "@F" .. float
                      or plan.sources[i] and format .. "@" .. plan.sources[i]
                      or format
  end
  return string.format("%d %s %s", id, #list > 0 and table.concat(list, ",")
                       or "-", plan.retval or "-")
end

--- Reads args.txt's line back: id, plan.
function argspec.from_line(line)
  local id, list, retval = line:match("^(%d+) (%S+) (%S+)$")
  if not id then
    return nil
  end
  local plan = { args = {}, sources = {}, float_sources = {},
                 retval = retval ~= "-" and retval or nil }
  local i = 0
  for item in list:gmatch("[^,]+") do
    if item ~= "-" then
      i = i + 1
      local format, float, source = item:match("^(.-)@(F?)(%d+)$")
      plan.args[i] = format or item
      local n = math.tointeger(tonumber(source))
      if float == "F" then
        plan.float_sources[i] = n
      else
        plan.sources[i] = n
      end
    end
  end
  return math.tointeger(tonumber(id)), plan
end

-- uftrace's automatic format: decimal, or hex beyond +-100000.
local function automatic(value, bits)
  if value > 100000 or value < -100000 then
    local mask = bits >= 64 and -1 or (1 << bits) - 1
    return string.format("0x%x", value & mask)
  end
  return string.format("%d", value)
end

local function c_int(raw)
  local high = raw >> 32
  if high ~= 0 and high ~= 0xffffffff then
    return automatic(raw, 64)
  end
  local low = raw & 0xffffffff
  return automatic(low >= 0x80000000 and low - 0x100000000 or low, 32)
end

local function sized(raw, bytes, signed)
  if bytes >= 8 or bytes <= 0 then
    return signed and string.format("%d", raw) or string.format("%u", raw)
  end
  local bits = bytes * 8
  local value = raw & ((1 << bits) - 1)
  if signed and value >= 1 << (bits - 1) then
    value = value - (1 << bits)
  end
  return string.format("%d", value)
end

-- A backslash stays as it is (uftrace prints it so).
local function quoted(s)
  return '"' .. s:gsub('[%c"]', function(c)
    local named = { ["\n"] = "\\n", ["\t"] = "\\t", ['"'] = '\\"' }
    return named[c] or string.format("\\x%02x", c:byte())
  end) .. '"'
end

--- A recorded value as uftrace shows it: `raw` the register, `format`
-- the plan's, `text` what was read for an "s" (a string, false when
-- unreadable, nil when not read).
function argspec.show(raw, format, text)
  if format == "s" then
    if raw == 0 then
      return "(null)"
    elseif not text then
      return string.format("(bad pointer 0x%x)", raw)
    end
    return quoted(text)
  elseif format == "x" and raw == 0 then
    return "0" -- C's %#x, as uftrace prints it
  elseif format == "x" or (format == "p" and raw ~= 0) then
    return string.format("0x%x", raw)
  elseif format == "p" then
    return "0"
  elseif format == "c" then
    return string.format("'%s'", quoted(string.char(raw & 0xff)):sub(2, -2))
  elseif format == "f8" then
    return string.format("%f", string.unpack("<d", string.pack("<i8", raw)))
  elseif format == "f4" then
    return string.format("%f", string.unpack("<f", string.pack("<I4",
                                                                raw & 0xffffffff)))
  elseif format == "?" then
    return "?"
  elseif format == "d" or format == "u" then
    return sized(raw, 8, format == "d")
  end
  local auto, kind, size = (format or ""):match("^(a?)([du])(%d)$")
  if kind then
    local bytes = math.tointeger(tonumber(size))
    local shown = sized(raw, bytes, kind == "d")
    return auto == "a" and automatic(math.tointeger(tonumber(shown))
                                     or raw, 8 * bytes) or shown
  end
  local enum_size, enums = (format or ""):match("^e(%d){(.*)}$")
  if enum_size then
    local value = sized(raw, math.tointeger(tonumber(enum_size)), true)
    for name, v in enums:gmatch("([^;=]+)=(%-?%d+)") do
      if v == value then
        return name
      end
    end
    return value
  end
  return c_int(raw)
end

return argspec
