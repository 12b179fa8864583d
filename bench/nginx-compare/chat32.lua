-- wrk: POST a chat completion whose body is about 32 tokens (issue #16's second load shape).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("WRK_KEY") or "sk-bench")
wrk.body = '{"model":"bench-model","messages":[{"role":"user","content":"Summarise the plot of a short story about a lighthouse keeper who finds a message in a bottle, in two sentences please."}]}'

function done(summary, latency, requests)
  io.write(string.format("percentiles_us p50=%d p99=%d\n", latency:percentile(50), latency:percentile(99)))
end
