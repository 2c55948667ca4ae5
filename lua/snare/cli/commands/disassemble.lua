-- disassemble: a whole function, or N instructions from an address.

local snare = require "snare"
local report = require "snare.cli.report"

local function dump(dbg, insns, pc, base)
  for _, insn in ipairs(insns) do
    local marker = insn.address == pc and "=> " or "   "
    if base then
      dbg:out(string.format("%s0x%016x <+%d>:\t%s", marker, insn.address,
                            insn.address - base,
                            report.instruction_text(insn)))
    else
      dbg:out(report.instruction(insn, pc))
    end
  end
end

-- `disassemble`: the function around the pc; `disassemble ADDR`: the
-- function around ADDR; `disassemble ADDR N`: N instructions from ADDR.
local function disassemble(dbg, args)
  local pc = dbg.session.stopped and dbg.session:reg("pc") or nil
  local where, n = args:match("^(.-)%s+(%d+)$")
  if where and where ~= "" then
    local insns, err = report.disassemble(dbg:address(where),
                                          math.tointeger(tonumber(n)))
    if not insns then
      dbg:fail("%s", err)
    end
    return dump(dbg, insns, pc)
  end
  local addr = args ~= "" and dbg:address(args) or pc
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
  dbg:out("Dump of assembler code for function " .. sym.name .. ":")
  dump(dbg, inside, pc, sym.address)
  dbg:out("End of assembler dump.")
end

return {
  { name = "disassemble", usage = "disassemble [ADDR [N]]",
    help = "show instructions (the function around the pc by default)",
    run = disassemble },
}
