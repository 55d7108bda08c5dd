-- GET /auto/v1/orders/{id}, round-robin over "<api key> <order id>" lines.  args: <file>
local pairs_ = {}
local counter = 0

function init(args)
  for line in io.lines(args[1]) do
    local key, id = line:match("(%S+)%s+(%S+)")
    pairs_[#pairs_ + 1] = {key, id}
  end
end

request = function()
  counter = counter + 1
  local pair = pairs_[(counter % #pairs_) + 1]
  return wrk.format("GET", "/auto/v1/orders/" .. pair[2], {["x-api-key"] = pair[1]})
end
