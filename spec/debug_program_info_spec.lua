-- debug_program_info_spec.lua - `snare debug -- PROG`: info commands with
-- their arguments (info sharedlibrary [REGEX], ...) compared with gdb
-- -batch on the same program.
local helpers = require "spec.helpers"
local dp = require "spec.debug_program_helpers"
local snare_debug, gdb_batch = dp.snare_debug, dp.gdb_batch

-- The lines of info sharedlibrary, addresses taken out (gdb runs the
-- program without address randomisation).
local function library_lines(text)
  local kept = {}
  for line in text:gmatch("[^\n]+") do
    if line:match("^From ") or line:match("^0x%x+ ") or line:match("^%(%*%)")
       or line:match("^No shared libraries") then
      kept[#kept + 1] = (line:gsub("0x%x+", "0x"))
    end
  end
  return kept
end

describe("snare debug -- PROG info", function()
  it("lists the program's shared objects as gdb, not snare's own", function()
    -- nested_calls links libz, which snare's agent needs too (listed);
    -- liblzma, libm... only snare needs are not; unwind_backtrace's
    -- libunwind and its liblzma are the program's
    for _, name in ipairs { "debug_program", "nested_calls",
                            "unwind_backtrace" } do
      local prog = helpers.program(name)
      local commands = { "info sharedlibrary", "break main", "run",
                         "info sharedlibrary", "info sharedlibrary libc",
                         "info sharedlibrary ^/lib64", "info sharedlibrary zzz" }
      local out = snare_debug(commands, prog)
      local gdb_out = gdb_batch(commands, prog)
      assert.same(library_lines(gdb_out), library_lines(out))
      assert.not_matches("liblzma", name == "unwind_backtrace" and "" or out)
      assert.not_matches("libsnare", out)
      assert.not_matches("libm%.so", out)
    end
    local out = snare_debug({ "break main", "run", "info sharedlibrary" },
                            helpers.program("nested_calls"))
    assert.matches("\n0x%x+  0x%x+  Yes %(%*%)     /lib/x86_64%-linux%-gnu/"
                   .. "libz%.so%.1\n", out)
    assert.matches("\n%(%*%): Shared library is missing debugging "
                   .. "information%.\n", out)
  end)

  -- both outputs with addresses, thread and process ids taken out
  local function plain(text)
    -- (info threads' header is as wide as its longest target id, which
    -- the two processes' addresses and LWP numbers make differ)
    return (text:gsub("0x%x+", "0x"):gsub("LWP %d+", "LWP N")
      :gsub("\n  Id   Target Id +Frame", "\n  Id   Target Id Frame")
      :gsub("%[Thread debugging[^\n]*\n", ""):gsub("Using host[^\n]*\n", ""))
  end

  it("takes info breakpoints, watchpoints, threads, frame, args and locals "
     .. "arguments as gdb 13", function()
    if not dp.stack_as_gdb() then
      pending("uninitialised locals under ASan (dp.stack_as_gdb)")
      return
    end
    local commands = {
      "break scale", "break main", "info breakpoints 2", "info breakpoints 1-2",
      "info breakpoints 9", "run", "info threads 1", "info threads 2",
      "info args fac", "info args zz", "info locals s", "info locals -q zz",
      "info locals zz", "watch global_total", "info watchpoints 3",
      "info watchpoints 9", "info breakpoints 3", "continue",
      "info frame 1", "info frame level 2", "info frame function main",
      "info frame function scale", "info frame function zz",
      "info frame bogus", "info frame level", "info frame" }
    local out, err = snare_debug(commands)
    local gdb_out, gdb_err = gdb_batch(commands)
    assert.equals(plain(gdb_out), plain(out))
    assert.equals(dp.own_errors(gdb_err), dp.own_errors(err))
    assert.matches("\nNo threads match '2'%.\n", out)
    assert.matches("\nfirst = 0\nthreads = {0, 0}\nNo matching locals%.\n",
                   out)
    assert.matches("\nStack frame at 0x%x+:\n rip = 0x%x+ in main ", out)
  end)

  it("shows memory it cannot read and steps no time as gdb", function()
    local commands = { "break scale", "run", "x/s 0", "x/2s 0", "x/x 0",
                       "x/2x 0", "next 0", "stepi", "next 0", "up", "step 0",
                       "stepi 0" }
    local out, err = snare_debug(commands)
    local gdb_out, gdb_err = gdb_batch(commands)
    assert.equals(plain(gdb_out), plain(out))
    assert.equals(dp.own_errors(gdb_err), dp.own_errors(err))
    assert.matches("\n0x0:\t<error: Cannot access memory at address 0x0>\n"
                   .. "0x0:\t<error: Cannot access memory at address 0x0>\n",
                   out)
    -- x/x's rows so far, then (on stderr) the error; next 0 the frame
    assert.matches("\n0x0:\t0x0:\tscale %(p=0x%x+, factor=2%) at ", out)
    assert.equals("Cannot access memory at address 0x0\n"
                  .. "Cannot access memory at address 0x0\n", err)
  end)
end)
