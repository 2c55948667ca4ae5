-- threads.lua - threads of the program attach themselves to a session
-- (libjit's debugger model); their breakpoint hits arrive as events, and
-- each thread is resumed or stepped on its own while the others run.
--
-- Run it with `make example NAME=threads`.
--
-- expect: started 2 workers
-- expect: events: attach 2, detach 2, hard%-breakpoint 6, soft%-breakpoint 2
-- expect: each thread stopped 3 times in work_item
-- expect: join_workers%(%) = 28
-- expect: ok: threads
local snare = require "snare"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local _lib <close> = assert(snare.load(examples .. "/libworkers.so"))
local s <close> = snare.session { timeout = 10000 }

local bp = s:breakpoint("*work_item")

-- The threads call snare_thread_attach(session, ...) from C themselves,
-- with the session's handle, the C snare_session * behind `s`.
local started = s:call("start_workers", 2, s:handle(), 3).value
print(("started %d workers"):format(started))

-- Events queue up in order while we are busy; wait_event hands them out
-- one at a time. A stopped thread stays stopped until we resume it, so
-- the order of what we see varies but the counts do not.
local counts, stops_by_thread, stepped = {}, {}, {}
local detached = 0
while detached < started do
  local event = assert(s:wait_event())
  counts[event.type] = (counts[event.type] or 0) + 1
  if event.type == "hard-breakpoint" then
    assert(event.breakpoint == bp and event.name == "work_item")
    stops_by_thread[event.thread] = (stops_by_thread[event.thread] or 0) + 1
    -- Step each thread's first hit by one instruction: the thread posts
    -- a "soft-breakpoint" event when the step is done.
    if not stepped[event.thread] then
      stepped[event.thread] = true
      assert(s:thread_resume(event.thread, "step"))
    else
      assert(s:thread_resume(event.thread, "continue"))
    end
  elseif event.type == "soft-breakpoint" then
    assert(s:thread_resume(event.thread, "continue"))
  elseif event.type == "detach" then
    detached = detached + 1
  end
end

local types = {}
for type, n in pairs(counts) do types[#types + 1] = ("%s %d"):format(type, n) end
table.sort(types)
print("events: " .. table.concat(types, ", "))
local per_thread = {}
for _, n in pairs(stops_by_thread) do per_thread[#per_thread + 1] = n end
assert(#per_thread == started and per_thread[1] == per_thread[2])
print(("each thread stopped %d times in work_item"):format(per_thread[1]))

-- Each thread computed 1 + 4 + 9, breakpoints or not.
print(("join_workers() = %d"):format(s:call("join_workers").value))
print("ok: threads")
