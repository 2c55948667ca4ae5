-- dwz_spec.lua - debug information compressed with dwz as Debian ships
-- it (dh_dwz, then dh_strip): the two programs of spec/fixtures/dwz share
-- parts.h, so dwz's multifile mode moves their common types and strings
-- into an alternate file (.gnu_debugaltlink, DW_FORM_GNU_ref_alt and
-- DW_FORM_GNU_strp_alt) and its single-file mode into partial units each
-- program's units import. snare's answers are compared with gdb 13's on
-- each build, and with its own on the same build without dwz.
local compare = require "spec.gdb_compare"
local helpers = require "spec.helpers"
local questions = require "spec.parts_questions"

local SOURCES = questions.SOURCES
local PROGRAMS = questions.PROGRAMS
local differences, changed = questions.differences, questions.changed

local function sh(cmd)
  assert(os.execute(cmd), cmd)
end

local function has(tool)
  return os.execute("command -v " .. tool .. " >/dev/null 2>&1")
end

-- The three builds of the programs with compiler cc at level: without
-- dwz, multifile dwz (one alternate file), single-file dwz. Each program
-- is split as dh_strip does, after dwz. Returns {plain=dir, multi=dir,
-- single=dir}.
local function build(root, cc, level)
  -- dwz 0.15 reads no .debug_addr, which clang's DWARF 5 has
  local flags = cc == "clang" and "-gdwarf-4" or "-g"
  local dirs = {}
  for _, how in ipairs { "plain", "multi", "single" } do
    dirs[how] = string.format("%s/%s-%s/%s", root, cc, level, how)
    sh("rm -rf " .. dirs[how] .. " && mkdir -p " .. dirs[how])
    for _, p in ipairs(PROGRAMS) do
      sh(string.format("%s %s -%s -o %s/%s.full %s%s.c %sparts.c", cc, flags,
        level, dirs[how], p, SOURCES, p, SOURCES))
    end
  end
  local function full(how)
    local paths = {}
    for i, p in ipairs(PROGRAMS) do
      paths[i] = dirs[how] .. "/" .. p .. ".full"
    end
    return table.concat(paths, " ")
  end
  local common = dirs.multi .. "/common.debug"
  sh(string.format("dwz -m %s -M %s %s", common, common, full("multi")))
  for _, p in ipairs(PROGRAMS) do
    sh(string.format("dwz %s/%s.full", dirs.single, p))
  end
  for _, dir in pairs(dirs) do
    for _, p in ipairs(PROGRAMS) do
      local base = dir .. "/" .. p
      sh(string.format("objcopy --only-keep-debug %s.full %s.debug", base,
        base))
      sh(string.format("objcopy --strip-debug --add-gnu-debuglink=%s.debug "
        .. "%s.full %s", base, base, base))
      os.remove(base .. ".full")
    end
  end
  return dirs
end

local function readelf_has(path, pattern)
  local p = assert(io.popen("readelf -wi " .. path .. " 2>/dev/null"))
  local text = p:read("a")
  p:close()
  return text:find(pattern, 1, true) ~= nil
end

-- Figures: lines compared; mismatches with gdb of the questions that must
-- match (the static ones but at clang -O2, and all at gcc -O0), and of the
-- others without dwz and with it (issue 11's lines and inlined frames at
-- -O2, clang's frame after `finish`: none of them dwz's); the lines where
-- gdb's answer changed under dwz and snare's is gdb's without dwz (gdb
-- 13 finds one of the two inlined copies of parts.h's part_face once dwz
-- moved its abstract instance to a partial unit); the lines of snare's
-- and of gdb's answers that dwz changed.
local function new_figures()
  return { builds = 0, compared = 0, must_match = 0, plain = 0, dwz = 0,
           gdb_wrong = 0, snare_changed = 0, gdb_changed = 0 }
end

-- Compares one program of one build (cc, level) in its three forms.
local function compare_program(n, cc, level, dirs, program)
  -- (clang -O2 starts part_volume inside its inlined part_face: gdb
  -- reports `break part_volume` at parts.h's line, snare at parts.c's,
  -- with or without dwz, issue 11's inlined breakpoints)
  questions.compare_forms(n, {
    cc = cc, level = level, program = program,
    forms = { "plain", "multi", "single" },
    path = function(how) return dirs[how] .. "/" .. program end,
    counter = "dwz", gdb_wrong = true, without = "without dwz" })
end

-- The fixture builds compared: with SNARE_DWZ_FULL set, each compiler at
-- -O0 and -O2 (about 7 minutes in release); otherwise gcc -O0, where
-- every answer must match gdb's, and clang -O2, another producer's DWARF
-- and optimised code; under ASan (busted with libasan preloaded, 2-3
-- times slower) gcc -O0 alone, so that make test's spec files stay
-- within their limits.
local BUILDS = os.getenv("SNARE_DWZ_FULL")
  and { { "gcc", "O0" }, { "gcc", "O2" }, { "clang", "O0" },
        { "clang", "O2" } }
  or (os.getenv("LD_PRELOAD") or ""):match("libasan") and { { "gcc", "O0" } }
  or { { "gcc", "O0" }, { "clang", "O2" } }

describe("dwz-compressed debug information", function()
  local root = helpers.shared_build("dwz")

  it("answers as gdb, and as without dwz, on multifile and single-file "
     .. "dwz builds", function()
    if not has("dwz") or not has("gdb") then
      pending("needs dwz and gdb (apt-get install dwz gdb)")
      return
    end
    local n = new_figures()
    for _, cc_level in ipairs(BUILDS) do
      local cc, level = cc_level[1], cc_level[2]
      if has(cc) then
        local dirs = build(root, cc, level)
        n.builds = n.builds + 1
        -- what dwz made, so that the comparison is about dwz's forms
        local debug = dirs.multi .. "/inventory.debug"
        assert.is_true(readelf_has(debug, "alt indirect string"), debug)
        assert.is_true(readelf_has(debug, "<alt 0x"), debug)
        assert.is_true(readelf_has(dirs.single .. "/inventory.debug",
          "DW_TAG_imported_unit"))
        for _, p in ipairs(PROGRAMS) do
          compare_program(n, cc, level, dirs, p)
        end
      end
    end
    print(string.format("dwz oracle: %d builds, %d lines compared; "
      .. "mismatches with gdb: %d where all must match (types, breakpoints, "
      .. "functions; everything at gcc -O0); elsewhere %d without dwz and "
      .. "%d over its two builds; %d where gdb is wrong under dwz; lines "
      .. "dwz changed: %d of snare's, %d of gdb's", n.builds, n.compared,
      n.must_match, n.plain, n.dwz, n.gdb_wrong, n.snare_changed,
      n.gdb_changed))
    assert.is_true(n.compared > 500 * n.builds)
    assert.equals(0, n.must_match)
    assert.equals(0, n.snare_changed)
  end)

  -- Real programs: bzip2 and xmlwf of the corpus compressed together
  -- (their shared libc and compiler types go to the alternate file) and
  -- each alone, at -O0 and -O2.
  it("answers as without dwz, and as gdb, on corpus programs", function()
    local corpus = "build/corpus/bin/"
    if not io.open(corpus .. "gcc-O2/bzip2") or not has("dwz") then
      pending("no corpus builds (make corpus-build) or no dwz")
      return
    end
    local input = root .. "/corpus-input"
    sh("mkdir -p " .. root .. " && cp /etc/passwd " .. input
       .. " && printf '<a x=\"1\"><b>t</b></a>\\n' > " .. input .. ".xml")
    -- (only fields the programs set are printed: memory they did not
    -- write reads as zeros under gdb and as the agent's leftovers under
    -- snare)
    local cases = {
      bzip2 = { args = { "-kfz", input }, commands = {
        "info functions ^BZ2_bzCompress", "ptype bz_stream", "ptype EState",
        "whatis BZ2_bzCompressInit", "break BZ2_bzCompressInit",
        "break BZ2_compressBlock", "info line BZ2_compressBlock", "run", "bt",
        "info args", "p strm->bzalloc", "p strm->opaque", "ptype strm",
        "continue", "bt", "info args", "p s->nblock", "p s->strm->avail_out",
        "p s->strm->total_in_lo32", "p s->strm->bzalloc", "ptype s",
        "whatis s->arr1", "p s->blockSize100k" } },
      xmlwf = { args = { input .. ".xml" }, commands = {
        "info functions ^XML_Parse", "ptype XML_Parser",
        "whatis XML_ParserCreate", "break XML_Parse", "run", "bt",
        "info args", "ptype parser", "p parser->m_parsingStatus.parsing",
        "whatis parser->m_encoding", "p parser->m_encoding->scanners",
        "p parser->m_encoding->updatePosition", "ptype parser->m_encoding" } },
    }
    local n = new_figures()
    for _, level in ipairs { "O0", "O2" } do
      local dir = string.format("%s/corpus-gcc-%s", root, level)
      sh("rm -rf " .. dir .. " && mkdir -p " .. dir .. "/multi " .. dir
         .. "/single")
      local multi = {}
      for program in pairs(cases) do
        local built = corpus .. "gcc-" .. level .. "/" .. program
        sh(string.format("cp %s %s/multi/ && cp %s %s/single/", built, dir,
          built, dir))
        sh(string.format("dwz %s/single/%s", dir, program))
        multi[#multi + 1] = dir .. "/multi/" .. program
      end
      local common = dir .. "/multi/common.debug"
      sh(string.format("dwz -m %s -M %s %s", common, common,
        table.concat(multi, " ")))
      -- (xmlwf at -O2 gains nothing from the alternate file: dwz leaves
      -- it single-file compressed)
      assert.is_true(readelf_has(dir .. "/multi/bzip2", "<alt 0x"))
      assert.is_true(readelf_has(dir .. "/single/bzip2",
        "DW_TAG_imported_unit"))
      n.builds = n.builds + 1
      for program, case in pairs(cases) do
        local plain
        for _, how in ipairs { "plain", "multi", "single" } do
          local path = how == "plain" and corpus .. "gcc-" .. level .. "/"
            .. program or string.format("%s/%s/%s", dir, how, program)
          local label = string.format("gcc-%s %s %s", level, how, program)
          local _, g, s = compare.mismatches(case.commands, path,
            table.unpack(case.args))
          local count, gdb_wrong = differences(g, s, plain and plain.g)
          n.compared = n.compared + #g
          n.gdb_wrong = n.gdb_wrong + gdb_wrong
          if how == "plain" then
            n.plain = n.plain + count
            plain = { g = g, s = s }
          else
            n.dwz = n.dwz + count
            n.snare_changed = n.snare_changed
              + changed(label .. " snare", plain.s, s, "without dwz")
          end
          if count > 0 then
            print(label .. ": gdb:\n" .. table.concat(g, "\n")
                  .. "\nsnare:\n" .. table.concat(s, "\n"))
          end
        end
      end
    end
    print(string.format("dwz oracle (corpus): %d levels, %d lines compared; "
      .. "mismatches with gdb: %d without dwz, %d over its two builds, %d "
      .. "where gdb is wrong under dwz; %d lines of snare's changed by dwz",
      n.builds, n.compared, n.plain, n.dwz, n.gdb_wrong, n.snare_changed))
    assert.is_true(n.compared > 300)
    assert.equals(0, n.snare_changed)
    assert.equals(0, n.plain + n.dwz)
  end)

  -- bzip2-dbgsym, as Debian builds it (dh_dwz: /bin/bzip2's debug file by
  -- build ID, its shared DIEs in /usr/lib/debug/.dwz/<triplet>/bzip2.debug)
  it("reads a Debian -dbgsym package's dwz files as gdb does", function()
    local program = "/bin/bzip2"
    local p = assert(io.popen("readelf -n " .. program .. " 2>/dev/null"))
    local id = p:read("a"):match("Build ID: (%x+)")
    p:close()
    local debug = id and string.format("/usr/lib/debug/.build-id/%s/%s.debug",
      id:sub(1, 2), id:sub(3))
    local sections = debug and io.popen("readelf -S " .. debug
      .. " 2>/dev/null"):read("a") or ""
    if not has("gdb") or not sections:find(".gnu_debugaltlink", 1, true) then
      pending("bzip2-dbgsym is not installed: it comes from "
        .. "deb.debian.org/debian-debug (bookworm-debug main), which this "
        .. "machine could not reach")
      return
    end
    -- compressed to a file (-k), not into the answers compared
    local input = os.tmpname()
    sh("cp /etc/passwd " .. input)
    local count = compare.assert_same("bzip2-dbgsym", {
      "info functions ^compress", "info line compressStream",
      "ptype struct _IO_FILE", "break compressStream", "run", "bt",
      "info args", "ptype stream", "p stream->_flags", "whatis zStream",
    }, program, "-z", "-k", "-f", input)
    os.remove(input)
    os.remove(input .. ".bz2")
    assert.equals(0, count)
  end)
end)
