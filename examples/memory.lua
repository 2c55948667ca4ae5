-- memory.lua - reading and writing the target's memory and disassembling
-- its code. Every access is checked: a bad address is an answer (nil and
-- a message), never a crash of the process that hosts the debugger.
--
-- Run it with `make example NAME=memory`.
--
-- expect: items: 72 bytes, 3 entries of 24
-- expect: apple +40 +12
-- expect: hammer +1500 +3
-- expect: atlas +2500 +1
-- expect: order%("atlas", 2%) = %-1 before, 5000 after setting stock to 2
-- expect: discount:
-- expect: 0x%x+ <discount>: +55 +push +%%rbp
-- expect: first byte of discount: 0x55
-- expect: writing to address 8:	nil	cannot write at 0x8
-- expect: ok: memory
local snare = require "snare"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local lib <close> = assert(snare.load(examples .. "/libshop.so"))
local s <close> = snare.session { timeout = 5000 }

-- shop.c's `items` is static, but the ELF symbol table still names it and
-- gives its size. Its layout (struct item: a char *, then three ints, 24
-- bytes with padding) we take from the source.
local info = assert(lib:symbol_info("items"))
local SIZE = 24
print(("items: %d bytes, %d entries of %d"):format(info.size, info.size // SIZE, SIZE))
local function item(i) return info.address + i * SIZE end
for i = 0, info.size // SIZE - 1 do
  local at = item(i)
  print(("%-8s %6d %4d"):format(snare.read_cstring(snare.read_ptr(at)),
    snare.read_i32(at + 12), snare.read_i32(at + 16)))
end

-- Typed writes change what the code sees next time it runs.
local before = s:call("order", "atlas", 2).value
assert(snare.write_i32(item(2) + 16, 2))
local after = s:call("order", "atlas", 2).value
print(("order(\"atlas\", 2) = %d before, %d after setting stock to 2"):format(before, after))
assert(snare.write_i32(item(2) + 16, 1))

-- Disassembly decodes the program's own bytes: a breakpoint planted in
-- discount does not show up as int3.
local _bp = s:breakpoint("*discount")
print("discount:")
for _, insn in ipairs(assert(snare.disassemble("discount", 4))) do
  local hex = insn.bytes:gsub(".", function(c) return ("%02x "):format(c:byte()) end)
  print(("0x%x <%s>: %-24s %s"):format(insn.address, snare.describe(insn.address),
    hex, insn.text))
end

-- Memory reads see the program's bytes too: 0x55 (push %rbp), not 0xcc.
print(("first byte of discount: 0x%02x"):format(snare.read_u8(lib:symbol("discount"))))

-- Nothing is mapped at low addresses: the write is refused, not fatal.
print("writing to address 8:", snare.write_u64(8, 1))
print("ok: memory")
