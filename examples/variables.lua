-- variables.lua - backtraces and variables: the stack of a stopped call,
-- gdb-style, and the values of parameters and locals (structs, enums,
-- strings), read and written through DWARF.
--
-- Run it with `make example NAME=variables`.
--
-- expect: #0 discount %(price=1500, percent=10%) at [%w%./]*shop%.c:25
-- expect: #1 line_total %(item={%.%.%.}, quantity=3%) at [%w%./]*shop%.c:33
-- expect: #2 order %(name=%w+, quantity=3%) at [%w%./]*shop%.c:46
-- expect: item = { kind = "TOOL", name = "hammer", price = 1500, stock = 3 }
-- expect: name = "hammer"
-- expect: order%("hammer", 3%) with percent set to 50 = 2250
-- expect: ok: variables
local snare = require "snare"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local _lib <close> = assert(snare.load(examples .. "/libshop.so"))
local s <close> = snare.session { timeout = 5000 }

-- A table as one line, keys sorted, so the output reads the same each run.
local function show(value)
  if type(value) == "string" then
    return ("%q"):format(value)
  elseif type(value) ~= "table" then
    return tostring(value)
  end
  local keys = {}
  for k in pairs(value) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = ("%s = %s"):format(k, show(value[k])) end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

-- Stop deep inside: order -> line_total -> discount, for a tool.
s:breakpoint("discount", { temporary = true })
local stop = s:call("order", "hammer", 3)
assert(stop.kind == "breakpoint", tostring(stop))

-- The backtrace unwinds from the stopped worker's registers; each frame
-- prints like a line of gdb's `bt`. Frames below `order` belong to snare's
-- worker and show how the call was made.
for _, frame in ipairs(s:backtrace()) do
  print(("#%d %s"):format(frame.index, tostring(frame)))
  if frame.func == "order" then break end
end

-- Variables of any frame, not just the innermost one: structs read as
-- tables, enums as their names, and a `char *` as its string when asked.
local line_total = s:frame(1)
local order = s:frame(2)
print("item = " .. show(line_total:var("item", { strings = true })))
print("name = " .. show(order:var("name", { strings = true })))
print("order is at item number " .. order:var("i"))

-- Writing a variable changes what the rest of the call computes: the
-- innermost frame's `percent` becomes 50 before discount uses it.
local discount = s:frame(0)
discount:set_var("percent", 50)
stop = s:continue()
print(("order(\"hammer\", 3) with percent set to 50 = %d"):format(stop.value))

print("ok: variables")
