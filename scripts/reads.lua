-- wrk script for scripts/bench-reads.sh: GET requests over a list of paths (one per line in
-- the file named by PATHS), in turn, with the staff token of TOKEN.
local paths = {}
local token = os.getenv("TOKEN")
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local i = 0

request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], {["Authorization"] = "Bearer " .. token})
end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
response = function(status) statuses[status] = (statuses[status] or 0) + 1 end

done = function(summary, latency, requests)
  local parts = {}
  local total = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do total[code] = (total[code] or 0) + n end
  end
  for code, n in pairs(total) do table.insert(parts, string.format("%d=%d", code, n)) end
  table.sort(parts)
  io.write(string.format("RESULT rate=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f statuses=%s\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, table.concat(parts, ",")))
end
