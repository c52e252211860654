-- wrk script of the benchmark's wrk loader (bench/loaders.py).
--
--   wrk -t T -c C -d D -s bench/wrk_requests.lua URL -- REQUESTS_FILE T OFFSET
--
-- wrk cannot call back into Python: the requests are pre-rendered into REQUESTS_FILE, a file
-- of "<length>\n<bytes>" records that each thread loads. Thread t of T sends requests
-- OFFSET + t, OFFSET + t + T, OFFSET + t + 2T, ... (cycling over the file). At the end one
-- line "NEEDLEPLAN_BENCH {...}" on stdout gives the counts, latency percentiles (us), errors,
-- statuses and the next unused request index (the OFFSET of a following run).

local function load_requests(path)
  local file = assert(io.open(path, "rb"))
  local data = file:read("*a")
  file:close()
  local list, position = {}, 1
  while position <= #data do
    local newline = string.find(data, "\n", position, true)
    local length = tonumber(string.sub(data, position, newline - 1))
    table.insert(list, string.sub(data, newline + 1, newline + length))
    position = newline + length + 1
  end
  return list
end

local requests, count = {}, 0
local threads = {}
next_index = 0  -- global: done() reads it with thread:get
local step = 1
counts = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  requests = load_requests(assert(args[1], "usage: -- REQUESTS_FILE THREADS OFFSET"))
  count = #requests
  step = tonumber(args[2])
  next_index = tonumber(args[3] or "0") + tid
end

function request()
  local r = requests[(next_index % count) + 1]
  next_index = next_index + step
  return r
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals, statuses = {}, {}
  local next_free = 0
  for _, thread in ipairs(threads) do
    next_free = math.max(next_free, thread:get("next_index"))
    for status, n in pairs(thread:get("counts")) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  for status, n in pairs(totals) do
    table.insert(statuses, string.format('"%d":%d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'NEEDLEPLAN_BENCH {"requests":%d,"duration_us":%d,"p50":%d,"p95":%d,"p99":%d,' ..
    '"max":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"next":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, next_free,
    table.concat(statuses, ",")))
end
