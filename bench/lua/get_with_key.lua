-- GET one fixed path with one header.  args: <header name> <header value> <path>
local headers, path

function init(args)
  headers = {[args[1]] = args[2]}
  path = args[3]
end

request = function()
  return wrk.format("GET", path, headers)
end
