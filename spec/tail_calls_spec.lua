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

-- A call through a PLT slot the dynamic linker binds lazily, at its first
-- call: the stub jumps into the resolver, which looks the function up and
-- jumps there. gdb's `step` goes through ("stepped into dynsym resolve
-- code") into leaf; so does snare's. The program is linked here against
-- libstepping.so with -z lazy and run under `snare exec`.
describe("step into a call through a lazily bound PLT slot", function()
  local dir = (os.getenv("SNARE_FIXTURES") or "build/fixtures") .. "/O0"

  it("runs the resolver and stops at the callee's first line", function()
    local source, program, script = os.tmpname(), os.tmpname(), os.tmpname()
    local f = assert(io.open(source .. ".c", "w"))
    f:write [[
int leaf(int x);

int first_call(void)
{
  return leaf(3) + 1;
}

int main(void)
{
  return first_call() == 8 ? 5 : 1;
}
]]
    f:close()
    assert(os.execute(("gcc -g -O0 -o %s %s.c %s/libstepping.so "
                       .. "-Wl,-rpath,%s -Wl,-z,lazy"):format(
      program, source, dir, dir)))
    f = assert(io.open(script, "w"))
    f:write(([[
local agent = require "snare.agent"
local snare = require "snare"
local _lib <close> = assert(snare.load(%q))
local s = agent.session
s:breakpoint("first_call")
local stop = s:call_main("main", { "lazy" })
local step = s:step_line()
print(string.format("%%s:%%s %%s:%%s", stop.func, stop.line, step.func,
                    step.line))
io.stdout:flush()
pcall(s.abort, s)
os.exit(0)
]]):format(dir .. "/libstepping.so"))
    f:close()
    local pipe = assert(io.popen(("bin/snare exec %s -- %s 2>&1"):format(
      script, program)))
    local out = pipe:read("a")
    pipe:close()
    for _, path in ipairs { source, source .. ".c", program, script } do
      os.remove(path)
    end
    assert.equal("first_call:5 leaf:17\n", out)
  end)
end)
