-- POST /auto/v1/orders with a fresh Idempotency-Key per request. Request i goes to partner
-- floor(i / 100) and vehicle i % 100, so no partner orders one car twice (no duplicate_order).
-- args: <file of API keys, one per line>
local keys = {}
local counter = 0

function init(args)
  for line in io.lines(args[1]) do keys[#keys + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

request = function()
  local key = keys[(math.floor(counter / 100) % #keys) + 1]
  local body = string.format('{"vehicle_id":"bench-v-%03d","max_bid_amount_usd":20000}', counter % 100)
  counter = counter + 1
  return wrk.format("POST", "/auto/v1/orders", {
    ["Content-Type"] = "application/json", ["x-api-key"] = key, ["Idempotency-Key"] = uuid4(),
  }, body)
end
