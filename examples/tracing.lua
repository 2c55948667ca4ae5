-- tracing.lua - watching calls without stopping: call counts of a whole
-- library, a time profile, an indented call trace, and a Lua function
-- run at every call of one function.
--
-- Run it with `make example NAME=tracing`.
--
-- expect: order +4
-- expect: line_total +3
-- expect: discount +2
-- expect: fib%(20%): 21891 calls
-- expect: fib%(4%) traced: 9 calls, deepest at depth 3
-- expect: discount%(1500, 10%) = 1350
-- expect: discount%(1500, 10%) = 1350
-- expect: ok: tracing
local snare = require "snare"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local shop <close> = assert(snare.load(examples .. "/libshop.so"))
local _demo <close> = assert(snare.load(examples .. "/libdemo.so"))
local s <close> = snare.session { timeout = 5000 }

-- A tally hooks every function of the library; counting runs in C at each
-- call, so it costs little more than the call itself.
do
  local t <close> = snare.tally(shop)
  for _, name in ipairs { "apple", "hammer", "hammer", "pear" } do
    s:call("order", name, 1)
  end
  -- Functions never called are listed with 0: print only those that were.
  for _, row in ipairs(t:report()) do
    if row.calls > 0 then print(("%-12s %d"):format(row.name, row.calls)) end
  end
end -- <close>: the hooks are removed here

-- A profile adds inclusive and self time. Times vary from run to run;
-- the call count does not.
do
  local p <close> = snare.profile { "fib" }
  s:call("fib", 20)
  local row = p:report()[1]
  print(("fib(20): %d calls, %.3f ms"):format(row.calls, row.inclusive_ns / 1e6))
end

-- A trace records each call with its depth and duration; tostring(tr)
-- is the readable form, tr:report() the records.
do
  local tr <close> = snare.trace { "fib" }
  s:call("fib", 4)
  print(tr)
  local deepest = 0
  local records = tr:report()
  for _, call in ipairs(records) do deepest = math.max(deepest, call.depth) end
  print(("fib(4) traced: %d calls, deepest at depth %d"):format(#records, deepest))
end

-- A Lua hook sees the arguments at entry and, with exit = true, the
-- return value; `call` is reused between calls, so copy what you keep.
do
  local price, percent
  local _hook <close> = snare.hook("discount", function(call)
    if call.exit then
      print(("discount(%d, %d) = %d"):format(price, percent, call.return_value))
    else
      price, percent = call.args[1], call.args[2]
    end
  end, { exit = true })
  s:call("order", "hammer", 1)
  s:call("order", "hammer", 2)
end

print("ok: tracing")
