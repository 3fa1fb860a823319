-- Like a random comment per request, each request from a new client address.
-- wrk -s vote.lua URL -- <comments|isso> <run nonce> <comma-separated comment ids>
-- The address goes in X-Forwarded-For (both servers trust 127.0.0.1 as a proxy): votes are
-- one per voter per comment, so a fixed address would make every vote after the first a no-op.
-- Isso keys voters by /24 network, so the address varies in its first three octets.

local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
end

function init(args)
  flavour, nonce = args[1], tonumber(args[2])
  ids = {}
  for id in string.gmatch(args[3], "%d+") do
    ids[#ids + 1] = id
  end
  math.randomseed(nonce * 7919 + tid)
  n = 0
end

local function address()
  local a = 1 + (nonce * 4 + tid) % 200
  if a == 127 or a == 10 then a = 201 + tid end
  return string.format("%d.%d.%d.1", a, math.floor(n / 256) % 256, n % 256)
end

function request()
  n = n + 1
  local id = ids[math.random(#ids)]
  local headers = {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address()}
  if flavour == "isso" then
    return wrk.format("POST", "/id/" .. id .. "/like", headers, "")
  end
  return wrk.format("POST", "/api/v1/comments/" .. id .. "/votes", headers, '{"value":1}')
end
