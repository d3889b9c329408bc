-- wrk script: replays the requests of a file, round robin from a random start.
-- Usage: wrk ... -s bench/lua/requests.lua URL -- FILE
-- FILE lines: "H<TAB>Name: value" (a header sent with every request) or
--             "R<TAB>METHOD<TAB>PATH<TAB>BODY[<TAB>Name: value]" (BODY empty for none, JSON
--             on one line; the optional last field is a header of this request only).
-- done() prints one line "BENCHJSON {...}" that bench/load.py reads.

local prepared = {}
local counter = 1

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

function init(args)
  local headers, rows = {}, {}
  for line in io.lines(args[1]) do
    local f = split(line)
    if f[1] == "H" then
      local name, value = f[2]:match("^([^:]+):%s*(.*)$")
      headers[name] = value
    elseif f[1] == "R" then
      rows[#rows + 1] = f
    end
  end
  for i, f in ipairs(rows) do
    local h = {}
    for k, v in pairs(headers) do h[k] = v end
    if f[5] ~= nil and f[5] ~= "" then
      local name, value = f[5]:match("^([^:]+):%s*(.*)$")
      h[name] = value
    end
    local body = f[4]
    if body == nil or body == "" then body = nil end
    prepared[i] = wrk.format(f[2], f[3], h, body)
  end
  math.randomseed(os.time() + tonumber(tostring(prepared):match("0x(%x+)") or "0", 16) % 1000)
  counter = math.random(#prepared)
end

function request()
  local r = prepared[counter]
  counter = counter % #prepared + 1
  return r
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
