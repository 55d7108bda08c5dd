-- POST /crypto/v1/customers/{id}/orders/{order_id}/confirm, each pending order once (in order).
-- args: <bearer token> <file of "<customer id> <order id>" lines>
local orders = {}
local token
local counter = 0

function init(args)
  token = args[1]
  for line in io.lines(args[2]) do
    local customer, order = line:match("(%S+)%s+(%S+)")
    orders[#orders + 1] = {customer, order}
  end
end

request = function()
  counter = counter + 1
  local pair = orders[((counter - 1) % #orders) + 1]
  return wrk.format("POST", "/crypto/v1/customers/" .. pair[1] .. "/orders/" .. pair[2] .. "/confirm", {
    ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token,
  }, "{}")
end
