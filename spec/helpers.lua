-- spec/helpers.lua - what the busted specs of the Lua API share.
local snare = require "snare"

local helpers = {}

local fixtures = os.getenv("SNARE_FIXTURES") or "build/fixtures"

--- Path of a fixture shared object: NAME.c built at LEVEL ("O0", "O2").
function helpers.fixture(name, level)
  return string.format("%s/%s/lib%s.so", fixtures, level or "O0", name)
end

--- Path of a fixture program: spec/fixtures/programs/NAME.c(pp), -O0.
function helpers.program(name)
  return fixtures .. "/bin/" .. name
end

--- Loads a fixture library (asserting that it loads).
function helpers.load(name, level)
  return assert(snare.load(helpers.fixture(name, level)))
end

--- The whole text of the file at `path`, or nil if it cannot be read.
function helpers.read_file(path)
  local f = io.open(path)
  if not f then
    return nil
  end
  local text = f:read("a")
  f:close()
  return text
end

local open_sessions = {}

--- A new session that `helpers.close_sessions` (run it in after_each)
-- closes, whatever happened in the test.
function helpers.session(opts)
  local s = snare.session(opts)
  open_sessions[#open_sessions + 1] = s
  return s
end

--- Closes the sessions made by `helpers.session`.
function helpers.close_sessions()
  for i, s in ipairs(open_sessions) do
    s:close()
    open_sessions[i] = nil
  end
end

return helpers
