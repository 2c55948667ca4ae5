-- tail_calls_spec.lua - line steps that leave a function by a jump
-- (spec/fixtures/tail_calls.c): at -O2 tail_getenv tail-calls getenv
-- through the PLT. gdb 13 does not take a jump for a call: `step` goes
-- on through the PLT stub and stops in getenv, which has no line
-- information ("getenv:0"), and a step from there runs getenv out to the
-- caller's next line. The sequences are gdb's, on the same library.
local helpers = require "spec.helpers"
local snare = require "snare"

local function where(st)
  if st.kind == "exit" then return "exit" end
  return string.format("%s:%s", st.func or "?", st.line or 0)
end

-- The stops of `count` calls of method from `break tail_getenv`.
local function walk(level, method, count)
  local s = helpers.session { timeout = 5000 }
  local bp = s:breakpoint("tail_getenv")
  local stop = s:call("tail_calls_main")
  bp:clear()
  local seen = { where(stop) }
  for _ = 1, count do
    if stop.kind == "exit" then break end
    stop = s[method](s)
    seen[#seen + 1] = where(stop)
  end
  return seen, level
end

local STEP = {
  O0 = { "tail_getenv:14", "tail_getenv:15", "tail_calls_main:20",
         "tail_calls_main:21", "tail_calls_main:22", "exit" },
  O2 = { "tail_getenv:14", "getenv:0", "tail_calls_main:21", "exit" },
}

for _, level in ipairs { "O0", "O2" } do
  describe("steps through a tail call at -" .. level, function()
    local lib, libc

    setup(function()
      lib = helpers.load("tail_calls", level)
      -- the C library by its symbols alone, as gdb with no debug files
      snare.debug_file_directory("/nonexistent")
      libc = assert(snare.load("libc.so.6"))
    end)
    after_each(helpers.close_sessions)
    teardown(function()
      libc:close()
      snare.debug_file_directory(nil)
      lib:close()
    end)

    it("step stops in the named function without lines a jump enters, "
       .. "then runs it out to the caller's next line", function()
      assert.same(STEP[level], (walk(level, "step_line", 8)))
    end)
  end)
end
