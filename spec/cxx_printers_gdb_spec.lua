-- cxx_printers_gdb_spec.lua - libstdc++'s types at the `snare debug`
-- prompt against gdb 13, which auto-loads libstdc++'s Python
-- pretty-printers: std::string, std::vector (vector<bool> too),
-- std::map/multimap/set, std::unordered_map/set, std::list,
-- std::unique_ptr, std::shared_ptr/weak_ptr, std::tuple, std::pair;
-- empty, small, past gdb's 200 elements (exactly 200: gdb's "..."
-- anyway), nested (map<string, vector<int>>), with `set print pretty`,
-- print/x, in info locals, info args, the frame line, finish's value,
-- and containers whose memory is no container (unreadable links: gdb's
-- <error reading variable: ...>). On spec/fixtures/cxx_printers/
-- containers.cpp built here with g++ -O0, g++ -O2 and clang++ -O0 (the
-- program stops at each call of stop() with every container alive),
-- and on the corpus's jsoncpp_test (Json::Value's std::map of members,
-- std::string). Each case counts the lines that differ from gdb's
-- (addresses taken out), prints the count and asserts 0. print/r shows
-- the struct itself, no printer.
local compare = require "spec.gdb_compare"

local root = assert(os.getenv("PWD"))
local work = os.tmpname()
os.remove(work)

-- What is compared of a line: addresses as "0x", the frame lines'
-- entry values left out ("a=a@entry=0x..." as "a=0x...": at g++ -O2 gdb
-- finds stop()'s b@entry from a call site snare does not follow yet, a
-- question of entry values, not of libstdc++'s types), and nothing of
-- the warnings gdb's stderr gets where clang's classes have no RTTI
-- symbol (gdb looks for the dynamic type of shared_ptr's control
-- block): no value's text.
local function mask(line)
  if line:match("^warning: RTTI symbol not found for class ") then
    return nil
  end
  return (line:gsub("0x%x+", "0x"):gsub("([%w_]+)=[%w_]+@entry=", "%1="))
end

-- compare.assert_same with `masked` (default: mask), the count in a
-- FIGURE line.
local function same(name, commands, program, masked)
  commands.mask = masked or mask
  local count, g = compare.assert_same(name, commands, program)
  print(string.format("FIGURE %s mismatches %d of %d lines",
                      (name:gsub(" ", "_")), count, #g))
  return count, g
end

-- Fixture `file` (spec/fixtures/cxx_printers/FILE.cpp) built by `build`
-- into the work directory: the program's path.
local function compiled(build, file)
  local program = string.format("%s/%s-%s%s", work, file,
                                build.compiler:gsub("%+", "x"), build.level)
  assert(os.execute(string.format(
    "%s -g %s %s -std=c++17 -o %s %s/spec/fixtures/cxx_printers/%s.cpp",
    build.compiler, build.level, build.flags or "", program, root, file)))
  return program
end

local function compiler_present(build)
  return os.execute("command -v " .. build.compiler .. " >/dev/null")
end

-- Every container of containers.cpp's main, printed.
local printed = {}
for _, name in ipairs {
  "empty_string", "short_string", "long_string", "quoted", "heap_string",
  "mixed", "with_nul", "empty_vector", "small_vector", "big_vector",
  "exactly_200", "bools", "words", "points", "grid", "empty_map",
  "small_map", "big_map", "nested", "small_set", "string_set", "multi",
  "empty_hash", "small_hash", "string_hash", "hash_set", "empty_list",
  "small_list", "string_list", "empty_unique", "unique", "unique_point",
  "empty_shared", "shared", "shared_copy", "weak", "pair", "tuple",
  -- (gdb's printers fail in Python on bad_string and bad_map: their
  -- counts do not fit a Python index)
  "*bad_vector", "*bad_list", "*bad_hash", "*bad_unique", "*bad_shared",
} do
  printed[#printed + 1] = "p " .. name
end

local function commands()
  local list = { "break stop", "run", "up" }
  table.move(printed, 1, #printed, #list + 1, list)
  for _, c in ipairs {
    "p/x small_vector", "p &short_string", "p *&short_string",
    "output small_map",
    -- (print/r of what holds no stack garbage: std::string's unused
    -- bytes differ between gdb's process and snare's)
    "p/r small_vector", "p/rx small_vector", "p/r small_map", "p/r unique",
    "p/r shared", "p/r small_list", "p/r small_hash", "p/r bools",
    "set print pretty on", "p nested", "p small_set", "p points",
    "p pair", "p tuple", "p unique", "p shared", "p small_list",
    "p string_hash", "p grid", "p empty_list", "set print pretty off",
    "delete", "break joined", "continue", "bt 1", "info args", "p s",
    "p v", "p m", "finish", "next", "info locals", "bt full",
  } do
    list[#list + 1] = c
  end
  return list
end

local builds = {
  { name = "g++ -O0", compiler = "g++", level = "-O0" },
  { name = "g++ -O2", compiler = "g++", level = "-O2" },
  -- (clang, by default, describes std::string only as a declaration
  -- where libstdc++ declares its instance extern: gdb's printer then
  -- fails in Python, "There is no member named _M_p.", and prints
  -- nothing; -fstandalone-debug describes the class in full)
  { name = "clang++ -O0", compiler = "clang++", level = "-O0",
    flags = "-fstandalone-debug" },
}

describe("libstdc++'s types at the prompt against gdb", function()
  setup(function() assert(os.execute("mkdir -p " .. work)) end)
  teardown(function() os.execute("rm -rf " .. work) end)

  for _, build in ipairs(builds) do
    (compiler_present(build) and it or pending)(
      "prints each container kind as gdb at " .. build.name, function()
      local count, g = same("cxx printers " .. build.name, commands(),
                            compiled(build, "containers"))
      assert.are.equal(0, count)
      local text = table.concat(g, "\n")
      -- (gdb printed through its pretty-printers: the spec compares them)
      assert.truthy(text:find("= std::map with 2 elements = {[\"a\"] = "
        .. "std::vector of length 2, capacity 2 = {1, 2}, [\"b\"] = "
        .. "std::vector of length 0, capacity 0}", 1, true))
      assert.truthy(text:find("= std::map with 230 elements = {[0] = 0, ",
                              1, true))
      assert.truthy(text:find(", [99] = 198...}", 1, true))
      assert.truthy(text:find("= std::vector<bool> of length 3, capacity 64 "
                              .. "= {true, false, true}", 1, true))
      assert.truthy(text:find("<error reading variable: Cannot access memory "
                              .. "at address 0x", 1, true))
      assert.truthy(text:find("= {<std::_Vector_base<int, std::allocator<int> "
                              .. ">> = {_M_impl = ", 1, true))
    end)
  end

  -- Static const members: the value a member's declaration gives, in
  -- print, ptype and the class's value, and as an expression's operand.
  for _, build in ipairs(builds) do
    (compiler_present(build) and it or pending)(
      "prints static const members as gdb at " .. build.name, function()
      local program = compiled(build, "constants")
      local list = { "break use", "run", "up", "p lim", "ptype lim",
                     "whatis ns::limits::kMax", "p &ns::limits::kMax",
                     "p ns::limits::kMax + 1", "p -ns::limits::kNegative",
                     "p leaf", "p ns::node::root", "set print pretty on",
                     "p lim", "p leaf" }
      for _, name in ipairs { "kMax", "kByte", "kNegative", "kTag", "kOn",
                              "kUsed", "kRatio", "counted" } do
        list[#list + 1] = "p ns::limits::" .. name
      end
      local count, g = same("cxx constants " .. build.name, list, program)
      assert.are.equal(0, count)
      local text = table.concat(g, "\n")
      assert.truthy(text:find("{static kMax = 100, ", 1, true))
      assert.truthy(text:find("= {static root = {static root = <same as "
                              .. "static member of an already seen type>, "
                              .. "v = 7}, v = 8}", 1, true))
    end)
  end

  -- Real code: Json::Value holds an object's members in a std::map
  -- (ObjectValues, keyed by CZString), its comments in a
  -- std::unique_ptr<std::array<std::string, 3>>; the test keeps keys in
  -- std::string. (A Json::Value's union shows its map's address as
  -- int_, uint_, real_, bool_ and string_ too: the heaps of gdb's process
  -- and snare's differ, so those are masked where they hold one. At
  -- clang -O2 std::string is only declared: gdb's printer fails.)
  local function union_masked(line)
    local kept = mask(line)
    return kept and (kept:gsub("int_ = (%d+), uint_ = .-, map_ = ", function(n)
      return #n >= 12 and "int_ = (an address), map_ = " or nil
    end))
  end
  for _, setting in ipairs { "gcc-O0", "gcc-O2" } do
    local corpus_program = "build/corpus/bin/" .. setting .. "/jsoncpp_test"
    local exists = io.open(corpus_program)
    if exists then exists:close() end;
    (exists and it or pending)("prints jsoncpp's standard members as gdb at "
                               .. setting, function()
      local count, g = same("cxx printers jsoncpp_test " .. setting, {
        "break Json::Value::removeMember", "run", "bt 1",
        "p *this->value_.map_", "p this->value_.comments_", "up",
        "p idKey", "p unknownIdKey", "p yetAnotherIdKey", "p constObject",
        "p checks", "delete", "break Json::Reader::parse", "continue",
        "bt 1", "p document",
      }, corpus_program, union_masked)
      assert.are.equal(0, count)
      local text = table.concat(g, "\n")
      assert.truthy(text:find("= std::map with 4 elements = {[{cstr_ = 0x "
                              .. '"id", ', 1, true))
      assert.truthy(text:find('\n$%d+ = "id"\n'))
    end)
  end
end)
