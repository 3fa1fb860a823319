-- Post a new comment per request, each with a distinct text and a distinct client address.
-- wrk -s post.lua URL -- <comments|isso> <site> <thread uri> <run nonce>
-- The address goes in X-Forwarded-For: both servers are told to trust 127.0.0.1 as a proxy.

local TEXT = "I read the whole report and the **numbers** on the bridge project still puzzle me. "
  .. "The council says costs rose by _twenty percent_, yet the [budget table](https://news.example/t/1) "
  .. "shows flat spending.\\n\\n> Residents want clearer answers.\\n\\nSo do I: who signed off on "
  .. "the delays, and when will the vote happen?"

local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
end

function init(args)
  flavour, site, uri, nonce = args[1], args[2], args[3], tonumber(args[4])
  n = 0
end

local function address()
  local a = 1 + (nonce * 4 + tid) % 200
  if a == 127 or a == 10 then a = 201 + tid end
  return string.format("%d.%d.%d.1", a, math.floor(n / 256) % 256, n % 256)
end

function request()
  n = n + 1
  local text = string.format("%s (%d-%d-%d)", TEXT, nonce, tid, n)
  local headers = {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address()}
  if flavour == "isso" then
    local body = string.format('{"text":"%s","author":"Bench Reader","email":null}', text)
    return wrk.format("POST", "/new?uri=" .. uri, headers, body)
  end
  local body = string.format(
    '{"site":"%s","uri":"%s","body":"%s","author_name":"Bench Reader","seconds_on_page":30}',
    site, uri, text)
  return wrk.format("POST", "/api/v1/comments", headers, body)
end
