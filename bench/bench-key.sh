# Sourced by the benchmarks: accounting on for a gateway under test. The admin API answers loopback clients while no
# master or admin key exists.
#   bench_key PORT            creates a project key and exports it as WRK_KEY (the wrk scripts send it), so every
#                             request is authenticated by key and metered to its project in the ledger.
#   bench_limits PORT MODEL   sets that project's rate limits, tokens per minute and monthly spend limit for MODEL, and
#                             a price, all far above what a run sends: every request takes and settles each allowance
#                             and none is refused.
bench_key() {
  WRK_KEY="$(curl -sf -XPOST "http://127.0.0.1:$1/v1/organization/projects/proj_default/service_accounts" \
    -H 'Content-Type: application/json' -d '{"name":"bench"}' | sed -E 's/.*"value":"([^"]+)".*/\1/')"
  export WRK_KEY
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v1/models" -H "Authorization: Bearer $WRK_KEY")" = 200 ]
  echo "Keys on: every request carries a project key and is metered to it."
}
bench_limits() {
  local admin="http://127.0.0.1:$1/v1/organization"
  curl -sf -XPOST "$admin/projects/proj_default/rate_limits/rl-$2" -H 'Content-Type: application/json' \
    -d '{"max_requests_per_1_minute":100000000,"max_tokens_per_1_minute":1000000000000,"max_requests_per_1_day":1000000000}' >/dev/null
  curl -sf -XPOST "$admin/projects/proj_default/spend_limit" -H 'Content-Type: application/json' \
    -d '{"threshold_amount":100000000,"currency":"USD","interval":"month"}' >/dev/null
  curl -sf -XPOST "$admin/prices/$2" -H 'Content-Type: application/json' -d '{"input":0.15,"output":0.6}' >/dev/null
  echo "Limits on: rate limits, tokens per minute and a spend limit apply to every request."
}
