--- `snare run` and `snare demo`: running a Lua script with snare loaded.
-- @module snare.cli.run

local run = {}

-- Runs the chunk at `path` the way lua.c does: `arg` holds the script at
-- 0, its arguments at 1.., what came before at negative indices; the
-- arguments are also the chunk's `...`. Returns the exit status.
local function execute(path, arg_table)
  local chunk, err = loadfile(path)
  if not chunk then
    io.stderr:write("snare: ", err, "\n")
    return 1
  end
  _G.arg = arg_table
  local ok, msg = xpcall(chunk, debug.traceback,
                         table.unpack(arg_table, 1, #arg_table))
  if not ok then
    io.stderr:write("snare: ", tostring(msg), "\n")
    return 1
  end
  return 0
end

--- `snare run SCRIPT [ARGS...]`: argv[first] is the script.
function run.script(argv, first)
  local arg_table = {}
  local low = first
  while argv[low - 1] ~= nil do
    low = low - 1
  end
  for i = low, #argv do
    arg_table[i - first] = argv[i]
  end
  return execute(argv[first], arg_table)
end

local function dirname(path)
  return path and (path:match("^(.*)/[^/]*$") or ".")
end

--- `snare demo`: the tour, with the directory of its example library as
-- its argument. From a checkout (`root`): examples/tour.lua and
-- build/examples (or $SNARE_EXAMPLES); installed: the copies the
-- rockspec put next to the Lua modules and the C module.
function run.demo(root)
  local tour, examples
  if root then
    tour = root .. "/examples/tour.lua"
    examples = os.getenv("SNARE_EXAMPLES") or (root .. "/build/examples")
  else
    tour = package.searchpath("snare.examples.tour", package.path)
    examples = os.getenv("SNARE_EXAMPLES")
      or dirname(package.searchpath("snare.examples.libdemo", package.cpath))
  end
  if not tour or not examples then
    io.stderr:write("snare: demo: the tour or its example library is not "
                    .. "installed\n")
    return 1
  end
  return execute(tour, { [0] = tour, examples })
end

return run
