-- luacheck configuration (make lint checks lua/, spec/, examples/, bench/).
std = "lua54"
max_line_length = 100
exclude_files = { "build/", "luarocks-tree/" }

files["spec/"] = { std = "+busted" }
