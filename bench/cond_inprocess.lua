-- cond_inprocess.lua - what a C condition's own work costs, measured
-- inside one hit (os.clock over many calls, no trap or jump around it):
-- the condition compiled for the site (snare.expr.condition, for one
-- address and keyed by pc), the general evaluator, and a Lua condition
-- doing the same reads.
--
-- usage: lua5.4 bench/cond_inprocess.lua LIBRARY WHERE C_TEXT LUA_TEXT [N]
--   lua5.4 bench/cond_inprocess.lua build/bench/libbenchloop.so \
--     benchloop.c:14 'i == -1' 'frame:var("i") == -1'
--   lua5.4 bench/cond_inprocess.lua build/bench/librecloop.so visit_rec \
--     'p->len > 3' 'snare.read_i32(frame:var("p")) > 3'
-- (LUA_TEXT sees `frame` and `snare`.) The library's loop(3) is called;
-- the first hit measures.
local snare = require "snare"
local expr = require "snare.expr"

local path, where, c_text, lua_text = arg[1], arg[2], arg[3], arg[4]
local n = math.tointeger(tonumber(arg[5] or "200000"))
assert(path and where and c_text and lua_text and n,
       "usage: cond_inprocess.lua LIBRARY WHERE C_TEXT LUA_TEXT [N]")

local lib <close> = assert(snare.load(path))
local s <close> = snare.session()
local holder = {}
local env = expr.env {
  frame = function() return holder.frame end,
  compiled_reads = true,
}
local one_site = expr.condition(c_text, env, holder, true)
local by_pc = expr.condition(c_text, env, holder)
local general = expr.compile(c_text, env)
local lua_condition = assert(load("local frame, snare = ... return function() "
                                  .. "return " .. lua_text .. " end"))

local measured = false
s:breakpoint(where, { condition = function(frame)
  if measured then
    return false
  end
  measured = true
  local function time(name, f)
    f() -- compiled at the first call
    local t0 = os.clock()
    for _ = 1, n do
      f()
    end
    print(string.format("%-44s %6.0f ns", name, (os.clock() - t0) / n * 1e9))
  end
  time("empty function", function() end)
  time("C, compiled for the site (one address)",
       function() return one_site(frame) end)
  time("C, compiled for the site (keyed by pc)",
       function() return by_pc(frame) end)
  time("C, general evaluator", function()
    holder.frame = frame
    return expr.truth(general())
  end)
  time("Lua: " .. lua_text, lua_condition(frame, snare))
  return false
end })
assert(s:call(assert(lib:symbol("loop")), 3).kind == "exit")
