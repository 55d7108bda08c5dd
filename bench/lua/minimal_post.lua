-- POST the minimal insert: same body shape as an order.
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"vehicle_id":"bench-vehicle-%03d","max_bid_amount_usd":15500}', counter % 100)
  return wrk.format("POST", "/minimal/orders", {["Content-Type"] = "application/json"}, body)
end
