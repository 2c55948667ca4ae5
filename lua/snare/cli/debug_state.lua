--- The state one process of `snare debug -- PROG` hands the next (and
-- snare): a file holding a Lua table of strings, numbers, booleans and
-- tables of them, written by the agent's prompt
-- (snare.cli.agent_program_debug), read by snare.cli.debug_program.
-- @module snare.cli.debug_state

local debug_state = {}

local function serialise(v)
  if type(v) == "table" then
    local items = {}
    for key, item in pairs(v) do
      local k = type(key) == "string" and string.format("[%q]", key)
        or string.format("[%d]", key)
      items[#items + 1] = k .. " = " .. serialise(item)
    end
    return "{" .. table.concat(items, ", ") .. "}"
  elseif type(v) == "string" then
    return string.format("%q", v)
  end
  return tostring(v)
end

--- Writes table `state` to `path`.
function debug_state.write(path, state)
  local f = assert(io.open(path, "w"))
  f:write("return {\n")
  for key, value in pairs(state) do
    f:write(string.format("  %s = %s,\n", key, serialise(value)))
  end
  f:write("}\n")
  f:close()
end

--- The table at `path`, or nil when there is none.
function debug_state.read(path)
  local chunk = loadfile(path, "t", {})
  return chunk and chunk() or nil
end

return debug_state
