-- wrk script for bench/soak: POSTs through the forward proxy (absolute-form
-- request targets) a round-robin mix of six clean bodies, one small PI list
-- and one large PI export, and counts responses per status. Arguments after
-- "--": the upstream base URL and the directory holding the bodies.

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local reqs = {}
local n = 0
counts = {}

function init(args)
  local base, dir = args[1], args[2]
  local clean = slurp(dir .. "/clean.txt")
  local small = slurp(dir .. "/pi-small.csv")
  local large = slurp(dir .. "/pi-large.csv")
  local function post(path, body, ctype)
    return wrk.format("POST", base .. path, {["Host"] = string.gsub(base, "^http://", ""), ["Content-Type"] = ctype}, body)
  end
  for i = 1, 6 do
    table.insert(reqs, post("/clean", clean, "text/html"))
  end
  table.insert(reqs, post("/pi-small", small, "text/csv"))
  table.insert(reqs, post("/pi-large", large, "text/csv"))
end

function request()
  n = n % #reqs + 1
  return reqs[n]
end

function response(status, headers, body)
  local k = tostring(status)
  counts[k] = (counts[k] or 0) + 1
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do
      all[k] = (all[k] or 0) + v
    end
  end
  local parts = {}
  for k, v in pairs(all) do
    table.insert(parts, string.format('"%s":%d', k, v))
  end
  local e = summary.errors
  io.write(string.format('SOAK {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"status":{%s},"latency_p50_us":%.1f,"latency_p99_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout,
    table.concat(parts, ","), latency:percentile(50), latency:percentile(99)))
end
