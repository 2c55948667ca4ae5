-- corpus_values_spec.lua - variables of real optimised code (the corpus
-- of tools/corpus) read as gdb 13 reads them: typed DWARF expressions
-- (DW_OP_convert, DW_OP_div), DW_OP_addrx in a single expression,
-- variables of an inner block listed besides the outer ones of their
-- name, as gdb's `info locals`, and parameters at entry (name@entry).
-- Each case is one the frames oracle
-- (spec/frames_oracle/run.sh) found; pending without the corpus builds.
local helpers = require "spec.helpers"

local corpus = "build/corpus/bin/"
local frames = "spec/frames_oracle/snare_corpus_frames.lua"

-- The "F"/"V" lines snare_corpus_frames.lua prints at the first stop of
-- `break func` in program at setting, run on input.
local function stop_lines(setting, program, func, args)
  local command = string.format("timeout 60 bin/snare exec %s %s %s %s -- %s 2>&1",
                                frames, func, program, args,
                                corpus .. setting .. "/" .. program)
  local pipe = assert(io.popen(command))
  local out = pipe:read("a")
  pipe:close()
  return out
end

-- Values of name in frame index, in listing order.
local function values(out, index, name)
  local found = {}
  for value in out:gmatch("\nV " .. index .. " " .. name .. " ([^\n]*)") do
    found[#found + 1] = value
  end
  return found
end

local input = helpers.temp_file

local function corpus_it(setting, program, name, fn)
  local present = io.open(corpus .. setting .. "/" .. program)
  if present then present:close() end
  return (present and it or pending)(name, fn)
end

describe("variables of the corpus", function()
  local text = input(("line 1 value 1 lorem ipsum\n"):rep(50))
  local xml = input('<?xml version="1.0"?>\n<doc a="1"><item/></doc>\n')

  teardown(function()
    os.remove(text)
    os.remove(xml)
  end)

  corpus_it("clang-O2", "bzip2", "computes DW_OP_div (clang -O2 sendMTFValues t)",
    function()
      local out = stop_lines("clang-O2", "bzip2", "BZ2_hbMakeCodeLengths",
                             "-c " .. text)
      assert.matches("\nF 1 sendMTFValues ", out)
      assert.same({ "0" }, values(out, 1, "t"))
    end)

  corpus_it("gcc-O2", "bzip2", "computes DW_OP_convert and lists a variable "
              .. "of the abstract instance besides the concrete one", function()
      local out = stop_lines("gcc-O2", "bzip2", "BZ2_hbMakeCodeLengths",
                             "-c " .. text)
      -- The concrete t first (in the inner block), then the abstract one.
      assert.same({ "0", "<optimized out>" }, values(out, 1, "t"))
    end)

  -- clang's inlined coder_init holds a lexical block without
  -- DW_AT_abstract_origin; its children and the abstract ones have the
  -- same tags in the same order, so gdb takes it for the abstract block
  -- at its position and inherits none of that block's variables (flags,
  -- init_format) into coder_init's own scope.
  corpus_it("clang-O2", "xz", "inherits no variable of an abstract block "
              .. "an origin-less lexical block stands for", function()
      local out = stop_lines("clang-O2", "xz", "lzma_crc32", "-c " .. text)
      assert.matches("\nF 4 coder_init coder.c:529 1\n", out)
      assert.same({}, values(out, 4, "flags"))
      assert.same({}, values(out, 4, "init_format"))
      assert.same({ "LZMA_PROG_ERROR" }, values(out, 4, "ret"))
    end)

  corpus_it("clang-O2", "xmlwf", "reads a static through DW_OP_addrx",
    function()
      local out = stop_lines("clang-O2", "xmlwf", "XML_ParseBuffer",
                             xml)
      assert.matches("\nF 2 filemap ", out)
      assert.same({ "0" }, values(out, 2, "c"))
    end)

  -- gdb 13: "#1 parserInit (parser=parser@entry=0x..., encodingName=
  -- encodingName@entry=0x0)" at the first stop in XmlPrologStateInit.
  corpus_it("gcc-O2", "xmlwf", "shows parameters at entry as gdb's name@entry",
    function()
      local script = os.tmpname()
      local f = assert(io.open(script, "w"))
      f:write([[
local agent = require "snare.agent"
local s = agent.session
s:breakpoint("XmlPrologStateInit")
assert(s:call_main("main", { "xmlwf", agent.args[1] }).kind == "breakpoint")
local parser = s:frame(1)
print("line " .. tostring(parser))
print("entry " .. tostring(parser:var("parser@entry") == parser:var("parser")))
print("none " .. tostring(parser:var("state@entry")))
print("eval " .. select(2, parser:eval("parser@entry == parser")))
s:abort()
os.exit(0)
]])
      f:close()
      local pipe = assert(io.popen(string.format(
        "timeout 60 bin/snare exec %s %s -- %sgcc-O2/xmlwf 2>&1", script, xml,
        corpus)))
      local out = pipe:read("a")
      pipe:close()
      os.remove(script)
      assert.matches("line parserInit %(parser=parser@entry=%d+, "
                     .. "encodingName=encodingName@entry=0%)", out)
      assert.matches("entry true", out)
      assert.matches("none nil", out)
      assert.matches("eval 1", out)
    end)

  corpus_it("gcc-O1", "xz", "lists both ret of coder_init, inner and outer",
    function()
      local out = stop_lines("gcc-O1", "xz", "lzma_crc32", "-c " .. text)
      local index = out:match("\nF (%d+) coder_init ")
      assert.is_truthy(index, out)
      assert.same(2, #values(out, index, "ret"), out)
    end)
end)
