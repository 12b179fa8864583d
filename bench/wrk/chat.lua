-- POST a chat completion; WRK_STREAM=1 asks for a stream (wrk reads it to the end).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
local stream = os.getenv("WRK_STREAM") == "1"
wrk.body = '{"model":"bench-model","messages":[{"role":"user","content":"Hello"}]' ..
  (stream and ',"stream":true' or '') .. '}'
