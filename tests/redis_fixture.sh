#!/bin/sh
# redis_fixture.sh start|stop DIR - a private redis-server for the tests.
# start: picks a free port on 127.0.0.1, starts redis-server with AOF and its data in DIR,
#        waits until it answers PING, and writes the port to DIR/port.
# stop:  shuts it down (no save) and removes DIR.
set -eu
cmd=$1 dir=$2
case $cmd in
start)
    if [ -f "$dir/port" ] && redis-cli -p "$(cat "$dir/port")" ping >/dev/null 2>&1; then
        redis-cli -p "$(cat "$dir/port")" shutdown nosave >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"; mkdir -p "$dir"
    tries=0
    while [ $tries -lt 20 ]; do
        tries=$((tries + 1))
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
               || echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000)))
        if redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes \
               --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
               --appendonly yes --save '' --protected-mode yes >/dev/null 2>&1; then
            i=0
            while [ $i -lt 50 ]; do
                if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
                    echo "$port" > "$dir/port"
                    echo "redis-server on 127.0.0.1:$port, data in $dir"
                    exit 0
                fi
                i=$((i + 1)); sleep 0.1
            done
        fi
    done
    echo "could not start redis-server (see $dir/redis.log)" >&2
    exit 1 ;;
stop)
    if [ -f "$dir/port" ]; then
        redis-cli -p "$(cat "$dir/port")" shutdown nosave >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    exit 0 ;;
*)
    echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
