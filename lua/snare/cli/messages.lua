--- What the command line shows of an error: the message without
-- snare's insides, which mean nothing to its user.
-- @module snare.cli.messages

local messages = {}

--- `message` without where in snare's Lua it was raised
-- ("/.../lua/snare/x.lua:12: "), and without the Lua module or C type
-- that raised it ("snare.stack_frame: cannot write 'x'" says "cannot
-- write 'x'").
function messages.for_user(message)
  return (message:gsub("^[^\n]-:%d+: ", "")
                 :gsub("[^%s<]*/lua/snare/[%w_/]+%.lua:%d+: ", "")
                 :gsub("snare%.[%w_.]+: ", ""))
end

return messages
