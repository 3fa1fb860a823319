-- POST the same JSON body on every request.
-- wrk -s post_json.lua URL -- '<json body>'

function init(args)
  wrk.method = "POST"
  wrk.body = args[1]
  wrk.headers["Content-Type"] = "application/json"
end
