-- fuzz_spec.lua - a short seeded run of the API sequence fuzzer
-- (spec/reliability/fuzz.lua); tools/reliability runs long ones. The
-- seed is $SNARE_FUZZ_SEED, or fixed here so CI runs are repeatable.
local fuzz = require "spec.reliability.fuzz"

describe("API sequence fuzzing", function()
  it("keeps every invariant over random sequences", function()
    local seeds = { 1, 2, 3 }
    if os.getenv("SNARE_FUZZ_SEED") then
      seeds = { tonumber(os.getenv("SNARE_FUZZ_SEED")) }
    end
    local steps = 0
    for _, seed in ipairs(seeds) do
      local figures = fuzz.run { seed = seed, steps = 300 }
      assert.equals(300, figures.steps)
      assert.is_true(figures.calls > 0)
      steps = steps + figures.steps
    end
    print(string.format("FIGURE fuzz_api_steps %d", steps))
  end)
end)
