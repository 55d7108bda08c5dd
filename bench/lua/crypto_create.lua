-- POST /crypto/v1/customers/{id}/orders: a small buy, round-robin over customers.
-- args: <bearer token> <file of customer ids, one per line>
local customers = {}
local token
local counter = 0
local body = '{"operation":"buy","asset":{"currency":"BTC","amount":"0.0001"}}'

function init(args)
  token = args[1]
  for line in io.lines(args[2]) do customers[#customers + 1] = line end
end

request = function()
  counter = counter + 1
  local customer = customers[(counter % #customers) + 1]
  return wrk.format("POST", "/crypto/v1/customers/" .. customer .. "/orders", {
    ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token,
  }, body)
end
