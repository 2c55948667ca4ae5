-- compressed_debug_spec.lua - DWARF in compressed sections: SHF_COMPRESSED
-- with zlib (gcc -gz=zlib, through the linker) and with zstd (binutils
-- 2.40's objcopy --compress-debug-sections=zstd; gcc 12 has no -gz=zstd),
-- the older .zdebug_* sections (zlib-gnu), and a separate debug file
-- compressed with zstd, split as dh_strip does. libdwarf 20210528 inflates
-- zlib's itself; zstd's are inflated by lib/debuginfo/zstd_sections.c.
-- gdb 13.1 (linked with libzstd) reads them all: snare's answers are
-- compared with gdb's on each build and with its own on the build that is
-- not compressed.
local compare = require "spec.gdb_compare"
local helpers = require "spec.helpers"
local questions = require "spec.parts_questions"

local SOURCES = questions.SOURCES

local function sh(cmd)
  assert(os.execute(cmd), cmd)
end

local function has(tool)
  return os.execute("command -v " .. tool .. " >/dev/null 2>&1")
end

local function output(cmd)
  local p = assert(io.popen(cmd .. " 2>/dev/null"))
  local text = p:read("a")
  p:close()
  return text
end

-- The compressed forms of the program built at path.full (uncompressed),
-- each made from it: name, how, and what `readelf -t`/`-S` of the file
-- holding its DWARF must show.
local FORMS = {
  { name = "zlib", make = "objcopy --compress-debug-sections=zlib-gabi "
      .. "%s.full %s", shows = "ZLIB" },
  { name = "zlib-gnu", make = "objcopy --compress-debug-sections=zlib-gnu "
      .. "%s.full %s", shows = ".zdebug_info" },
  { name = "zstd", make = "objcopy --compress-debug-sections=zstd "
      .. "%s.full %s", shows = "ZSTD" },
  -- (the program stripped, its DWARF in a zstd-compressed debug file
  -- found by its .gnu_debuglink)
  { name = "split-zstd", split = true, shows = "ZSTD" },
}

local function form_path(dir, form, program)
  return string.format("%s/%s/%s", dir, form, program)
end

-- Builds the programs with compiler cc at level: plain (not compressed),
-- gcc-gz (gcc's -gz=zlib, for gcc only) and each of FORMS, under
-- root/cc-level/FORM/. Returns the directory and the forms made.
local function build(root, cc, level)
  local dir = string.format("%s/%s-%s", root, cc, level)
  local forms = { "plain" }
  sh("rm -rf " .. dir .. " && mkdir -p " .. dir .. "/plain")
  for _, p in ipairs(questions.PROGRAMS) do
    local base = form_path(dir, "plain", p)
    local sources = string.format("%s%s.c %sparts.c", SOURCES, p, SOURCES)
    sh(string.format("%s -g -%s -o %s %s", cc, level, base, sources))
    sh(string.format("cp %s %s.full", base, base))
    if cc == "gcc" then
      sh("mkdir -p " .. dir .. "/gcc-gz")
      sh(string.format("gcc -g -gz=zlib -%s -o %s %s", level,
        form_path(dir, "gcc-gz", p), sources))
    end
    for _, f in ipairs(FORMS) do
      local path = form_path(dir, f.name, p)
      sh("mkdir -p " .. dir .. "/" .. f.name)
      if f.split then
        sh(string.format("objcopy --only-keep-debug %s.full %s.debug", base,
          path))
        sh(string.format("objcopy --compress-debug-sections=zstd %s.debug",
          path))
        sh(string.format("objcopy --strip-debug --add-gnu-debuglink=%s.debug"
          .. " %s.full %s", path, base, path))
      else
        sh(string.format(f.make, base, path))
      end
      local dwarf = f.split and path .. ".debug" or path
      assert.is_truthy(output("readelf -St " .. dwarf):find(f.shows, 1, true),
        dwarf .. " has no " .. f.shows)
    end
  end
  if cc == "gcc" then
    forms[#forms + 1] = "gcc-gz"
    assert.is_truthy(output("readelf -St " .. form_path(dir, "gcc-gz",
      "inventory")):find("ZLIB", 1, true))
  end
  for _, f in ipairs(FORMS) do
    forms[#forms + 1] = f.name
  end
  return dir, forms
end

-- Figures: lines compared; mismatches with gdb of the answers that must
-- match (the static ones but at clang -O2, where `break part_volume`
-- differs: issue 11's inlined breakpoints, and all at gcc -O0); of the
-- others, uncompressed and compressed (issue 11's -O2 lines and inlined
-- frames); the lines of snare's and of gdb's answers that compression
-- changed.
local function new_figures()
  return { builds = 0, compared = 0, must_match = 0, plain = 0,
           compressed = 0, snare_changed = 0, gdb_changed = 0 }
end

-- Compares one program of one build in each of its forms.
local function compare_program(n, cc, level, dir, forms, program)
  questions.compare_forms(n, {
    cc = cc, level = level, program = program, forms = forms,
    path = function(form) return form_path(dir, form, program) end,
    counter = "compressed", without = "uncompressed" })
end

-- With SNARE_COMPRESSED_FULL set, each compiler at -O0 and -O2, both
-- programs; otherwise inventory at gcc -O0 (every answer must match
-- gdb's) and -O2; under ASan (2-3 times slower) at gcc -O0 alone.
local FULL = os.getenv("SNARE_COMPRESSED_FULL") ~= nil
local BUILDS = FULL and { { "gcc", "O0" }, { "gcc", "O2" }, { "clang", "O0" },
                          { "clang", "O2" } }
  or (os.getenv("LD_PRELOAD") or ""):match("libasan") and { { "gcc", "O0" } }
  or { { "gcc", "O0" }, { "gcc", "O2" } }
local PROGRAMS = FULL and questions.PROGRAMS or { "inventory" }

describe("compressed debug sections", function()
  local root = helpers.shared_build("compressed_debug")

  it("answer as gdb, and as without compression, in zlib, zlib-gnu and "
     .. "zstd sections and a zstd-compressed debug file", function()
    if not has("gdb") then
      pending("needs gdb (apt-get install gdb)")
      return
    end
    local n = new_figures()
    for _, cc_level in ipairs(BUILDS) do
      local cc, level = cc_level[1], cc_level[2]
      if has(cc) then
        local dir, forms = build(root, cc, level)
        n.builds = n.builds + 1
        for _, p in ipairs(PROGRAMS) do
          compare_program(n, cc, level, dir, forms, p)
        end
      end
    end
    print(string.format("FIGURE compressed debug sections: %d builds, %d "
      .. "lines compared; mismatches with gdb: %d where all must match; "
      .. "elsewhere %d uncompressed and %d compressed; lines compression "
      .. "changed: %d of snare's, %d of gdb's", n.builds, n.compared,
      n.must_match, n.plain, n.compressed, n.snare_changed, n.gdb_changed))
    assert.is_true(n.compared > 300 * n.builds)
    assert.equals(0, n.must_match)
    -- (gdb's own answers may change: at gcc -O2 it names `info line
    -- shelf_add` and `main` differently from a stripped program whose
    -- DWARF is in the debug file)
    assert.equals(0, n.snare_changed)
  end)

  -- Real programs: copies of the corpus's bzip2 and xz at gcc -O2 with
  -- their sections compressed by zlib and zstd, and split with a zstd
  -- debug file; each compared with the build as the corpus has it, and
  -- with gdb.
  it("answer as without compression on corpus programs", function()
    local corpus = "build/corpus/bin/gcc-O2/"
    local present = io.open(corpus .. "bzip2")
    if not present or not has("gdb") then
      pending("no corpus builds (make corpus-build) or no gdb")
      return
    end
    present:close()
    local input = root .. "/corpus-input"
    sh("mkdir -p " .. root .. " && cp /etc/passwd " .. input)
    -- (compressed to files, -k: not into the answers compared)
    local cases = {
      bzip2 = { args = { "-kfz", input }, commands = {
        "info functions ^BZ2_bzCompress", "ptype EState",
        "info line BZ2_compressBlock", "info line bzip2.c:300",
        "info line blocksort.c:1", "info line bzlib.c:1000000",
        "break BZ2_compressBlock", "break bzip2.c:1800", "run", "bt",
        "info args", "p s->nblock", "p s->blockSize100k", "ptype s",
        "up", "info locals", "continue", "bt 3" } },
      xz = { args = { "-kf", "-T1", input }, commands = {
        "info functions ^io_open", "ptype lzma_stream",
        "info line coder_run", "info line coder.c:1030",
        "info line file_io.c:1", "info line main.c:1000000",
        "break io_open_src", "break coder_run", "run", "bt", "info args",
        "continue", "bt 2", "info args" } },
    }
    local dir = root .. "/corpus-gcc-O2"
    sh("rm -rf " .. dir .. " && mkdir -p " .. dir)
    local compared, plain_mismatches, compressed_mismatches, snare_changed =
      0, 0, 0, 0
    for program, case in pairs(cases) do
      local built = corpus .. program
      local base = dir .. "/" .. program
      local forms = {
        plain = built,
        zlib = base .. "-zlib", zstd = base .. "-zstd",
        ["split-zstd"] = base .. "-split",
      }
      sh(string.format("objcopy --compress-debug-sections=zlib-gabi %s %s",
        built, forms.zlib))
      sh(string.format("objcopy --compress-debug-sections=zstd %s %s", built,
        forms.zstd))
      sh(string.format("objcopy --only-keep-debug --compress-debug-sections"
        .. "=zstd %s %s.debug && objcopy --strip-debug "
        .. "--add-gnu-debuglink=%s.debug %s %s", built, forms["split-zstd"],
        forms["split-zstd"], built, forms["split-zstd"]))
      assert.is_truthy(output("readelf -t " .. forms.zstd):find("ZSTD", 1,
        true))
      local _, plain_g, plain_s = compare.mismatches(case.commands, built,
        table.unpack(case.args))
      for i = 1, math.max(#plain_g, #plain_s) do
        if plain_g[i] ~= plain_s[i] then
          plain_mismatches = plain_mismatches + 1
        end
      end
      compared = compared + #plain_g
      for _, form in ipairs { "zlib", "zstd", "split-zstd" } do
        local count, g, s = compare.mismatches(case.commands, forms[form],
          table.unpack(case.args))
        compared = compared + #g
        compressed_mismatches = compressed_mismatches + count
        snare_changed = snare_changed + questions.changed(
          program .. " " .. form .. " snare", plain_s, s, "uncompressed")
      end
    end
    print(string.format("FIGURE compressed debug sections (corpus, gcc -O2 "
      .. "bzip2 and xz, zlib, zstd, split zstd): %d lines compared; "
      .. "mismatches with gdb: %d uncompressed, %d compressed; %d lines of "
      .. "snare's changed by compression", compared, plain_mismatches,
      compressed_mismatches, snare_changed))
    assert.is_true(compared > 100)
    assert.equals(0, snare_changed)
  end)
end)
