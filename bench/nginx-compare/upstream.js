// A fast upstream that is not ours: Node's plain http server answering every request with one fixed chat
// completion of 355 bytes (with Content-Length, keep-alive), as issue #16's second load shape describes.
//   node bench/nginx-compare/upstream.js PORT
const http = require("http");
const body = Buffer.from(JSON.stringify({
  id: "chatcmpl-bench", object: "chat.completion", created: 1764633600, model: "bench-model",
  system_fingerprint: "fp_44709d6fcb", service_tier: "default",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello! How can I help you today?!!!!!!!!" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 32, completion_tokens: 9, total_tokens: 41 },
}));
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.argv[2] || 9130), "127.0.0.1");
