-- luacheck configuration (make lint checks lua/, spec/, examples/, bench/).
std = "lua54"
max_line_length = 100
exclude_files = { "build/", "luarocks-tree/" }

files["spec/"] = { std = "+busted" }
-- A `<close>` variable whose only job is its scope (keep a library loaded,
-- a tally running) is named with a leading underscore.
ignore = { "211/_.*" }
