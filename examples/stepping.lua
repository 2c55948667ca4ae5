-- stepping.lua - source-level stepping as in gdb: next, step into a
-- call, finish with the return value, breakpoints on "file:line", and
-- addresses mapped back to lines.
--
-- Run it with `make example NAME=stepping`.
--
-- expect: next: lines 41 42 43 41 42 43 44 46
-- expect: step into line_total at shop%.c:31
-- expect: step into discount at shop%.c:25
-- expect: finish: discount returned 1350
-- expect: shop%.c:34 is line_total%+%d+, the row starting at 0x%x+
-- expect: order%("hammer", 2%) = 2700
-- expect: shop%.c:28 has no code; nearest lines with code: 27, 30
-- expect: ok: stepping
local snare = require "snare"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local lib <close> = assert(snare.load(examples .. "/libshop.so"))
local s <close> = snare.session { timeout = 5000 }

-- The text of a source line, when the source file is still where DWARF
-- says it was compiled.
local sources = {}
local function source_line(file, line)
  if sources[file] == nil then
    local f = io.open(file)
    sources[file] = false
    if f then
      local lines = {}
      for text in f:lines() do lines[#lines + 1] = text end
      f:close()
      sources[file] = lines
    end
  end
  return sources[file] and sources[file][line] or ""
end

local function show(label, stop)
  print(("%-8s %s:%d  %s"):format(label, stop.file:match("[^/]*$"), stop.line,
    source_line(stop.file, stop.line)))
end

-- "order" stops past the prologue, on the function's first line, as gdb's
-- `break order` does; `next` then walks the loop line by line, over the
-- strcmp calls, until the line that calls line_total.
local bp = s:breakpoint("order", { temporary = true })
local stop = s:call("order", "hammer", 2)
show("break", stop)
local lines = { stop.line }
while stop.line ~= 46 do
  stop = s:next()
  assert(stop.kind == "step", tostring(stop))
  lines[#lines + 1] = stop.line
  show("next", stop)
end
print("next: lines " .. table.concat(lines, " "))
assert(bp.cleared)

-- `step_line` goes into calls of functions that have line information
-- (strcmp has none, so `next` and `step` alike pass over it).
stop = s:step_line()
print(("step into %s at %s:%d"):format(stop.func, stop.file:match("[^/]*$"), stop.line))
repeat
  stop = s:step_line()
until stop.func ~= "line_total"
print(("step into %s at %s:%d"):format(stop.func, stop.file:match("[^/]*$"), stop.line))

-- `finish` runs to the caller and reports what the function returned.
stop = s:finish()
print(("finish: discount returned %d, back in %s at line %d"):format(
  stop.value, stop.func, stop.line))

-- A breakpoint on a source line, and the way back from an address to a
-- line: snare.line_at answers for any address in a loaded library.
local at = s:breakpoint("shop.c:34")
stop = s:continue()
local where = assert(snare.line_at(stop.pc))
print(("shop.c:34 is %s, the row starting at 0x%x"):format(
  snare.describe(stop.pc), where.address))
at:clear()
stop = s:continue()
print(("order(\"hammer\", 2) = %d"):format(stop.value))

-- The library knows every address a line has; a line without code says
-- where the nearest ones are.
print("shop.c:33 has code at " .. #lib:addresses("shop.c:33") .. " address(es)")
local ok, err = pcall(s.breakpoint, s, "shop.c:28", { exact_line = true })
print(ok and "shop.c:28 has code?" or err)

print("ok: stepping")
