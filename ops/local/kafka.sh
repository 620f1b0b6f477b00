#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker+controller) for local
# development and integration tests. The jars come from Maven Central through
# ops/local/kafka/pom.xml (the one place that names the Kafka version) and are cached
# under ${ENGAGED_CACHE:-$HOME/.cache/engaged}/kafka-<version>/libs.
#
#   kafka.sh fetch
#   kafka.sh start --dir DIR [--port PORT]   # prints the bootstrap address last on stdout
#   kafka.sh stop --dir DIR
#   kafka.sh create-topics --bootstrap HOST:PORT NAME:PARTITIONS[:compact] ...
#   kafka.sh produce --bootstrap HOST:PORT --topic NAME        # KEY<TAB>VALUE lines on stdin
#   kafka.sh consume --bootstrap HOST:PORT --topic NAME [--max N] [--timeout-ms MS]
#
# Needs java (17+), python3, and for the first fetch mvn. Everything a broker writes
# (config, data, logs, pid, bootstrap) stays inside DIR.
set -euo pipefail

readonly PROG="kafka.sh"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly POM="$SCRIPT_DIR/kafka/pom.xml"
readonly START_TIMEOUT_S=60
readonly STOP_TIMEOUT_S=20
# The heap and GC settings of Kafka's own kafka-server-start.sh and kafka-run-class.sh
# (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS): a 20 ms pause goal instead of G1's
# default 200 ms. The GC log goes to DIR/gc.log.
readonly BROKER_JVM_OPTS=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true)
# Short-lived tool JVMs (StorageTool, TopicCommand): C1 only and a small heap start faster.
readonly TOOL_JVM_OPTS=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true)

usage() {
  cat <<EOF
Usage: $PROG COMMAND [OPTIONS]

Runs a single-node Apache Kafka broker (KRaft mode) for development and tests.

Commands:
  fetch
      Resolve the Kafka jars with Maven into the cache, unless already there.
  start --dir DIR [--port PORT]
      Start a broker whose config, data and logs live in DIR (created if missing).
      Picks free ports unless --port is given (the controller port is always free-picked
      on first start). Waits until the broker serves requests, then prints its
      bootstrap address (e.g. 127.0.0.1:9092) as the last line on stdout. If DIR
      already has a live broker, just prints its bootstrap address.
  stop --dir DIR
      Stop the broker of DIR: SIGTERM, then SIGKILL after ${STOP_TIMEOUT_S}s. No broker is fine.
  create-topics --bootstrap HOST:PORT NAME:PARTITIONS[:compact] ...
      Create topics with replication factor 1; existing topics are left as they are.
      ':compact' sets cleanup.policy=compact.
  produce --bootstrap HOST:PORT --topic NAME
      Produce the lines of stdin, each "KEY<TAB>VALUE", as keyed records.
  consume --bootstrap HOST:PORT --topic NAME [--max N] [--timeout-ms MS]
      Print up to N records (default 10) from the beginning as "KEY<TAB>VALUE",
      giving up after MS (default 30000) without a new record.

Environment:
  ENGAGED_CACHE   cache root (default: \$HOME/.cache/engaged); jars go to
                  \$ENGAGED_CACHE/kafka-<version>/libs

Kafka version: from $POM
EOF
}

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}

info() {
  echo "$PROG: $*" >&2
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH ($2)"
}

kafka_version() {
  [[ -f $POM ]] || die "missing $POM"
  local v
  v="$(sed -n 's:.*<kafka\.version>[[:space:]]*\([^<[:space:]]*\)[[:space:]]*</kafka\.version>.*:\1:p' "$POM" | head -n 1)"
  [[ -n $v ]] || die "no <kafka.version> property in $POM"
  echo "$v"
}

VERSION="$(kafka_version)"
readonly VERSION
readonly CACHE_ROOT="${ENGAGED_CACHE:-$HOME/.cache/engaged}"
readonly KAFKA_HOME="$CACHE_ROOT/kafka-$VERSION"
readonly LIBS="$KAFKA_HOME/libs"
readonly MARKER="$KAFKA_HOME/.fetched"
readonly TOOLS_LOG4J="$KAFKA_HOME/tools-log4j2.properties"

# ---------------------------------------------------------------------------- fetch

write_tools_log4j() {
  [[ -f $TOOLS_LOG4J ]] && return 0
  local tmp="$TOOLS_LOG4J.tmp.$$"
  cat >"$tmp" <<'EOF'
# Kafka command-line tools: warnings and errors only, to stderr.
status = warn
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = STDERR
EOF
  mv -f "$tmp" "$TOOLS_LOG4J"
}

cmd_fetch() {
  (($# == 0)) || die "fetch takes no arguments (got: $*)"
  if [[ -f $MARKER ]]; then
    write_tools_log4j
    return 0
  fi
  need_cmd mvn "install Maven, e.g. with ops/local/install-deps.sh"
  mkdir -p "$KAFKA_HOME"
  need_cmd flock "util-linux"
  # Serialise concurrent fetches (e.g. tests starting brokers in parallel).
  exec {lock_fd}>"$KAFKA_HOME/.fetch.lock"
  flock "$lock_fd"
  if [[ ! -f $MARKER ]]; then
    info "resolving Kafka $VERSION jars with Maven into $LIBS"
    local staging="$KAFKA_HOME/libs.partial" log="$KAFKA_HOME/fetch.log" started=$SECONDS
    rm -rf "$staging"
    local -a mvn_args=(-B -Dstyle.color=never -f "$POM" dependency:copy-dependencies
      "-DoutputDirectory=$staging" -DincludeScope=runtime)
    # Offline first: a warm ~/.m2 needs no network at all; fall back to the registry.
    if ! mvn -q -o "${mvn_args[@]}" >"$log" 2>&1; then
      rm -rf "$staging"
      if ! mvn -q "${mvn_args[@]}" >"$log" 2>&1; then
        tail -n 40 "$log" >&2 || true
        die "Maven could not resolve the Kafka $VERSION jars (full log: $log)"
      fi
    fi
    compgen -G "$staging/kafka_2.13-$VERSION.jar" >/dev/null ||
      die "Maven finished but $staging has no kafka_2.13-$VERSION.jar (log: $log)"
    rm -rf "$LIBS"
    mv "$staging" "$LIBS"
    touch "$MARKER"
    info "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - started))s"
  fi
  flock -u "$lock_fd"
  exec {lock_fd}>&-
  write_tools_log4j
}

# ---------------------------------------------------------------------------- helpers

need_java() {
  need_cmd java "install a JRE 17+, e.g. with ops/local/install-deps.sh"
}

# run_tool MAIN_CLASS ARGS... : a Kafka command-line tool in its own JVM.
run_tool() {
  java "${TOOL_JVM_OPTS[@]}" "-Dlog4j2.configurationFile=$TOOLS_LOG4J" \
    -cp "$LIBS/*" "$@"
}

# Prints N distinct free TCP ports on 127.0.0.1 (all bound at once, so they differ).
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

# Exit 0 when HOST:PORT answers a Metadata request listing at least one broker (i.e. the
# broker has registered with its controller, is unfenced and serves client requests).
probe_broker() {
  python3 - "$1" <<'PY'
import socket, struct, sys
host, _, port = sys.argv[1].rpartition(":")
client = b"engaged-kafka-sh"
# MetadataRequest v4, request header v1; topics = null (all), allow_auto_topic_creation=false
body = struct.pack(">hhih", 3, 4, 7, len(client)) + client + struct.pack(">ib", -1, 0)
try:
    with socket.create_connection((host, int(port)), timeout=2) as s:
        s.settimeout(3)
        s.sendall(struct.pack(">i", len(body)) + body)
        def read(n):
            buf = b""
            while len(buf) < n:
                chunk = s.recv(n - len(buf))
                if not chunk:
                    raise EOFError("connection closed")
                buf += chunk
            return buf
        (size,) = struct.unpack(">i", read(4))
        resp = read(size)
except (OSError, EOFError, ValueError):
    sys.exit(1)
# response header v0: correlation_id; body v4: throttle_time_ms, brokers[...]
corr, _throttle, nbrokers = struct.unpack(">iii", resp[:12])
sys.exit(0 if corr == 7 and nbrokers >= 1 else 1)
PY
}

# Prints the pid of DIR's broker if it is alive (and really a Kafka broker).
live_pid() {
  local dir=$1 pid state
  [[ -f $dir/pid ]] || return 1
  pid="$(<"$dir/pid")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/stat ]] || return 1
  # A zombie (exited, not yet reaped by its new parent) counts as dead.
  state="$(sed -e 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [[ $state != Z ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

abs_dir() {
  mkdir -p "$1" || die "cannot create directory $1"
  (cd "$1" && pwd)
}

valid_port() {
  [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= 65535))
}

FRESH_FORMAT=0

wait_ready() {
  local dir=$1 bootstrap=$2 pid=$3 deadline=$((SECONDS + START_TIMEOUT_S))
  while ! probe_broker "$bootstrap"; do
    if ! kill -0 "$pid" 2>/dev/null || [[ -z $(live_pid "$dir" || true) ]]; then
      echo "---- last lines of $dir/broker.log ----" >&2
      tail -n 60 "$dir/broker.log" >&2 || true
      if ((FRESH_FORMAT)); then
        # Storage formatted by this very start: drop it, so that a retry picks new ports.
        rm -rf "$dir/data" "$dir/server.properties"
      fi
      die "the broker (pid $pid) exited during startup; see $dir/broker.log"
    fi
    if ((SECONDS >= deadline)); then
      echo "---- last lines of $dir/broker.log ----" >&2
      tail -n 60 "$dir/broker.log" >&2 || true
      info "the broker (pid $pid) did not serve requests on $bootstrap within ${START_TIMEOUT_S}s; stopping it"
      cmd_stop --dir "$dir" || true
      die "the broker in $dir did not become ready within ${START_TIMEOUT_S}s; see $dir/broker.log"
    fi
    sleep 0.3
  done
}

write_server_properties() {
  local dir=$1 port=$2 cport=$3
  cat >"$dir/server.properties" <<EOF
# Written by ops/local/kafka.sh: single-node KRaft broker+controller for development/tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$dir/data

# One node: every internal topic has one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0

# Small and light: fast to start, small on disk, compaction visible in tests.
num.network.threads=2
num.io.threads=4
background.threads=4
log.segment.bytes=8388608
log.retention.hours=24
log.retention.check.interval.ms=60000
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
log.cleaner.backoff.ms=5000
EOF
}

write_broker_log4j() {
  local dir=$1
  cat >"$dir/log4j2.properties" <<'EOF'
# Written by ops/local/kafka.sh: the broker logs warnings plus its lifecycle messages and
# its log cleaner's runs to stdout, which kafka.sh redirects to DIR/broker.log.
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.raftserver.name = kafka.server.KafkaRaftServer
logger.raftserver.level = info
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = info
logger.controller.name = kafka.server.ControllerServer
logger.controller.level = info
# The log cleaner's runs (a line when one starts, its stats when it ends): bench/e2e.sh
# lists those that fall into a latency phase.
logger.cleaner.name = org.apache.kafka.storage.internals.log.Cleaner
logger.cleaner.level = info
logger.cleanerthread.name = org.apache.kafka.storage.internals.log.LogCleaner$CleanerThread
logger.cleanerthread.level = info
EOF
}

# A random Kafka cluster id: 16 random bytes, URL-safe base64 without padding.
# A random KRaft cluster id: 16 bytes, URL-safe base64. Like Kafka's own Uuid, never
# one that starts with '-', which kafka-storage's argument parser takes for an option
# (1 start in 64 failed that way).
new_cluster_id() {
  python3 -c '
import base64, os
while True:
    s = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    if not s.startswith("-"):
        print(s)
        break'
}

# ---------------------------------------------------------------------------- start

cmd_start() {
  local dir="" port=""
  while (($#)); do
    case $1 in
      --dir)
        (($# >= 2)) || die "--dir needs a value"
        dir=$2
        shift 2
        ;;
      --port)
        (($# >= 2)) || die "--port needs a value"
        port=$2
        shift 2
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) die "start: unknown argument '$1' (see $PROG --help)" ;;
    esac
  done
  [[ -n $dir ]] || die "start needs --dir DIR"
  [[ -z $port ]] || valid_port "$port" || die "--port must be a TCP port number, got '$port'"
  need_cmd python3 "needed to pick free ports and probe the broker"
  dir="$(abs_dir "$dir")"

  local pid bootstrap
  if pid="$(live_pid "$dir")"; then
    [[ -f $dir/bootstrap ]] || die "a broker runs in $dir (pid $pid) but $dir/bootstrap is missing"
    bootstrap="$(<"$dir/bootstrap")"
    if [[ -n $port && $bootstrap != "127.0.0.1:$port" ]]; then
      die "the broker in $dir already runs on $bootstrap, not port $port"
    fi
    wait_ready "$dir" "$bootstrap" "$pid"
    info "broker already running in $dir (pid $pid)"
    echo "$bootstrap"
    return 0
  fi

  cmd_fetch
  need_java

  local cport
  if [[ -f $dir/data/meta.properties && -f $dir/server.properties ]]; then
    # Restart on existing data: keep the ports the storage was formatted with.
    local old_port
    old_port="$(sed -n 's|^advertised\.listeners=PLAINTEXT://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$dir/server.properties")"
    [[ -n $old_port ]] || die "cannot read the port from $dir/server.properties; remove $dir to start afresh"
    if [[ -n $port && $port != "$old_port" ]]; then
      die "$dir holds a broker formatted for port $old_port; use that port or a fresh --dir"
    fi
    port=$old_port
    info "restarting the broker of $dir on port $port"
  else
    rm -rf "$dir/data"
    local ports
    read -r -a ports <<<"$(free_ports 2)"
    ((${#ports[@]} == 2)) || die "could not pick free ports"
    if [[ -z $port ]]; then
      port=${ports[0]}
      cport=${ports[1]}
    else
      cport=${ports[0]}
      [[ $cport != "$port" ]] || cport=${ports[1]}
    fi
    write_server_properties "$dir" "$port" "$cport"
    FRESH_FORMAT=1
    local out
    if ! out="$(run_tool kafka.tools.StorageTool format --config "$dir/server.properties" \
      --cluster-id "$(new_cluster_id)" 2>&1)"; then
      echo "$out" >&2
      die "formatting the broker storage in $dir/data failed"
    fi
  fi
  write_broker_log4j "$dir"

  bootstrap="127.0.0.1:$port"
  rm -f "$dir/pid" "$dir/bootstrap"
  {
    echo "==== $(date -u '+%Y-%m-%dT%H:%M:%SZ') $PROG start: Kafka $VERSION on $bootstrap"
  } >>"$dir/broker.log"
  # setsid: the broker outlives this script and its terminal; all fds are redirected so
  # that $(kafka.sh start ...) returns as soon as this script ends.
  (
    cd "$dir"
    exec setsid java "${BROKER_JVM_OPTS[@]}" \
      "-Dlog4j2.configurationFile=$dir/log4j2.properties" \
      "-Dkafka.logs.dir=$dir" \
      "-Xlog:gc*:file=$dir/gc.log:time,uptime:filecount=2,filesize=20m" \
      -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" \
      </dev/null >>"$dir/broker.log" 2>&1
  ) &
  pid=$!
  echo "$pid" >"$dir/pid"
  echo "$bootstrap" >"$dir/bootstrap"

  local started=$SECONDS
  wait_ready "$dir" "$bootstrap" "$pid"
  info "Kafka $VERSION broker ready in $dir (pid $pid) after $((SECONDS - started))s"
  echo "$bootstrap"
}

# ---------------------------------------------------------------------------- stop

cmd_stop() {
  local dir=""
  while (($#)); do
    case $1 in
      --dir)
        (($# >= 2)) || die "--dir needs a value"
        dir=$2
        shift 2
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) die "stop: unknown argument '$1' (see $PROG --help)" ;;
    esac
  done
  [[ -n $dir ]] || die "stop needs --dir DIR"
  if [[ ! -d $dir ]]; then
    info "no broker: $dir does not exist"
    return 0
  fi
  local pid
  if ! pid="$(live_pid "$dir")"; then
    rm -f "$dir/pid"
    info "no broker running in $dir"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT_S))
  while live_pid "$dir" >/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if live_pid "$dir" >/dev/null; then
    info "broker (pid $pid) still running after ${STOP_TIMEOUT_S}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 5))
    while live_pid "$dir" >/dev/null && ((SECONDS < deadline)); do
      sleep 0.1
    done
    ! live_pid "$dir" >/dev/null || die "broker (pid $pid) survived SIGKILL"
  fi
  rm -f "$dir/pid"
  info "stopped the broker in $dir (pid $pid)"
}

# ---------------------------------------------------------------------------- create-topics

cmd_create_topics() {
  local bootstrap=""
  local -a specs=()
  while (($#)); do
    case $1 in
      --bootstrap)
        (($# >= 2)) || die "--bootstrap needs a value"
        bootstrap=$2
        shift 2
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*) die "create-topics: unknown option '$1' (see $PROG --help)" ;;
      *)
        specs+=("$1")
        shift
        ;;
    esac
  done
  [[ -n $bootstrap ]] || die "create-topics needs --bootstrap HOST:PORT"
  [[ $bootstrap =~ ^[^:]+:[0-9]+$ ]] || die "--bootstrap must be HOST:PORT, got '$bootstrap'"
  ((${#specs[@]} > 0)) || die "create-topics needs at least one NAME:PARTITIONS[:compact]"

  # Validate everything before launching any JVM.
  local spec name partitions policy
  for spec in "${specs[@]}"; do
    IFS=: read -r name partitions policy <<<"$spec"
    [[ $name =~ ^[A-Za-z0-9._-]{1,249}$ ]] ||
      die "bad topic name in '$spec' (allowed: letters, digits, '.', '_', '-')"
    [[ $partitions =~ ^[1-9][0-9]*$ ]] || die "bad partition count in '$spec' (want NAME:PARTITIONS[:compact])"
    [[ -z $policy || $policy == compact ]] || die "bad topic option '$policy' in '$spec' (only ':compact')"
  done

  cmd_fetch
  need_java
  for spec in "${specs[@]}"; do
    IFS=: read -r name partitions policy <<<"$spec"
    local -a args=(--bootstrap-server "$bootstrap" --create --if-not-exists --topic "$name"
      --partitions "$partitions" --replication-factor 1)
    [[ $policy != compact ]] || args+=(--config cleanup.policy=compact)
    local out
    if ! out="$(run_tool org.apache.kafka.tools.TopicCommand "${args[@]}" 2>&1)"; then
      echo "$out" >&2
      die "creating topic '$name' on $bootstrap failed"
    fi
    info "topic $name: $partitions partition(s)${policy:+, cleanup.policy=$policy}"
  done
}

# ---------------------------------------------------------------------------- produce / consume

# Shared option parsing of produce and consume: sets bootstrap, topic, max, timeout_ms.
parse_io_opts() {
  while (($#)); do
    case $1 in
      --bootstrap | --topic | --max | --timeout-ms)
        (($# >= 2)) || die "$1 needs a value"
        case $1 in
          --bootstrap) bootstrap=$2 ;;
          --topic) topic=$2 ;;
          --max) max=$2 ;;
          --timeout-ms) timeout_ms=$2 ;;
        esac
        shift 2
        ;;
      *) die "unknown option '$1' (see $PROG --help)" ;;
    esac
  done
  [[ -n $bootstrap && -n $topic ]] || die "needs --bootstrap HOST:PORT and --topic NAME"
}

# Lines on stdin, "KEY<TAB>VALUE" each, become keyed records of the topic.
cmd_produce() {
  local bootstrap="" topic="" max="" timeout_ms=""
  parse_io_opts "$@"
  cmd_fetch
  need_java
  # The Java producer partitions keyed records with murmur2, as every Kafka client can.
  run_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$bootstrap" \
    --topic "$topic" --property parse.key=true --property key.separator=$'\t' \
    --producer-property linger.ms=20
}

# Prints up to --max records of the topic from the beginning, "KEY<TAB>VALUE" each,
# waiting at most --timeout-ms for the next one.
cmd_consume() {
  local bootstrap="" topic="" max="10" timeout_ms="30000"
  parse_io_opts "$@"
  cmd_fetch
  need_java
  run_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$bootstrap" \
    --topic "$topic" --from-beginning --max-messages "$max" --timeout-ms "$timeout_ms" \
    --property print.key=true --property key.separator=$'\t' 2>/dev/null || true
}

# ---------------------------------------------------------------------------- main

main() {
  (($# > 0)) || {
    usage >&2
    exit 2
  }
  local cmd=$1
  shift
  case $cmd in
    fetch) cmd_fetch "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    create-topics) cmd_create_topics "$@" ;;
    produce) cmd_produce "$@" ;;
    consume) cmd_consume "$@" ;;
    -h | --help | help) usage ;;
    *)
      echo "$PROG: error: unknown command '$cmd'" >&2
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
