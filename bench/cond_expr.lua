-- cond_expr.lua - one snare run for bench/cond_expr.sh to time.
--
-- usage: lua5.4 bench/cond_expr.lua MODE N LIBRARY
--   MODE none  loop(N), no breakpoint (baseline)
--        c     breakpoint on visit_rec() with the C condition `p->len > 3`,
--              compiled once by snare.expr.condition (as `break visit_rec
--              if ...`): plain Lua specialised for the site at its first hit
--        c_native the same C condition as the prompt sets it: also lowered
--              at its first hit to a native program that rejects the later
--              false hits without entering Lua
--        lua   the same condition written in Lua over frame:var and
--              snare.read_i32
-- Prints the mode, N, the breakpoint's mechanism and how its condition
-- ran (native or lua). Fails unless the
-- call exits and all N hits were rejected.
local snare = require "snare"
local expr = require "snare.expr"

local mode, n, path = arg[1], math.tointeger(tonumber(arg[2] or "")), arg[3]
assert(mode and n and path,
       "usage: cond_expr.lua none|c|c_native|lua N LIBRARY")

local _lib <close> = assert(snare.load(path))
local s <close> = snare.session()

local condition
if mode == "c" or mode == "c_native" then
  local holder = {}
  local env = expr.env {
    frame = function() return holder.frame end,
    register = function(name) return holder.frame:reg(name) end,
    compiled_reads = true, -- as the prompt's conditions (frame:scalar)
  }
  -- specialised for the breakpoint's one address at its first hit
  condition = expr.condition("p->len > 3", env, holder, true,
                             mode == "c_native")
elseif mode == "lua" then
  condition = function(frame)
    return snare.read_i32(frame:var("p")) > 3
  end
elseif mode ~= "none" then
  error("unknown mode " .. mode)
end

local bp = condition and s:breakpoint("visit_rec", { condition = condition })
local stop = s:call("loop", n)
assert(stop.kind == "exit", "loop did not run to the end: " .. tostring(stop))
if bp then
  assert(bp.hits == n and bp.rejected == n, string.format(
    "expected %d hits all rejected, got %d hits, %d rejected", n, bp.hits,
    bp.rejected))
  -- a jump to a trampoline, or a trap; native or lua
  print(mode, n, bp.mechanism, bp.condition_mechanism)
  bp:clear()
end
