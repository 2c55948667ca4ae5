-- examples_spec.lua - every examples/*.lua runs to the end and prints the
-- lines it declares. New examples are picked up from the directory. The
-- header of an example says what to check:
--
--    -- expect: PATTERN   a Lua pattern its output must match; several
--                         must match in the order given (at least one)
--    -- run: COMMAND      how to run it (default: lua5.4 examples/NAME.lua),
--                         from the repository root
--    -- exit: N           its exit status (default 0)
local CHECKED_ELSEWHERE = { ["tour.lua"] = "spec/tour_spec.lua" }

local function list_examples()
  local names = {}
  local ls = assert(io.popen("ls examples"))
  for name in ls:lines() do
    if name:match("%.lua$") and not CHECKED_ELSEWHERE[name] then
      names[#names + 1] = name
    end
  end
  ls:close()
  return names
end

local function header(path)
  local found = { expect = {}, run = "lua5.4 " .. path, exit = 0 }
  for line in io.lines(path) do
    local key, value = line:match("^%-%- (%a+): (.*)$")
    if key == "expect" then
      found.expect[#found.expect + 1] = value
    elseif key == "run" then
      found.run = value
    elseif key == "exit" then
      found.exit = assert(math.tointeger(tonumber(value)), path .. ": bad exit: line")
    end
  end
  return found
end

-- Runs a command in the environment the tests have (LUA_PATH, LUA_CPATH,
-- SNARE_EXAMPLES, sanitizer settings): its output, stderr included, and
-- its exit status.
local function run(command)
  local pipe = assert(io.popen(command .. " 2>&1; echo \"exit=$?\""))
  local output = pipe:read("a")
  pipe:close()
  local status = output:match("exit=(%d+)\n$")
  return output:gsub("exit=%d+\n$", ""), tonumber(status)
end

describe("examples", function()
  local names = list_examples()

  it("are there", function()
    assert.is_true(#names >= 8, "only " .. #names .. " examples")
  end)

  for _, name in ipairs(names) do
    it(name .. " runs and prints what it declares", function()
      local path = "examples/" .. name
      local want = header(path)
      assert.is_true(#want.expect > 0, path .. " declares no `-- expect:` lines")
      local output, status = run(want.run)
      assert.equals(want.exit, status, output)
      local at = 1
      for _, pattern in ipairs(want.expect) do
        local _, stop = output:find(pattern, at)
        assert(stop, ("%s: no line matching %q after what matched before:\n%s")
          :format(path, pattern, output))
        at = stop + 1
      end
    end)
  end
end)
