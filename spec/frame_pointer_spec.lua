-- frame_pointer_spec.lua - `$fp` and info frame's "Arglist at" as gdb 13
-- has them: the frame base gdb's amd64 target finds from the prologue
-- (rbp after `push rbp; mov rbp, rsp`, else from rsp), in every frame of
-- the stack, and none (0, "unknown address") for an inlined call's frame.
-- Compared as offsets from the frame's $sp, which do not vary between the
-- two processes: on the -O0 fixture program, and on bzip2 at -O2 and xz
-- at -O0 of the corpus (pending without the corpus builds).
local helpers = require "spec.helpers"

local corpus = "build/corpus/bin/"

local quote, run = helpers.quote, helpers.run

-- The commands: per frame, $fp - $sp, whether $fp is 0, and info frame's
-- argument address as an offset from $sp.
local function commands(func, frames)
  local list = { "-ex " .. quote("break " .. func), "-ex run" }
  for i = 0, frames - 1 do
    for _, c in ipairs { "frame " .. i, "p $fp == 0",
                         "p (long) $fp - (long) $sp", "info frame",
                         "p/x $sp" } do
      list[#list + 1] = "-ex " .. quote(c)
    end
  end
  list[#list + 1] = "-ex kill"
  return table.concat(list, " ")
end

-- The compared lines: the printed values ($fp - $sp only where $fp is
-- not 0), and "Arglist at" as an offset from the $sp printed after it.
local function comparable(out)
  local lines, arglist, fp_zero, checks = {}, nil, false, 0
  for line in out:gmatch("[^\n]*") do
    local at = line:match("^ Arglist at 0x(%x+)")
    if at then
      arglist = tonumber(at, 16)
    elseif line:match("^ Arglist at unknown address") then
      lines[#lines + 1] = "Arglist unknown"
    end
    local sp = line:match("^%$%d+ = 0x(%x+)$")
    if sp then
      if arglist then
        lines[#lines + 1] = "Arglist at sp" .. tostring(arglist
                                                  - tonumber(sp, 16))
      end
      arglist = nil
    elseif line:match("^%$%d+ = ") then
      local text = line:gsub("^%$%d+", "$")
      checks = checks + 1
      if checks % 2 == 1 then -- $fp == 0
        fp_zero = text == "$ = 1"
      end
      if checks % 2 == 1 or not fp_zero then
        lines[#lines + 1] = text
      end
    end
  end
  return lines
end

local function compare(label, func, program, args)
  local cmds = commands(func, 4)
  local s = run(string.format("timeout 120 bin/snare debug -batch %s -- %s %s",
                              cmds, quote(program), args or ""))
  local g = require("spec.gdb_cache").run(run, string.format(
    "timeout 120 env -u LD_PRELOAD gdb -nx -batch -iex 'set debuginfod "
    .. "enabled off' %s --args %s %s", cmds, quote(program), args or ""))
  local a, b = comparable(s), comparable(g)
  local bad = helpers.mismatches(label, a, b)
  print(string.format("$fp oracle (%s): %d lines compared, %d mismatches",
                      label, #b, bad))
  assert.is_true(#b >= 10)
  return bad
end

local function text_input()
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  for i = 1, 400 do
    f:write(string.format("line %d value %d lorem ipsum\n", i, i * i % 97))
  end
  f:close()
  return path
end

describe("$fp, the frame base, against gdb", function()
  it("at -O0 frames of the fixture program", function()
    assert.equals(0, compare("fixture", "add_square",
                             helpers.program("debug_program")))
  end)

  it("at -O0 and -O2 frames of real programs, inlined calls included",
     function()
    if not io.open(corpus .. "gcc-O2/bzip2") then
      pending("no corpus builds (tools/corpus/build)")
      return
    end
    local input = text_input()
    -- bzip2 at -O2 has an inlined call's frame; xz at -O0 rbp frames
    local bad = compare("bzip2 gcc-O2", "BZ2_hbMakeCodeLengths",
                        corpus .. "gcc-O2/bzip2", "-c " .. input)
      + compare("xz gcc-O0", "lzma_crc32", corpus .. "gcc-O0/xz",
                "-c " .. input)
    os.remove(input)
    assert.equals(0, bad)
  end)

  it("up and frame N show an inlined call's caller without an address, "
     .. "as gdb", function()
    if not io.open(corpus .. "gcc-O2/bzip2") then
      pending("no corpus builds (tools/corpus/build)")
      return
    end
    local input = text_input()
    local cmds = "-ex 'break BZ2_hbMakeCodeLengths' -ex run -ex up -ex up "
      .. "-ex down -ex 'frame 2' -ex kill"
    local function frames(out)
      local found = {}
      for line in out:gmatch("[^\n]*") do
        if line:match("^#%d") then
          found[#found + 1] = line:gsub("0x%x+", "0x"):gsub("%(.*$", "")
        end
      end
      return found
    end
    local program = corpus .. "gcc-O2/bzip2 -c " .. input
    local s = frames(run("timeout 120 bin/snare debug -batch " .. cmds
                         .. " -- " .. program))
    local g = frames(run("timeout 120 env -u LD_PRELOAD gdb -nx -batch "
                         .. cmds .. " --args " .. program))
    os.remove(input)
    assert.same({ "#1  0x in sendMTFValues ", "#2  BZ2_compressBlock ",
                  "#1  0x in sendMTFValues ", "#2  BZ2_compressBlock " }, g)
    assert.same(g, s)
  end)
end)
