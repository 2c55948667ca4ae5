-- debug_link_spec.lua - DWARF read from where gdb reads it when a library
-- does not carry its own: a separate debug file found by .gnu_debuglink
-- (next to the library or in its .debug/ directory, CRC checked) or by
-- build ID under the debug-file directory, and compressed debug sections.
-- Each case is made from the lines fixture with objcopy and compared with
-- the fixture's own answers.
local helpers = require "spec.helpers"
local snare = require "snare"

local LINE = "lines.c:14"

local function sh(cmd)
  assert(os.execute(cmd), cmd)
end

local function read_build_id(path)
  local p = assert(io.popen("readelf -n " .. path))
  local text = p:read("a")
  p:close()
  return assert(text:match("Build ID: (%x+)"))
end

-- The addresses of LINE in the library at path, or nil, message.
local function addresses_of(path)
  local lib <close> = assert(snare.load(path))
  local at, why = lib:addresses(LINE)
  if not at then return nil, why end
  local offsets = {}
  for i, a in ipairs(at) do offsets[i] = a - lib.base end
  return offsets
end

describe("separate debug information", function()
  local dir, fixture, expected

  setup(function()
    -- the default, whatever an earlier spec set (badinput_spec calls
    -- every module function with bad arguments, this one too)
    snare.debug_file_directory(nil)
    dir = os.tmpname()
    os.remove(dir)
    sh("mkdir -p " .. dir .. "/lib/.debug " .. dir .. "/debug")
    fixture = helpers.fixture("lines", "O0")
    expected = assert(addresses_of(fixture))
  end)
  teardown(function()
    snare.debug_file_directory(nil)
    sh("rm -rf " .. dir)
  end)

  -- A copy of the fixture stripped of DWARF, with a debug link to NAME,
  -- the debug file written to DEBUG_PATH. Returns the library's path.
  local function stripped(tag, debug_path, name)
    local lib = string.format("%s/lib/%s/liblines.so", dir, tag)
    sh("mkdir -p " .. dir .. "/lib/" .. tag)
    sh(string.format("objcopy --only-keep-debug %s %s", fixture, debug_path))
    local link = name and ("--add-gnu-debuglink=" .. debug_path) or ""
    sh(string.format("objcopy --strip-debug %s %s %s", link, fixture, lib))
    if name and debug_path:match("[^/]*$") ~= name then
      error("the link names the debug file's base name")
    end
    return lib
  end

  it("reads a library without DWARF as having none", function()
    local lib = stripped("bare", dir .. "/bare.debug", nil)
    assert.is_nil(addresses_of(lib))
  end)

  it("follows .gnu_debuglink next to the library", function()
    local lib = stripped("next", dir .. "/lib/next/liblines.debug",
      "liblines.debug")
    assert.same(expected, addresses_of(lib))
  end)

  it("follows .gnu_debuglink into the library's .debug directory", function()
    sh("mkdir -p " .. dir .. "/lib/sub/.debug")
    local lib = stripped("sub", dir .. "/lib/sub/.debug/liblines.debug",
      "liblines.debug")
    assert.same(expected, addresses_of(lib))
  end)

  it("refuses a linked file whose CRC differs", function()
    local debug = dir .. "/lib/crc/liblines.debug"
    sh("mkdir -p " .. dir .. "/lib/crc")
    local lib = stripped("crc", debug, "liblines.debug")
    sh("printf x >> " .. debug) -- still ELF, another CRC
    assert.is_nil(addresses_of(lib))
  end)

  it("finds the debug file by build ID under debug-file-directory",
    function()
      local lib = stripped("id", dir .. "/id.debug", nil)
      local id = read_build_id(lib)
      local where = string.format("%s/debug/.build-id/%s", dir, id:sub(1, 2))
      sh("mkdir -p " .. where)
      sh(string.format("mv %s/id.debug %s/%s.debug", dir, where, id:sub(3)))
      assert.equals("/usr/lib/debug", snare.debug_file_directory())
      assert.is_nil(addresses_of(lib))
      assert.equals("/nowhere:" .. dir .. "/debug",
        snare.debug_file_directory("/nowhere:" .. dir .. "/debug"))
      assert.same(expected, addresses_of(lib))
      snare.debug_file_directory(nil)
      assert.equals("/usr/lib/debug", snare.debug_file_directory())
    end)

  -- A library stripped of its symbol table too (objcopy --strip-all)
  -- names its static functions as gdb does, from the debug file's.
  it("names a stripped library's local functions from its debug file",
    function()
      local lib_path = string.format("%s/lib/all/liblines.so", dir)
      local debug = dir .. "/lib/all/liblines.debug"
      sh("mkdir -p " .. dir .. "/lib/all")
      sh(string.format("objcopy --only-keep-debug %s %s", fixture, debug))
      sh(string.format("objcopy --strip-all --add-gnu-debuglink=%s %s %s",
        debug, fixture, lib_path))
      local lib <close> = assert(snare.load(lib_path))
      local quiet = assert(lib:symbol("lines_quiet"))
      local at = assert(lib:symbol_at(quiet + 1))
      assert.same({ "lines_quiet", 1 }, { at.name, at.offset })
    end)

  -- (zstd: libdwarf 20210528 reads zlib only; snare inflates zstd
  -- sections itself, lib/debuginfo/zstd_sections.c)
  for _, how in ipairs { "zlib-gabi", "zlib-gnu", "zstd" } do
    it("reads debug sections compressed with " .. how, function()
      local lib = string.format("%s/lib/%s/liblines.so", dir, how)
      sh("mkdir -p " .. dir .. "/lib/" .. how)
      sh(string.format("objcopy --compress-debug-sections=%s %s %s", how,
        fixture, lib))
      assert.same(expected, addresses_of(lib))
    end)
  end
end)
