-- jit.lua - generated code as a target: machine code written into W^X JIT
-- memory, registered with names and a line map, then called, stopped in,
-- stepped, backtraced and counted like a compiled library.
--
-- Run it with `make example NAME=jit`.
--
-- expect: 0x%x+ <square>: push +%%rbp
-- expect: breakpoint %d+ at 0x%x+ <square> at square%.jit:1
-- expect: #0 square at square%.jit:1
-- expect: #1 sum_square at square%.jit:6
-- expect: square%.jit:2 after 3 steps, eax = 7
-- expect: sum_square%(7%) = 57
-- expect: square called 5 times
-- expect: ok: jit
local snare = require "snare"

-- What a JIT would emit, one instruction a row (System V calls, frame
-- pointers kept so that backtraces can walk through the code: it has no
-- unwind information).
--   square(x)     = x * x + 1            at offset 0
--   sum_square(x) = square(x) + x        at offset 16
local SQUARE, SUM_SQUARE = 0, 16
local program = {
  { "\x55", "push rbp" },
  { "\x48\x89\xe5", "mov rbp, rsp" },
  { "\x89\xf8", "mov eax, edi" },              -- square.jit:2
  { "\x0f\xaf\xc7", "imul eax, edi" },
  { "\x83\xc0\x01", "add eax, 1" },
  { "\x5d", "pop rbp" },
  { "\xc3", "ret" },
  { "\x90\x90", "(padding)" },
  { "\x55", "push rbp" },                       -- offset 16, square.jit:5
  { "\x48\x89\xe5", "mov rbp, rsp" },
  { "\x53", "push rbx" },
  { "\x48\x83\xec\x08", "sub rsp, 8" },
  { "\x89\xfb", "mov ebx, edi" },
  { "\xe8\xe0\xff\xff\xff", "call square" },   -- offset 27, square.jit:6
  { "\x01\xd8", "add eax, ebx" },               -- offset 32, square.jit:7
  { "\x48\x83\xc4\x08", "add rsp, 8" },
  { "\x5b", "pop rbx" },
  { "\x5d", "pop rbp" },
  { "\xc3", "ret" },
}
local parts = {}
for i, row in ipairs(program) do parts[i] = row[1] end
local code = table.concat(parts)

-- Dual-mapped memory: written through one mapping, run from another, so
-- no page is ever writable and executable at once.
local jit <close> = assert(snare.jit.alloc(#code))
jit:write(0, code)
jit:commit()
local base = jit.address

-- Registering the region gives the code names and lines: from here on
-- symbols, breakpoints by name, backtraces and hooks treat it as a library.
local _region <close> = assert(snare.code_register {
  start = base, size = #code, name = "square.jit",
  symbols = { { name = "square", start = base + SQUARE, size = 14 },
              { name = "sum_square", start = base + SUM_SQUARE, size = 25 } },
  lines = { { address = base + SQUARE, file = "square.jit", line = 1 },
            { address = base + SQUARE + 4, file = "square.jit", line = 2 },
            { address = base + SUM_SQUARE, file = "square.jit", line = 5 },
            { address = base + SUM_SQUARE + 11, file = "square.jit", line = 6 },
            { address = base + SUM_SQUARE + 16, file = "square.jit", line = 7 } },
})

-- The disassembler reads it back, symbolised.
for _, insn in ipairs(snare.disassemble("square", 3)) do
  print(("0x%x <%s>: %s"):format(insn.address, snare.describe(insn.address), insn.text))
end

local s <close> = snare.session { timeout = 5000 }
local bp = s:breakpoint("square")
local stop = s:call("sum_square", 7)
print(stop)
for _, frame in ipairs(s:backtrace()) do
  print(("#%d %s at %s:%d"):format(frame.index, frame.func, frame.file, frame.line))
  if frame.func == "sum_square" then break end
end

-- Instruction steps; the stop knows which registered line it is on.
for _ = 1, 3 do stop = s:step() end
print(("%s:%d after 3 steps, eax = %d"):format(stop.file, stop.line, stop.regs.rax))
bp:clear()
print(("sum_square(7) = %d"):format(s:continue().value))

-- Hooks work on generated code too: count calls of square.
do
  local t <close> = snare.tally { "square" }
  for x = 1, 5 do s:call("sum_square", x) end
  print(("square called %d times"):format(t:report()[1].calls))
end

print("ok: jit")
