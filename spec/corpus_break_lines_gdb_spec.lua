-- corpus_break_lines_gdb_spec.lua - `break FILE:LINE` for every line of
-- whole source files of corpus programs (bzip2's bzlib.c, xz's coder.c at
-- gcc -O0, -O1, -O2 and clang -O2), then `info breakpoints`, through
-- `snare debug` against gdb 13: the line each breakpoint and each of its
-- locations is named by. Where optimised code has several lines' rows at
-- one address (a function's entry, its opening lines and its first
-- statements; the code of a function inlined there), gdb names a
-- breakpoint by the line it found the code of, the first of those from
-- the line asked for on, not by the address's last line.
local compare = require "spec.gdb_compare"

local CORPUS = "build/corpus/bin/"

-- program, source file, its last line with code (later ones gdb refuses)
local FILES = {
  { "bzip2", "bzlib.c", 1565 },
  { "xz", "coder.c", 1095 },
}
local SETTINGS = { "gcc-O0", "gcc-O1", "gcc-O2", "clang-O2" }

describe("break FILE:LINE on every line of corpus sources", function()
  it("names each breakpoint and location as gdb's", function()
    local present = io.open(CORPUS .. "gcc-O2/bzip2")
    if not present or not os.execute("command -v gdb >/dev/null 2>&1") then
      pending("no corpus builds (make corpus-build) or no gdb")
      return
    end
    present:close()
    local lines, mismatches = 0, 0
    for _, setting in ipairs(SETTINGS) do
      for _, entry in ipairs(FILES) do
        local program, file, last = table.unpack(entry)
        local commands = {}
        for line = 1, last do
          commands[#commands + 1] = "break " .. file .. ":" .. line
        end
        commands[#commands + 1] = "info breakpoints"
        local count, g, s = compare.mismatches(commands,
          CORPUS .. setting .. "/" .. program)
        print(string.format("%s/%s %s: %d lines, %d mismatches with gdb",
                            setting, program, file, #g, count))
        if count > 0 then
          for i = 1, math.max(#g, #s) do
            if g[i] ~= s[i] then
              print("gdb:   " .. tostring(g[i]) .. "\nsnare: " .. tostring(s[i]))
            end
          end
        end
        lines, mismatches = lines + #g, mismatches + count
      end
    end
    print(string.format("FIGURE break FILE:LINE on corpus sources (%d "
      .. "files): %d lines compared, %d mismatches with gdb",
      #SETTINGS * #FILES, lines, mismatches))
    assert.is_true(lines > 20000)
    assert.equals(0, mismatches)
  end)
end)
