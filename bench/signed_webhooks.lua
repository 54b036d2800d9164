-- wrk script for the ingest benchmark: each wrk thread cycles through its own file of
-- pre-signed Standard Webhooks requests (LuaJIT in wrk has no HMAC, so ingest_bench signs
-- them right before the run). Lines: webhook-id TAB webhook-timestamp TAB signature TAB body.
--   wrk -t2 -c64 -d5s -s signed_webhooks.lua http://127.0.0.1:PORT -- /path/to/requests
-- reads /path/to/requests.0, /path/to/requests.1, ... and prints one WRK_RESULT line.

local thread_count = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local prefix = args[1]
  reqs = {}
  for line in io.lines(prefix .. "." .. id) do
    local wid, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    reqs[#reqs + 1] = wrk.format("POST", "/webhooks/generic", {
      ["Content-Type"] = "application/json",
      ["webhook-id"] = wid,
      ["webhook-timestamp"] = ts,
      ["webhook-signature"] = sig,
    }, body)
  end
  next_req = 0
  wraps = 0
end

function request()
  next_req = next_req + 1
  if next_req > #reqs then
    next_req = 1
    wraps = wraps + 1 -- ids repeat from here on: duplex answers them as duplicates
  end
  return reqs[next_req]
end

function done(summary, latency, requests)
  local wrapped = 0
  for _, t in ipairs(threads) do
    wrapped = wrapped + (t:get("wraps") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d status_errors=%d wraps=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, e.status, wrapped))
end
