-- tour_spec.lua - the tour (examples/tour.lua) runs and says what it should.
local function run_tour()
  local pipe = assert(io.popen("lua5.4 examples/tour.lua 2>&1; echo \"exit=$?\""))
  local output = pipe:read("a")
  pipe:close()
  return output
end

describe("examples/tour.lua", function()
  it("runs to the end and shows each stop", function()
    local output = run_tour()
    assert.matches("exit=0", output, 1, true)
    assert.matches("fib(20) ->\texit, returned 6765", output, 1, true)
    assert.matches("stopped:\tbreakpoint 1 at 0x%x+ <fib%+%d+> at demo.c:8", output)
    assert.matches("stopped:\tbreakpoint 2 at 0x%x+ <collatz_steps%+%d+> at demo.c:18",
      output)
    assert.matches("in collatz_steps at demo.c:18", output, 1, true)
    assert.matches("collatz_steps(6) ran its loop body 8 times", output, 1, true)
    assert.matches("demo.c:12 has no code; nearest lines with code: 11, 14", output,
      1, true)
    assert.matches("rdi (n) = 3", output, 1, true)
    assert.matches("fib(8) stopped 8 times at n == 3", output, 1, true)
    assert.matches("fib(10) with n rewritten to 12 ->\t144", output, 1, true)
    assert.matches("signal SIGSEGV %(segmentation fault%) at 0x%x+ <crash%+%d+>", output)
    assert.matches("collatz_steps(27) ->\t111", output, 1, true)
    assert.matches("interrupt at 0x%x+ <spin_forever", output)
    assert.matches("Done.", output, 1, true)
  end)
end)
