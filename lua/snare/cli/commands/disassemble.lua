-- disassemble: a whole function, or N instructions from an address;
-- /r adds each instruction's bytes, as gdb's.

local snare = require "snare"
local report = require "snare.cli.report"
local names = require "snare.function_names"

-- The instruction's bytes in hex, as gdb's /r shows them: padded to the
-- width of seven bytes, so that the text lines up after a tab.
local function raw_bytes(insn)
  local hex = {}
  for i = 1, #insn.bytes do
    hex[i] = string.format("%02x", insn.bytes:byte(i))
  end
  return string.format("%-19s\t", table.concat(hex, " "))
end

local function dump(dbg, insns, pc, base, raw)
  for _, insn in ipairs(insns) do
    local marker = insn.address == pc and "=> " or "   "
    local bytes = raw and raw_bytes(insn) or ""
    if base then
      dbg:out(string.format("%s0x%016x <+%d>:\t%s%s", marker,
                            report.shown(insn.address),
                            insn.address - base, bytes,
                            report.instruction_text(insn)))
    else
      local line = report.instruction(insn, pc)
      dbg:out(raw and line:gsub(":\t", ":\t" .. bytes, 1)
              or line)
    end
  end
end

-- The modifiers of `disassemble /LETTERS ...`: only r (raw bytes) here;
-- gdb's m and s (source lines between the instructions) are not done.
local function modifiers(dbg, args)
  local letters, rest = args:match("^/(%S*)%s*(.*)$")
  if not letters then
    return false, args
  end
  if letters:find("[^mrs]") or letters == "" then
    dbg:fail("Invalid disassembly modifier.")
  end
  if letters:find("[ms]") then
    dbg:fail("disassemble /m and /s (source lines) are not supported.")
  end
  return true, rest
end

-- `disassemble`: the function around the pc; `disassemble ADDR`: the
-- function around ADDR; `disassemble ADDR N`: N instructions from ADDR.
local function disassemble(dbg, args)
  local raw
  raw, args = modifiers(dbg, args)
  -- (the selected frame's: after `up`, the caller's return address)
  local pc = dbg.session.stopped and dbg:register("pc") or nil
  local where, n = args:match("^(.-)%s+(%d+)$")
  if where and where ~= "" then
    local insns, err = report.disassemble(dbg:address(where),
                                          math.tointeger(tonumber(n)))
    if not insns then
      dbg:fail("%s", err)
    end
    return dump(dbg, insns, pc, nil, raw)
  end
  -- an outer frame's function is the one holding its call, the
  -- instruction before its pc (gdb's address in block)
  local in_block = pc and (dbg.frame_index or 0) > 0 and pc - 1 or pc
  local addr = args ~= "" and dbg:address(args) or in_block
  if not addr then
    dbg:fail("No frame selected.")
  end
  local sym = snare.symbol_at(addr)
  if not sym or not sym.is_function or sym.size == 0 then
    dbg:fail("No function contains specified address.")
  end
  local insns, err = report.disassemble(sym.address, sym.size)
  if not insns then
    dbg:fail("%s", err)
  end
  local inside = {}
  for _, insn in ipairs(insns) do
    if insn.address >= sym.address + sym.size then
      break
    end
    inside[#inside + 1] = insn
  end
  dbg:out("Dump of assembler code for function "
          .. names.symbol_name(sym, sym.address, "linkage") .. ":")
  dump(dbg, inside, pc, sym.address, raw)
  dbg:out("End of assembler dump.")
end

return {
  { name = "disassemble", usage = "disassemble [/r] [ADDR [N]]",
    help = "show instructions (the function around the pc by default)",
    run = disassemble },
}
