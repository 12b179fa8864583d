-- POST a chat completion; WRK_STREAM=1 asks for a stream (wrk reads it to the end).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- WRK_KEY: a project key, when the gateway requires one (bench/gateway-overhead.sh with WITH_KEY=1).
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("WRK_KEY") or "sk-bench")
local stream = os.getenv("WRK_STREAM") == "1"
wrk.body = '{"model":"bench-model","messages":[{"role":"user","content":"Hello"}]' ..
  (stream and ',"stream":true' or '') .. '}'

-- Finer tail percentiles than --latency prints (microseconds).
function done(summary, latency, requests)
  local out = {}
  for _, p in ipairs({ 50, 90, 95, 97, 98, 99, 99.5, 99.9 }) do
    table.insert(out, string.format("p%s=%d", p, latency:percentile(p)))
  end
  io.write("percentiles_us " .. table.concat(out, " ") .. "\n")
end
