# Sourced by the benchmarks: the reference proxy they put in the gateway's seat. nginx with 1 worker, a keepalive
# upstream pool and proxy_buffering off, pinned to core 1, writing its pid to WORK/nginx.pid.
#   start_nginx WORK UPSTREAM_PORT LISTEN_PORT
start_nginx() {
  cat > "$1/nginx.conf" <<NGINX
worker_processes 1;
pid $1/nginx.pid;
error_log $1/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream up { server 127.0.0.1:$2; keepalive 256; }
  server {
    listen 127.0.0.1:$3;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
NGINX
  taskset -c 1 nginx -c "$1/nginx.conf"
}
