-- abstract_blocks_spec.lua - the variables of clang's concrete copies of
-- a function whose lexical block has no DW_AT_abstract_origin, with gdb
-- 13 as the oracle (spec/fixtures/clang/abstract_blocks.c): gdb takes
-- such a block for the abstract block at its position when the concrete
-- and abstract children have the same tags in the same order, and then
-- inherits none of the abstract block's variables into the function's
-- scope; otherwise (call sites among the children) it does. Compared:
-- the frames and the names of their variables, in listing order, at the
-- first stop in sink (values too, but for pointers, which differ
-- between the two processes).
local root = assert(os.getenv("PWD"))
local work = os.tmpname()
os.remove(work)

local function lines(command)
  local pipe = assert(io.popen(command .. " 2>/dev/null"))
  local found = {}
  for line in pipe:lines() do
    if line:match("^[FV] ") then
      -- a pointer's text differs between the processes
      found[#found + 1] = line:gsub("^(V %d+ %S+) 0x%x+.*$", "%1 pointer")
                              :gsub("^(V %d+ %S+) %d%d%d%d%d%d+$", "%1 pointer")
    end
  end
  pipe:close()
  return found
end

local clang = os.execute("command -v clang >/dev/null")
local mismatches, compared = 0, 0

describe("variables of clang's origin-less lexical blocks against gdb", function()
  setup(function() assert(os.execute("mkdir -p " .. work)) end)
  teardown(function()
    print(("abstract blocks oracle: %d lines compared, %d mismatches")
      :format(compared, mismatches))
    os.execute("rm -rf " .. work)
  end)

  for _, copy in ipairs { "inlined", "outline" } do
    (clang and it or pending)("lists what gdb lists under the " .. copy
                              .. " copy", function()
      local prog = work .. "/" .. copy
      assert(os.execute(("clang -g -O2 %s -o %s %s/spec/fixtures/clang/"
                         .. "abstract_blocks.c"):format(
        copy == "outline" and "-DOUTLINE_FIRST" or "", prog, root)))
      local gdb = lines(("env -u LD_PRELOAD gdb -nx -batch -iex "
        .. "'set debug-file-directory "
        .. "/nonexistent' -iex 'set debuginfod enabled off' -ex 'break sink' "
        .. "-ex run -ex 'source %s/spec/frames_oracle/gdb_frames.py' %s")
        :format(root, prog))
      local snare = lines(("cd %s && timeout 60 bin/snare exec "
        .. "spec/frames_oracle/snare_corpus_frames.lua sink prog -- %s")
        :format(root, prog))
      assert.is_true(#gdb > 4)
      local before = mismatches
      for i = 1, math.max(#gdb, #snare) do
        compared = compared + 1
        -- main's argv: snare_corpus_frames.lua calls main itself, so its
        -- entry value is not the one libc passed under gdb
        local skip = (gdb[i] or ""):match("^V %d+ argv ")
        if not skip and gdb[i] ~= snare[i] then
          mismatches = mismatches + 1
          print(("abstract blocks oracle: %s line %d: gdb %q, snare %q")
            :format(copy, i, gdb[i], snare[i]))
        end
      end
      assert.equal(before, mismatches)
    end)
  end
end)
