-- optimised_steps_gdb_spec.lua - `snare debug -- PROG` against gdb 13 on
-- whole command lists of step, next, finish and bt in real optimised
-- programs of the corpus (bzip2 and xz at gcc -O2 and clang -O2), from a
-- breakpoint in a function with inlined callees: the stops around
-- inlined calls (gdb's step frame, refreshed where a step passes the
-- middle of a line; the call site of hidden inlined calls shown without
-- a pc, in the stop line and in frame 0 of bt; a non-statement row of
-- another frame clearing the line stepped; finish in main refused)
-- must print as gdb prints them. The command lists end before the steps
-- reach libc's _IO_ferror (see the note at CASES).
local compare = require "spec.gdb_compare"

local OUT = (os.getenv("SNARE_BUILD") or "build") .. "/optimised_steps"
local CORPUS = "build/corpus/bin/"

local function has(tool)
  return os.execute("command -v " .. tool .. " >/dev/null 2>&1")
end

-- The two mixes of commands: i is the command's place after `run`.
local MIXES = {
  -- mostly step, with next, finish and bt
  function(i)
    return i % 7 == 0 and "bt" or i % 5 == 0 and "finish"
      or i % 3 == 0 and "next" or "step"
  end,
  -- mostly next, with step and bt
  function(i)
    return i % 9 == 0 and "bt" or i % 4 == 0 and "step" or "next"
  end,
}

-- setting, program, function, mix, commands after `run`. A list ends where
-- the program exits, or before the step that enters libc's _IO_ferror:
-- gdb's program has no thread, snare's has its own, so libc locks the
-- stream under snare and takes another course through _IO_ferror than
-- under gdb (spec/libc_steps_gdb_spec.lua steps it with a thread in the
-- program under both), or before one into a libc function the ASan runtime
-- intercepts in the ASan run (bzip2's fread: the interceptor's frame comes
-- first there; its free at bzip2's exit), and no frame line shows a buffer
-- of the heap's the program has not written (the ASan runtime fills fresh
-- blocks: xz's lzma_lzma_encode's out). Among the stops: a next over
-- glibc's posix_fadvise64, whose syscall instruction a step runs over
-- (clang -O2 xz io_open_src); parameters gdb reads as entry values from an
-- indirect call's DW_AT_call_target (clang -O2 xz coder_run's
-- filename@entry, called through xz's `run` pointer) and none of main's
-- (gdb unwinds no frame past main); a function static's pointer named as
-- gdb demangles its ELF symbol (<io_open_src[pair]>); a next that ends on
-- another location of a breakpoint in an inlined copy (clang -O2 bzip2
-- BZ2_bzCompress, "Breakpoint 1.2, BZ2_bzCompress (...)"), shown in the
-- inlined function's frame.
local CASES = {
  { "gcc-O2", "xz", "io_open_src", 2, 75 },
  { "gcc-O2", "xz", "lzma_code", 1, 50 },
  { "gcc-O2", "xz", "coder_run", 1, 24 },
  { "gcc-O2", "bzip2", "BZ2_compressBlock", 1, 40 },
  { "gcc-O2", "bzip2", "handle_compress", 2, 23 },
  { "gcc-O2", "bzip2", "mainSort", 2, 100 },
  { "gcc-O2", "bzip2", "generateMTFValues", 2, 100 },
  { "gcc-O2", "bzip2", "BZ2_hbMakeCodeLengths", 2, 100 },
  { "clang-O2", "bzip2", "BZ2_compressBlock", 1, 16 },
  { "clang-O2", "bzip2", "BZ2_bzCompress", 2, 100 },
  { "clang-O2", "bzip2", "generateMTFValues", 2, 100 },
  { "clang-O2", "xz", "io_open_src", 2, 69 },
  { "clang-O2", "xz", "coder_run", 2, 49 },
}

local function arguments(program, input)
  -- (compressed to files, -k: the compressed bytes are in no answer)
  if program == "bzip2" then
    return { "-kf", input }
  end
  return { "-kf", "-T1", input }
end

describe("steps around inlined calls in optimised corpus programs", function()
  it("print as gdb's (gcc -O2 and clang -O2, bzip2 and xz)", function()
    local present = io.open(CORPUS .. "gcc-O2/bzip2")
    if not present or not has("gdb") then
      pending("no corpus builds (make corpus-build) or no gdb")
      return
    end
    present:close()
    assert(os.execute("mkdir -p " .. OUT))
    local input = OUT .. "/text"
    local f = assert(io.open(input, "w"))
    for i = 1, 400 do
      f:write(string.format("line %d value %d lorem ipsum\n", i, i * i % 97))
    end
    f:close()
    local lines, mismatches = 0, 0
    for _, case in ipairs(CASES) do
      local setting, program, func, mix, n = table.unpack(case)
      local commands = { "break " .. func, "run" }
      for i = 1, n do
        commands[#commands + 1] = MIXES[mix](i)
      end
      local count, g, s = compare.mismatches(commands,
        CORPUS .. setting .. "/" .. program,
        table.unpack(arguments(program, input)))
      print(string.format("%s/%s break %s, %d commands: %d lines, %d "
        .. "mismatches with gdb", setting, program, func, n, #g, count))
      if count > 0 then
        print("gdb:\n" .. table.concat(g, "\n") .. "\nsnare:\n"
              .. table.concat(s, "\n"))
      end
      lines, mismatches = lines + #g, mismatches + count
    end
    print(string.format("FIGURE optimised steps (corpus, gcc -O2 and clang "
      .. "-O2, %d command lists): %d lines compared, %d mismatches with gdb",
      #CASES, lines, mismatches))
    assert.is_true(lines > 1000)
    assert.equals(0, mismatches)
  end)
end)
