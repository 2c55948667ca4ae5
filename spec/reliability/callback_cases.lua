-- spec/reliability/callback_cases.lua - every kind of Lua callback, and
-- every entry point a callback must not use, for spec/badinput_spec.lua.
--
-- A kind's run(ctx, body) installs its callback, makes it run once (body
-- is called at its first invocation only), removes it and returns
-- {ran =, error = the callback's error as snare reported it (a hook's
-- last_error, a stop's error, a step's raised error)}. The session ctx.s
-- is idle before and after (a stop left behind is aborted). Functions
-- are named by their addresses in ctx.hooks and ctx.marks: other specs
-- of the same run load libraries with functions of the same names.
local snare = require "snare"

local callbacks = {}

-- Calls calls_leaf(3) of the hooks fixture, which calls leaf three times
-- (or fn(3)).
local function call_leaves(ctx, fn)
  local ok, stop = pcall(ctx.s.call, ctx.s, fn or ctx.hooks:symbol("calls_leaf"), 3)
  local error_text = not ok and stop or stop.error
  if ctx.s.stopped then
    ctx.s:abort()
  end
  return error_text
end

local function once(body)
  local state = { ran = false }
  function state.fn()
    if not state.ran then
      state.ran = true
      body()
    end
  end
  return state
end

-- Steps from calls_leaf's first line until the policy ran (or 20 steps).
local function step_with(ctx, make_policy, body)
  local state = once(body)
  local calls_leaf = ctx.hooks:function_info("calls_leaf")
  ctx.s:breakpoint(calls_leaf.after_prologue, { temporary = true })
  ctx.s:call(calls_leaf.entry, 3)
  local error_text
  for _ = 1, 20 do
    local ok, err = pcall(ctx.s.step_line, ctx.s, make_policy(state.fn))
    if not ok then
      error_text = err
      break
    end
    if state.ran or not ctx.s.stopped then
      break
    end
  end
  if ctx.s.stopped then
    ctx.s:abort()
  end
  return { ran = state.ran, error = error_text }
end

callbacks.kinds = {
  { name = "hook callback", run = function(ctx, body)
      local state = once(body)
      local h = snare.hook(ctx.hooks:symbol("leaf"), state.fn)
      call_leaves(ctx)
      local stats = h:stats()
      h:remove()
      return { ran = state.ran, error = stats.last_error }
    end },
  { name = "breakpoint condition", run = function(ctx, body)
      local state = once(body)
      local bp = ctx.s:breakpoint(ctx.hooks:symbol("leaf"), { condition = function()
        state.fn()
        return false
      end })
      local error_text = call_leaves(ctx)
      bp:clear()
      return { ran = state.ran, error = error_text }
    end },
  { name = "step policy", label = "step policy (into)", run = function(ctx, body)
      return step_with(ctx, function(fn)
        return { into = function() fn() return false end }
      end, body)
    end },
  { name = "step policy", label = "step policy (stop)", run = function(ctx, body)
      return step_with(ctx, function(fn)
        return { stop = function() fn() return true end }
      end, body)
    end },
  { name = "mark hook", run = function(ctx, body)
      local state = once(body)
      local m = snare.mark(ctx.hooks:symbol("leaf"), 4242)
      local h = snare.mark_hook({ mark = m }, state.fn)
      call_leaves(ctx)
      local stats = h:stats()
      h:remove()
      snare.mark_remove(m)
      return { ran = state.ran, error = stats.last_error }
    end },
  { name = "probe hook", run = function(ctx, body)
      local state = once(body)
      local h = snare.probe_hook(ctx.marks, "fixture:step", state.fn)
      call_leaves(ctx, ctx.marks:symbol("marks_loop")) -- fixture:step, per iteration
      local stats = h:stats()
      h:remove()
      return { ran = state.ran, error = stats.last_error }
    end },
}

-- What a callback must not do: {label, fn(ctx)}. ctx.spare_bp,
-- ctx.spare_lib and ctx.other are objects these would change.
callbacks.forbidden = {
  { "s:call", function(c) return c.s:call("fib", 1) end },
  { "s:call_main", function(c) return c.s:call_main("fib", { "a" }) end },
  { "s:resume", function(c) return c.s:resume { mode = "continue" } end },
  { "s:continue", function(c) return c.s:continue() end },
  { "s:step", function(c) return c.s:step() end },
  { "s:abort", function(c) return c.s:abort() end },
  { "s:step_line", function(c) return c.s:step_line() end },
  { "s:next", function(c) return c.s:next() end },
  { "s:finish", function(c) return c.s:finish() end },
  { "s:advance", function(c) return c.s:advance("fib") end },
  { "s:until_line", function(c) return c.s:until_line("loops.c:30") end },
  { "s:thread_resume", function(c) return c.s:thread_resume(99) end },
  { "s:thread_step_line", function(c) return c.s:thread_step_line(99) end },
  { "s:thread_next", function(c) return c.s:thread_next(99) end },
  { "s:thread_finish", function(c) return c.s:thread_finish(99) end },
  { "s:wait_event", function(c) return c.s:wait_event(0) end },
  { "s:clear_breakpoints", function(c) return c.s:clear_breakpoints() end },
  { "s:interrupt", function(c) return c.s:interrupt() end },
  { "s:close", function(c) return c.s:close() end },
  { "s:breakpoint", function(c) return c.s:breakpoint("fib") end },
  { "bp:clear", function(c) return c.spare_bp:clear() end },
  { "bp:disable", function(c) return c.spare_bp:disable() end },
  { "another session's call", function(c) return c.other:call("fib", 1) end },
  { "another session's close", function(c) return c.other:close() end },
  { "snare.hook", function() return snare.hook("fib", print) end },
  { "snare.tally", function() return snare.tally("fib") end },
  { "snare.mark_hook", function() return snare.mark_hook({ data1 = 1 }, print) end },
  { "lib:close", function(c) return c.spare_lib:close() end },
  { "snare.load", function(c) return snare.load(c.spare_lib.path) end },
  { "snare.session", function() return snare.session() end },
  { "snare.mark", function(c) return snare.mark(c.hooks:symbol("leaf"), 7) end },
  { "snare.mark_remove", function() return snare.mark_remove(999999) end },
  { "snare.mark_break", function(c) return snare.mark_break(c.s, { data1 = 7 }) end },
  { "snare.mark_break_clear", function() return snare.mark_break_clear(999999) end },
  { "snare.code_register", function(c)
      return snare.code_register { start = c.hooks:symbol("leaf"), size = 1, name = "x" }
    end },
}

-- The one refusal, wherever it is raised from.
callbacks.refusal = "snare: cannot [%w ']+ from inside a callback %(a hook, "
                    .. "condition or step policy must return first%)"

-- Bodies that never end by themselves.
callbacks.loops = {
  { "a plain loop", function()
      while true do end
    end },
  { "a loop that catches errors", function()
      while true do
        pcall(function() while true do end end)
      end
    end },
}

return callbacks
