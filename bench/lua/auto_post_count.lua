-- POST /auto/v1/orders like auto_post.lua, requests <start> .. <start + count - 1>; after
-- <count> answers it stops and creates <done file> (wrk itself runs on until killed).
-- Request i goes to partner floor(i / 100) and vehicle i % 100.
-- args: <file of API keys> <start> <count> <done file>
local keys = {}
local counter, last, answered, wanted = 0, 0, 0, 0
local done_file

function init(args)
  for line in io.lines(args[1]) do keys[#keys + 1] = line end
  counter = tonumber(args[2])
  wanted = tonumber(args[3])
  done_file = args[4]
  last = counter + wanted
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

request = function()
  local i = counter < last and counter or (last - 1)
  local key = keys[(math.floor(i / 100) % #keys) + 1]
  local body = string.format('{"vehicle_id":"bench-v-%03d","max_bid_amount_usd":20000}', i % 100)
  counter = counter + 1
  return wrk.format("POST", "/auto/v1/orders", {
    ["Content-Type"] = "application/json", ["x-api-key"] = key, ["Idempotency-Key"] = uuid4(),
  }, body)
end

response = function(status, headers, body)
  answered = answered + 1
  if answered == wanted then
    io.open(done_file, "w"):close()
    wrk.thread:stop()
  end
end
