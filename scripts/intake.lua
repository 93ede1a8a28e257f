-- wrk script for scripts/bench-intake.sh: files appeals through POST /api/v1/appeals with
-- realistic, varied bodies (category, street, text, phone) and a unique Idempotency-Key each,
-- and counts the answers by status so that the run can compare the 201s with the database.

local categories = {"03.01.01", "03.01.02", "03.02.01", "03.02.03", "02.01.02", "02.03.01",
                    "02.03.03", "01.01.01", "01.01.03", "04.02.02", "05.01.01"}
local divisions = {"210302001", "210302002", "210302005", "210303001", "210303002", "210303004"}
local titles = {"小区暖气不热，室温只有14度", "楼道灯坏了一个月没人修", "自来水发黄有异味",
                "路面塌陷存在安全隐患", "垃圾清运不及时", "物业乱收费", "电梯经常停运"}
local threads = {}
local counter = 0
-- requests sent and answers read, per thread: the difference is what was in flight when wrk
-- stopped (the server finishes those; wrk does not read their answers)
sent = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  filed = {}
  math.randomseed(os.time() + id * 7919)
end

request = function()
  counter = counter + 1
  sent = sent + 1
  local title = titles[math.random(#titles)]
  local body = string.format(
    '{"appellant_kind":"citizen","kind":"complaint","channel":"hotline","title":"%s",' ..
    '"content":"%s。来电人反映该问题已持续多日，请相关部门尽快核实处理。编号%d-%d",' ..
    '"category_code":"%s","division_code":"%s","address":"铁东区某小区%d号楼",' ..
    '"name":"市民%d","phone":"139%08d","confidential":false}',
    title, title, id, counter, categories[math.random(#categories)],
    divisions[math.random(#divisions)], math.random(1, 80), math.random(1, 9999),
    math.random(0, 99999999))
  local headers = {["Content-Type"] = "application/json",
                   ["Idempotency-Key"] = string.format("load-%d-%d-%d", os.time(), id, counter)}
  return wrk.format("POST", "/api/v1/appeals", headers, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    local no = body:match('"tracking_no":"(AS%d+)"')
    if no then filed[#filed + 1] = no end
  end
end

done = function(summary, latency, requests)
  local total = {}
  local unanswered = 0
  for _, thread in ipairs(threads) do
    local answered = 0
    for _, n in pairs(thread:get("statuses")) do answered = answered + n end
    unanswered = unanswered + thread:get("sent") - answered
    local s = thread:get("statuses")
    for code, n in pairs(s) do
      total[code] = (total[code] or 0) + n
    end
  end
  -- every tracking number answered with 201, for the check against the database
  local out = io.open(os.getenv("FILED_OUT") or "/tmp/bench-intake-201.txt", "w")
  for _, thread in ipairs(threads) do
    for _, no in ipairs(thread:get("filed")) do out:write(no, "\n") end
  end
  out:close()
  local parts = {}
  for code, n in pairs(total) do
    table.insert(parts, string.format("%d=%d", code, n))
  end
  table.sort(parts)
  io.write(string.format("RESULT requests=%d in_flight=%d seconds=%.1f rate=%.1f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f errors=%d statuses=%s\n",
    summary.requests, unanswered, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ",")))
end
