-- GET the minimal primary-key read, round-robin over the 1,000 seeded rows.
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", string.format("/minimal/orders/minimal-%04d", counter % 1000))
end
