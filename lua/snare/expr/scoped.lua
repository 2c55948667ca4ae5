--- gdb's qualified names: `'file.c'::name` (a variable of that source
-- file's scope), `'func'::name` and `func::name` (a variable of that
-- function: a static one read without a frame, a local or parameter in
-- the innermost frame running the function), `::name` (file scope).
-- As gdb's lookup from the named block, a name the function does not
-- define is looked for outward: in its file, then among the functions
-- and globals.
-- @module snare.expr.scoped

local core = require "snare.core"
local types = require "snare.expr.types"
local value = require "snare.expr.value"
local env_module = require "snare.expr.env"

local scoped = {}

local function fail(fmt, ...)
  error(string.format(fmt, ...), 0)
end

-- Whether `name` is a source file of the loaded objects' line tables.
local function is_source_file(name)
  local ok, err = pcall(core.locations, name .. ":1")
  return ok or not tostring(err):match("no source file named")
end

-- A local or parameter of function `scope` in the innermost frame that
-- runs it (gdb's block_innermost_frame).
local function in_frame(env, scope, name)
  local frame = env.opts.frame_of and env.opts.frame_of(scope)
  if not frame then
    if not (env.opts.active and env.opts.active()) or
       not (env.opts.frame and env.opts.frame()) then
      fail("No frame selected.")
    end
    fail("No frame is currently executing in block %s.", scope)
  end
  local where = frame:locate(name)
  if not where then
    fail('No symbol "%s" in specified context.', name)
  end
  return env_module.located(where, name)
end

local function file_global(file, name)
  local ref, address = core.find_global(name, file)
  return ref and value.at(types.from_ref(ref), address) or nil
end

--- The value `scope::name` names; `outward(name)` looks a name up among
-- the globals and functions (nil when none), for what the scope does not
-- define itself. `scope` is nil for `::name`.
function scoped.lookup(env, scope, name, outward)
  local found
  if scope == nil then
    found = outward(name)
  else
    local entry, is_function = env:symbol(scope)
    if entry and is_function and env:function_type(entry) then
      local ref, where = core.function_static(entry, name)
      if ref then
        return value.at(types.from_ref(ref), where)
      elseif where == "frame" then
        return in_frame(env, scope, name)
      end
      local unit = core.unit_at(entry)
      found = unit and file_global(unit.name, name) or outward(name)
    elseif is_source_file(scope) then
      found = file_global(scope, name) or outward(name)
    else -- a C++ name in its namespace or class: ns::twice
      found = outward(scope .. "::" .. name)
      if not found then
        fail('No symbol "%s" in current context.', scope)
      end
    end
  end
  if not found then
    fail('No symbol "%s" in specified context.', name)
  end
  return found
end

return scoped
