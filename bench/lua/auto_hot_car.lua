-- POST /auto/v1/orders, every connection bidding on one vehicle: request i comes from partner i
-- (each partner bids once, so no duplicate_order) with a random ceiling; stops when the
-- partners run out.  args: <file of API keys> <vehicle id>
local keys = {}
local vehicle
local counter, answered = 0, 0

function init(args)
  for line in io.lines(args[1]) do keys[#keys + 1] = line end
  vehicle = args[2]
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

request = function()
  counter = counter + 1
  local key = keys[((counter - 1) % #keys) + 1]
  local body = string.format('{"vehicle_id":"%s","max_bid_amount_usd":%d}', vehicle, math.random(10000, 90000))
  return wrk.format("POST", "/auto/v1/orders", {
    ["Content-Type"] = "application/json", ["x-api-key"] = key, ["Idempotency-Key"] = uuid4(),
  }, body)
end

response = function(status, headers, body)
  answered = answered + 1
  if answered >= #keys then wrk.thread:stop() end
end
