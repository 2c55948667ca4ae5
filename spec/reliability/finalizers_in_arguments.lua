-- spec/reliability/finalizers_in_arguments.lua - run by
-- spec/badinput_spec.lua in a fresh interpreter, whose small heap lets
-- the GC finish cycles while a callback's arguments are built.
--
-- Forty mark hooks on one mark; the first hit drops all but one and makes
-- the GC step at every allocation: the frames the next hooks get are
-- where the dropped ones' finalizers run, on the worker, while the core
-- walks the list of hooks. A finalizer that freed a hook there was a use
-- after free (ASan aborts the process); deferred, the hooks go when the
-- call returns. Exits 0 when all went as expected.
local snare = require "snare"
local helpers = require "spec.helpers"

local hooks = helpers.load("hooks")
local s = snare.session()
local m = snare.mark(hooks:symbol("leaf"), 4242)
local pool, hits = {}, 0
local kept = snare.mark_hook({ mark = m }, function()
  hits = hits + 1
  if pool then
    pool = nil
    collectgarbage("incremental", 1, 1000)
  end
end)
for i = 1, 40 do
  pool[i] = snare.mark_hook({ mark = m }, function() end)
end
local stop = s:call(hooks:symbol("calls_leaf"), 300)
collectgarbage("incremental", 200, 100)
kept:remove()
snare.mark_remove(m)
assert(stop.kind == "exit" and stop.value == 45150, tostring(stop))
assert(hits == 300, hits)
assert(s:call(hooks:symbol("calls_leaf"), 3).value == 6)
s:close()
hooks:close()
