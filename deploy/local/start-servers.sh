#!/usr/bin/env bash
# Usage: start-servers.sh [postgresql] [rabbitmq]   (default: both)
# Starts what plr needs on this machine, for `make run` and `.ci/run` alike: PostgreSQL and RabbitMQ
# when they are installed and not running, and RabbitMQ's management plugin when it is off (a fresh
# Debian RabbitMQ has it off). Says what it found and what it did; exits 1 naming what it could not do.
#
# Ports and commands come from the environment so that a test can aim this at private servers
# (the machine's own ones are only ever started here, never stopped or reconfigured):
#   PLR_LOCAL_PG_PORT (5432)  PLR_LOCAL_AMQP_PORT (5672)  PLR_LOCAL_AMQP_MANAGEMENT_PORT (15672)
#   PLR_LOCAL_PG_START        default: pg_ctlcluster of the first cluster in /etc/postgresql
#   PLR_LOCAL_RABBITMQ_START  default: rabbitmq-server -detached (RABBITMQ_* variables are passed on)
#   PLR_LOCAL_RABBITMQ_PLUGINS default: rabbitmq-plugins
#   PLR_LOCAL_WAIT_S (120)    how long to wait for each port
set -uo pipefail

pg_port=${PLR_LOCAL_PG_PORT:-5432}
amqp_port=${PLR_LOCAL_AMQP_PORT:-5672}
mgmt_port=${PLR_LOCAL_AMQP_MANAGEMENT_PORT:-15672}
wait_s=${PLR_LOCAL_WAIT_S:-120}
rabbit_start=${PLR_LOCAL_RABBITMQ_START:-rabbitmq-server -detached}
rabbit_plugins=${PLR_LOCAL_RABBITMQ_PLUGINS:-rabbitmq-plugins}
if [ -n "${PLR_LOCAL_PG_START:-}" ]; then
  pg_start=$PLR_LOCAL_PG_START
elif command -v pg_ctlcluster >/dev/null && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
  pg_start="pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | head -n 1) main start"
else
  pg_start=pg_ctlcluster # not installed: reported below as such
fi

say() { printf 'plr: %s\n' "$*"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port, what
  for _ in $(seq 1 "$wait_s"); do port_open "$1" && return 0; sleep 1; done
  say "$2 did not come up on port $1 within ${wait_s}s"; return 1
}

installed() { command -v "${1%% *}" >/dev/null; }

# what, port, command
start_server() {
  if port_open "$2"; then
    say "$1 is running (port $2)"
    return 0
  fi
  if ! installed "$3"; then
    say "$1 is not running on port $2 and is not installed here (no ${3%% *}); install it, or start it elsewhere"
    return 1
  fi
  say "$1 is not running on port $2: starting it ($3)"
  # from / : Debian's scripts drop to their own user, who may not be able to enter the current folder
  (cd / && eval "$3") >/dev/null || { say "$1 did not start ($3 failed)"; return 1; }
  wait_port "$2" "$1" && say "$1 started (port $2)"
}

wanted=" ${*:-postgresql rabbitmq} "
for name in ${wanted}; do
  case $name in postgresql|rabbitmq) ;; *) say "start-servers: unknown server '$name' (postgresql, rabbitmq)"; exit 2 ;; esac
done

status=0
if [[ $wanted == *" postgresql "* ]]; then
  start_server PostgreSQL "$pg_port" "$pg_start" || status=1
fi
if [[ $wanted != *" rabbitmq "* ]]; then
  :
elif start_server RabbitMQ "$amqp_port" "$rabbit_start"; then
  # plr declares its vhost, queues and policies through the management API
  if port_open "$mgmt_port"; then
    say "RabbitMQ management API is on (port $mgmt_port)"
  elif ! installed "$rabbit_plugins"; then
    say "RabbitMQ management API is off and ${rabbit_plugins%% *} is not installed"; status=1
  else
    say "RabbitMQ management API is off: enabling it ($rabbit_plugins enable rabbitmq_management)"
    if (cd / && eval "$rabbit_plugins enable rabbitmq_management") >/dev/null; then
      wait_port "$mgmt_port" "RabbitMQ management API" && say "RabbitMQ management API enabled (port $mgmt_port)" || status=1
    else
      say "enabling the RabbitMQ management plugin failed"; status=1
    fi
  fi
else
  status=1
fi
exit $status
