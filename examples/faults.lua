-- faults.lua - a fault in the target is a stop, not a crash: see where it
-- happened, then abort the call or repair the state and carry on.
--
-- Run it with `make example NAME=faults`.
--
-- expect: SIGSEGV %(segmentation fault%) at 0x%x+ <restock%+%d+> at shop%.c:55, fault address 0x10
-- expect: #0 restock %(item=0, count=5%) at [%w%./]*shop%.c:55
-- expect: after abort: order%("apple", 2%) = 80
-- expect: signal SIGFPE %(arithmetic exception%) at 0x%x+ <average_price%+%d+> at shop%.c:61
-- expect: skipped the idivl? .+, average_price%(100, 0%) = %-1
-- expect: interrupt at 0x%x+ <spin_forever%+%d+>
-- expect: reading address 0:%s+nil
-- expect: ok: faults
local snare = require "snare"

local examples = os.getenv("SNARE_EXAMPLES") or "build/examples"
local _shop <close> = assert(snare.load(examples .. "/libshop.so"))
local _demo <close> = assert(snare.load(examples .. "/libdemo.so"))
local s <close> = snare.session { timeout = 5000 }

-- restock(NULL, 5): the store to item->stock faults at offset 16 of NULL.
local stop = s:call("restock", 0, 5)
print(stop)
-- The stopped worker is an ordinary stopped thread: its frames and
-- variables say which argument was wrong.
print(("#0 %s"):format(tostring(s:frame(0))))

-- Abort unwinds the worker out of the target; the session stays usable.
s:abort()
print(("after abort: order(\"apple\", 2) = %d"):format(s:call("order", "apple", 2).value))

-- A division by zero: instead of aborting, repair it. The stop's pc is
-- the faulting instruction; resuming past it with a result in eax is
-- what a language runtime turning SIGFPE into an error value would do.
stop = s:call("average_price", 100, 0)
print(stop)
local insn = snare.disassemble(stop.pc, 1)[1]
stop.regs.rax = -1
stop = s:resume { pc = stop.pc + insn.length }
print(("skipped the %s, average_price(100, 0) = %d"):format(insn.text, stop.value))

-- A call that never returns is bounded by the session's timeout: it stops
-- with kind "interrupt" where it was spinning.
s.timeout = 100
stop = s:call("spin_forever")
print(stop)
s:abort()
s.timeout = 5000

-- Memory reads and writes never fault, even at address 0.
local bytes, err = s:read(0, 8)
print("reading address 0:", bytes, err)

print("ok: faults")
