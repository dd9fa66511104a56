#!/usr/bin/env bash
# The compose deployment, end to end, on this machine's Docker engine. CI runs it after `npm test`
# (.ci/run); on a fresh machine of the project's kind it installs what it lacks (the engine and
# Debian's docker-compose with apt-get as root, debootstrap and friends through
# scripts/build-base-images.sh). Phases, each timed:
#   images     base images (cached), test image, the Pando image (layer cache); their sizes
#   up         deploy/check-env.sh; docker-compose up -d; every service healthy
#   cluster    both agents registered and active in /master/state, with their racks and docker
#   operator   a Docker task through the operator path (NATS), answering on its host port
#   bad-input  an agent without the Docker socket keeps running without docker (log, its /state
#              and the master's, no restart); bad variables stop a service with a message naming
#              the variable (AGENT_1_PORT, PANDO_LOG_LEVEL, PANDO_PLUGINS; MASTER_PORT=abc/70000
#              through deploy/check-env.sh)
#   marathon   an app of two busybox httpd instances through Marathon's /v2 API, healthy and
#              answering on their host ports
#   chronos    a job every 5 s through Chronos's /v1/scheduler API; successCount grows
#   agent-kill docker kill the agent running app tasks: the app is back to two healthy instances
#              on the other agent, the job keeps running
#   master     with PANDO_COMPOSE_HA=1 (the default; masters master-1 and master-2): docker kill
#              the leading master; the standby leads, the app is back to two healthy instances and
#              the job keeps running (master-failover). Otherwise (one master): the master is
#              killed and started again, and the app and the job recover (master-restart); the
#              failover check is reported SKIPPED.
# Always (trap, also on failure or Ctrl-C): `down -v`, and the task containers the agents left are
# removed. The last lines are a summary of every check and phase timing, then
# "compose-smoke: N passed, N failed, N skipped"; the exit status is 0 only when nothing failed.
#
# The deployment is a separate compose project (PANDO_SMOKE_PROJECT, pando-smoke) on its own host
# ports (below, each overridable with the same variable as in .env), so a deployment or a dev
# cluster on this machine is left alone. PANDO_SMOKE_SKIP=phase,... skips phases (reported as
# SKIPPED). Needs root (or the docker group, with docker-compose and the images already there).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

# Two masters (master-2 is a standby) unless PANDO_COMPOSE_HA=0: then master-2 is stopped after
# `up` and the master phase checks a restart of the only master instead of a failover.
HA=${PANDO_COMPOSE_HA:-1}
PROJECT=${PANDO_SMOKE_PROJECT:-pando-smoke}
SKIP=",${PANDO_SMOKE_SKIP:-},"
export PANDO_IMAGE=${PANDO_IMAGE:-pando/pando:latest}
export NATS_IMAGE=${NATS_IMAGE:-pando/nats:2.9}
export NODE_IMAGE=${NODE_IMAGE:-pando/node-base:20}
export PUBLISH_ADDRESS=${PUBLISH_ADDRESS:-127.0.0.1}
export MASTER_PORT=${MASTER_PORT:-15050} MASTER_2_PORT=${MASTER_2_PORT:-15060}
export MARATHON_PORT=${MARATHON_PORT:-18080} CHRONOS_PORT=${CHRONOS_PORT:-14400}
export NATS_1_PORT=${NATS_1_PORT:-14222} NATS_2_PORT=${NATS_2_PORT:-14223} NATS_3_PORT=${NATS_3_PORT:-14224}
export AGENT_1_PORT=${AGENT_1_PORT:-15051} AGENT_2_PORT=${AGENT_2_PORT:-15052}
export AGENT_1_RESOURCES=${AGENT_1_RESOURCES:-ports:[30000-30499]}
export AGENT_2_RESOURCES=${AGENT_2_RESOURCES:-ports:[30500-30989]}
# Where the tests reach the tasks' published ports (the agents' reported host name).
export PANDO_PUBLIC_HOST=${PANDO_PUBLIC_HOST:-127.0.0.1}
export PANDO_LOG_LEVEL=${PANDO_LOG_LEVEL:-info}
export PANDO_PLUGINS=${PANDO_PLUGINS:-marathon,chronos}
NOSOCK_AGENT_PORT=${PANDO_SMOKE_NOSOCK_AGENT_PORT:-15059}
# Upper bounds of the slow steps, so that a hung step fails the run instead of CI's clock.
BUILD_TIMEOUT=${PANDO_SMOKE_BUILD_TIMEOUT:-1500}
UP_TIMEOUT=${PANDO_SMOKE_UP_TIMEOUT:-300}

MASTER="http://127.0.0.1:$MASTER_PORT"
MARATHON="http://127.0.0.1:$MARATHON_PORT"
CHRONOS="http://127.0.0.1:$CHRONOS_PORT"
NATS_URL="nats://127.0.0.1:$NATS_1_PORT,nats://127.0.0.1:$NATS_2_PORT,nats://127.0.0.1:$NATS_3_PORT"
APP_ID=/smoke/web
JOB=smoke-tick

WORK=$(mktemp -d)
COMPOSE=()
AGENT_IDS=()
EXTRA_CONTAINERS=()
RESULTS=()
TIMINGS=()
N_PASSED=0 N_FAILED=0 N_SKIPPED=0
PHASE=setup
PHASE_STARTED=$SECONDS
T0=$SECONDS

say() { printf '[compose-smoke %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
# record <passed|FAILED|SKIPPED> <check> [detail]: one line of the final summary.
record() {
  RESULTS+=("$(printf '%-7s %s' "$1" "$2")${3:+: $3}")
  case $1 in
    passed) N_PASSED=$((N_PASSED + 1)) ;;
    FAILED) N_FAILED=$((N_FAILED + 1)) ;;
    *) N_SKIPPED=$((N_SKIPPED + 1)) ;;
  esac
}
# fail <message>: the current check failed and the run cannot go on.
fail() {
  say "FAILED in phase '$PHASE': $*"
  record FAILED "$PHASE" "$*"
  exit 1
}
# check_failed <check> <message>: a failed check after which the run goes on (later phases do
# not depend on it); the run still exits non-zero.
check_failed() {
  say "   FAILED $1: $2"
  record FAILED "$1" "$2"
}
phase() { # phase <name> <description> [required]: returns 1 (skip) when PANDO_SMOKE_SKIP names it
  [ "$PHASE" = setup ] || end_phase
  PHASE=$1
  PHASE_STARTED=$SECONDS
  if [ -z "${3:-}" ] && [[ "$SKIP" == *",$1,"* ]]; then
    record SKIPPED "$1" "PANDO_SMOKE_SKIP"
    say "== $1: SKIPPED (PANDO_SMOKE_SKIP)"
    PHASE=setup
    return 1
  fi
  say "== $1: $2"
}
end_phase() {
  [ "$PHASE" = setup ] && return 0
  TIMINGS+=("$PHASE $((SECONDS - PHASE_STARTED)) s")
  say "-- $PHASE done in $((SECONDS - PHASE_STARTED)) s"
  PHASE=setup
}
passed() { # passed [check] [detail]: the check (default: the phase) passed
  record passed "${1:-$PHASE}" "${2:-}"
  say "   passed ${1:-$PHASE}${2:+: $2}"
}

# wait_for <seconds> <what> <command...>: runs the command every second until it succeeds; on
# timeout fails with the command's last output (its diagnosis).
wait_for() {
  local limit=$1 what=$2 last=''
  shift 2
  local deadline=$((SECONDS + limit))
  while :; do
    if last=$("$@" 2>&1); then
      [ -n "$last" ] && say "   $last"
      return 0
    fi
    [ $SECONDS -ge $deadline ] && fail "$what: not within $limit s; last check: ${last:-no output}"
    sleep 1
  done
}

# ---- HTTP and JSON, with curl when there is one, else node ----------------------------------
http() { # http <method> <url> [json body]: prints the body; fails (22) on a status >= 400
  if command -v curl >/dev/null 2>&1; then
    if [ $# -ge 3 ]; then curl -sS -f -m 10 -X "$1" -H 'content-type: application/json' --data-binary "$3" "$2"
    else curl -sS -f -m 10 -X "$1" "$2"; fi
  else
    node -e '
      const [method, url, body] = process.argv.slice(1);
      fetch(url, { method, body, headers: body ? { "content-type": "application/json" } : {}, signal: AbortSignal.timeout(10000) })
        .then(async (r) => { process.stdout.write(await r.text()); process.exit(r.status >= 400 ? 22 : 0); },
              (e) => { console.error(String(e.cause ?? e)); process.exit(7); });' "$@"
  fi
}
# js <code> [args...]: runs code with `d` = the JSON on stdin and `args`; it prints what it wants
# and returns by exit code (throw = failure with the message).
js() {
  local code=$1
  shift
  node -e '
    const args = process.argv.slice(1);
    let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
      try { const d = JSON.parse(s); '"$code"' } catch (e) { console.log(e.message); process.exit(1); }
    });' "$@"
}

# ---- cleanup: always ---------------------------------------------------------------------------
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local failed_in=$PHASE
  [ "$PHASE" = setup ] || end_phase
  if [ $status -ne 0 ] && [ -n "${COMPOSE_UP:-}" ]; then
    say "diagnostics: compose ps and the last log lines of each service"
    compose ps >&2 || true
    compose logs --no-color --tail=40 >&2 2>&1 || true
  fi
  local down_started=$SECONDS
  say "cleaning up: down -v, the agents' task containers, extra containers"
  # Only once `up` was tried (before it, nothing of this run exists; the up phase removes leftovers).
  if [ -n "${COMPOSE_UP:-}" ]; then
    timeout 180 "${COMPOSE[@]}" -p "$PROJECT" --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" --profile ha down -v --remove-orphans --timeout 5 >"$WORK/down.log" 2>&1 ||
      timeout 180 "${COMPOSE[@]}" -p "$PROJECT" --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" down -v --remove-orphans --timeout 5 >>"$WORK/down.log" 2>&1 ||
      { cat "$WORK/down.log" >&2; }
  fi
  local ids=() id
  # Task containers outlive their agents by design (a restarted agent re-attaches them).
  for id in "${AGENT_IDS[@]}"; do
    while IFS= read -r c; do [ -n "$c" ] && ids+=("$c"); done < <(docker ps -aq --filter "label=pando.agent-id=$id")
  done
  ids+=("${EXTRA_CONTAINERS[@]}")
  if [ ${#ids[@]} -gt 0 ]; then docker rm -f "${ids[@]}" >/dev/null 2>&1 || true; fi
  TIMINGS+=("down $((SECONDS - down_started)) s")
  rm -rf "$WORK"
  if [ $status -ne 0 ] && [ $N_FAILED -eq 0 ]; then
    record FAILED "$failed_in" "$([ $status -ge 128 ] && echo "interrupted by signal $((status - 128))" || echo "an unexpected error") (exit $status)"
  fi
  say "summary (PANDO_COMPOSE_HA=$HA, ${COMPOSE[*]}):"
  local line
  for line in "${RESULTS[@]}"; do printf '    %s\n' "$line" >&2; done
  printf '    timings: %s; total %d s\n' "$(IFS=,; echo "${TIMINGS[*]}" | sed 's/,/, /g')" "$((SECONDS - T0))" >&2
  if [ $N_FAILED -gt 0 ] && [ $status -eq 0 ]; then status=1; fi
  if [ $status -eq 0 ]; then say "PASSED in $((SECONDS - T0)) s"; else say "FAILED (exit $status) after $((SECONDS - T0)) s"; fi
  echo "compose-smoke: $N_PASSED passed, $N_FAILED failed, $N_SKIPPED skipped"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites -----------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || fail "node is not installed (the checks use it; run scripts/ensure-deps.sh)"
apt_install() { # apt_install <package>: as root with apt-get, else fail naming it
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    fail "$1 is missing and cannot be installed here (needs root and apt-get): apt-get install $1"
  fi
  say "installing Debian's $1"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$1" >"$WORK/apt.log" 2>&1 ||
    { apt-get update -qq >>"$WORK/apt.log" 2>&1 && apt-get install -y -qq --no-install-recommends "$1" >>"$WORK/apt.log" 2>&1; } ||
    { tail -n 20 "$WORK/apt.log" >&2; fail "apt-get install $1 failed (above)"; }
}
# The engine first (docker.io, started when it does not answer), then compose: the `docker compose`
# plugin when there is one, else Debian's docker-compose (1.29; Debian ships no compose plugin).
bash scripts/docker-engine.sh || fail "the Docker engine does not answer (scripts/docker-engine.sh, above)"
if docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
else
  command -v docker-compose >/dev/null 2>&1 || apt_install docker-compose
  COMPOSE=(docker-compose)
fi
PROFILES=()
compose() { "${COMPOSE[@]}" -p "$PROJECT" --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" "${PROFILES[@]}" "$@"; }
container_of() { { compose ps -q "$1" 2>/dev/null || true; } | head -n1; }

# ---- images ------------------------------------------------------------------------------------
phase images "base images (cached), test image, Pando image" required
started=$SECONDS
bash scripts/build-base-images.sh || fail "scripts/build-base-images.sh failed (above)"
bash scripts/build-test-images.sh || fail "scripts/build-test-images.sh failed (above)"
base_s=$((SECONDS - started))
started=$SECONDS
previous=$(docker image inspect -f '{{.Id}}' "$PANDO_IMAGE" 2>/dev/null || true)
if ! DOCKER_BUILDKIT=0 timeout "$BUILD_TIMEOUT" docker build --build-arg "NODE_IMAGE=$NODE_IMAGE" -t "$PANDO_IMAGE" . >"$WORK/build.log" 2>&1; then
  tail -n 60 "$WORK/build.log" >&2
  fail "docker build of $PANDO_IMAGE failed or took over $BUILD_TIMEOUT s (last lines above)"
fi
# The image it replaces (now untagged) would pile up run after run; the build stages' layers stay
# as the cache.
current=$(docker image inspect -f '{{.Id}}' "$PANDO_IMAGE")
if [ -n "$previous" ] && [ "$previous" != "$current" ] && [ -z "$(docker image inspect -f '{{join .RepoTags ""}}' "$previous" 2>/dev/null)" ]; then
  docker rmi "$previous" >/dev/null 2>&1 || true
fi
size() { docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1 / 1e6}'; }
passed images "base+test ${base_s} s, pando build $((SECONDS - started)) s; $PANDO_IMAGE $(size "$PANDO_IMAGE") (on $NODE_IMAGE $(size "$NODE_IMAGE")), $NATS_IMAGE $(size "$NATS_IMAGE")"
docker image ls --format '   {{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^   ($PANDO_IMAGE|$NODE_IMAGE|$NATS_IMAGE|pando/busybox:latest) " >&2 || true

# ---- up ----------------------------------------------------------------------------------------
phase up "docker-compose up -d (${COMPOSE[*]}${PROFILES[*]:+ ${PROFILES[*]}}), every service healthy" required
bash deploy/check-env.sh || fail "deploy/check-env.sh refused the compose variables (above)"
# Stale leftovers of an interrupted run of this project would hold the ports.
compose --profile ha down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || compose down -v --remove-orphans >/dev/null 2>&1 || true
node -e '
  const net = require("node:net");
  const wanted = process.argv.slice(1).map((a) => a.split("="));
  let bad = 0;
  (async () => {
    for (const [name, port] of wanted) {
      await new Promise((resolve) => {
        const s = net.createServer().once("error", () => { console.error(`host port ${port} (${name}) is in use: set ${name} to a free port`); bad++; resolve(); })
          .listen(Number(port), "0.0.0.0", () => s.close(resolve));
      });
    }
    process.exit(bad ? 1 : 0);
  })();' MASTER_PORT="$MASTER_PORT" MASTER_2_PORT="$MASTER_2_PORT" MARATHON_PORT="$MARATHON_PORT" CHRONOS_PORT="$CHRONOS_PORT" \
  NATS_1_PORT="$NATS_1_PORT" NATS_2_PORT="$NATS_2_PORT" NATS_3_PORT="$NATS_3_PORT" AGENT_1_PORT="$AGENT_1_PORT" \
  AGENT_2_PORT="$AGENT_2_PORT" PANDO_SMOKE_NOSOCK_AGENT_PORT="$NOSOCK_AGENT_PORT" || fail "host ports in use (above)"
COMPOSE_UP=1
started=$SECONDS
timeout "$UP_TIMEOUT" "${COMPOSE[@]}" -p "$PROJECT" --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" "${PROFILES[@]}" up -d >"$WORK/up.log" 2>&1 ||
  { cat "$WORK/up.log" >&2; fail "compose up failed or took over $UP_TIMEOUT s (above)"; }
up_s=$((SECONDS - started))
SERVICES=(nats-1 nats-2 nats-3 master-1 agent-1 agent-2 framework-host)
if [ "$HA" = 1 ]; then SERVICES+=(master-2); else compose rm -sf master-2 >/dev/null 2>&1 || true; fi
all_healthy() {
  local s c h bad=()
  for s in "${SERVICES[@]}"; do
    c=$(container_of "$s")
    h=$([ -n "$c" ] && docker inspect -f '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c" 2>/dev/null || echo missing)
    [ "$h" = "running/healthy" ] || bad+=("$s=$h")
  done
  [ ${#bad[@]} -eq 0 ] && { echo "all ${#SERVICES[@]} services healthy"; return 0; }
  echo "not yet: ${bad[*]}"
  return 1
}
wait_for 180 "all services healthy" all_healthy
passed up "${#SERVICES[@]} services; up returned in ${up_s} s, all healthy after $((SECONDS - PHASE_STARTED)) s"

# ---- cluster -----------------------------------------------------------------------------------
phase cluster "master and both agents registered in /master/state" required
agents_registered() {
  http GET "$MASTER/master/state" | js '
    const want = { [args[0]]: "r1", [args[1]]: "r2" };
    const found = {};
    for (const a of d.slaves ?? []) {
      const port = String(a.pid ?? "").split(":").pop();
      if (want[port] && a.active) found[port] = a;
    }
    const missing = Object.keys(want).filter((p) => !found[p]);
    if (missing.length) { console.log(`agents on ports ${missing.join(", ")} not active in /master/state (${(d.slaves ?? []).length} slaves)`); process.exit(1); }
    const problems = [];
    for (const [port, rack] of Object.entries(want)) {
      const a = found[port];
      if (a.attributes?.rack !== rack) problems.push(`agent :${port} has rack ${a.attributes?.rack}, expected ${rack}`);
      if (!(a.executors ?? []).includes("docker")) problems.push(`agent :${port} has no docker executor (${a.executors})`);
    }
    if (!d.leader_info) problems.push("no leader_info");
    if (problems.length) { console.log(problems.join("; ")); process.exit(1); }
    console.log(`leader ${d.leader_info.hostname}; agents ${Object.entries(found).map(([p, a]) => `${a.id} (:${p}, rack ${a.attributes.rack}, ports ${a.resources.ports})`).join(", ")}`);' "$AGENT_1_PORT" "$AGENT_2_PORT"
}
wait_for 60 "both agents registered" agents_registered
# The agent ids, by port (for the cleanup of their task containers and to map agents to services).
ids=$(http GET "$MASTER/master/state" | js 'for (const a of d.slaves) console.log(String(a.pid).split(":").pop() + " " + a.id)')
AGENT_1_ID=$(awk -v p="$AGENT_1_PORT" '$1 == p {print $2}' <<<"$ids" | tail -n1)
AGENT_2_ID=$(awk -v p="$AGENT_2_PORT" '$1 == p {print $2}' <<<"$ids" | tail -n1)
AGENT_IDS+=("$AGENT_1_ID" "$AGENT_2_ID")
passed cluster "agent-1 $AGENT_1_ID, agent-2 $AGENT_2_ID, both with docker"

# ---- operator ----------------------------------------------------------------------------------
operator() { # operator <args...>: test/compose/operator-task.js inside the Pando image, on the host's network
  docker run --rm --network host -v "$ROOT/test/compose:/smoke:ro" --entrypoint node "$PANDO_IMAGE" /smoke/operator-task.js "$@"
}
if phase operator "a Docker task through the operator path, on agent-1"; then
  port=${AGENT_1_RESOURCES##*[}; port=${port%%-*}
  task=$(printf '{"taskId":"smoke-operator-web","name":"smoke-operator-web","executor":"docker","resources":"cpus:0.1;mem:32;ports:[%s-%s]","command":{"value":"mkdir -p /tmp/www && echo operator-ok > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"},"container":{"type":"DOCKER","docker":{"image":"pando/busybox:latest","network":"bridge","portMappings":[{"containerPort":8080,"hostPort":%s}]}},"killGracePeriodMs":1000}' "$port" "$port" "$port")
  operator launch "$NATS_URL" "$AGENT_1_ID" "$task" >/dev/null || fail "operator launch refused (above)"
  task_state() { http GET "$MASTER/master/state" | js 'for (const f of d.frameworks ?? []) for (const t of [...f.tasks, ...(f.completed_tasks ?? [])]) if (t.id === args[0]) { console.log(`${t.id} ${t.state}`); process.exit(t.state === args[1] ? 0 : 1); } console.log(`${args[0]} not in /master/state`); process.exit(1);' smoke-operator-web "$1"; }
  wait_for 60 "operator task RUNNING" task_state TASK_RUNNING
  wait_for 20 "operator task answering on $PANDO_PUBLIC_HOST:$port" http GET "http://$PANDO_PUBLIC_HOST:$port/"
  operator kill "$NATS_URL" smoke-operator-web >/dev/null || fail "operator kill refused (above)"
  wait_for 30 "operator task KILLED" task_state TASK_KILLED
  passed operator "RUNNING, answered on $PANDO_PUBLIC_HOST:$port, KILLED"
fi

# ---- bad input ---------------------------------------------------------------------------------
if phase bad-input "agent without the Docker socket; bad variables name themselves"; then
  # An agent like the compose ones but without the socket, restart policy on: it must run without
  # docker, say so (log, its /state, the master's /master/state), and never restart. Tiny
  # resources, so that no framework places work on it.
  c=$(docker run -d --init --restart unless-stopped --network host --label pando.smoke="$PROJECT" \
    -e PANDO_NATS_SERVERS="$NATS_URL" -e PANDO_AGENT_HTTP="0.0.0.0:$NOSOCK_AGENT_PORT" \
    -e PANDO_AGENT_EXECUTORS=command,docker -e PANDO_AGENT_RESOURCES='cpus:0.01;mem:1;disk:1;ports:[30999-30999]' \
    -e PANDO_AGENT_ATTRIBUTES=rack:none "$PANDO_IMAGE" agent)
  EXTRA_CONTAINERS+=("$c")
  nosock_state() {
    http GET "http://127.0.0.1:$NOSOCK_AGENT_PORT/state" | js '
      if (d.executors.includes("docker")) { console.log(`executors: ${d.executors}`); process.exit(1); }
      if (!d.master?.registered) { console.log("not registered yet"); process.exit(1); }
      const why = (d.unavailable_executors ?? []).find((e) => e.id === "docker");
      if (!why) { console.log(`/state does not say why docker is missing: ${JSON.stringify(d.unavailable_executors)}`); process.exit(1); }
      console.log(`agent without socket: executors [${d.executors}], registered ${d.id}; unavailable: docker (${why.reason})`);'
  }
  wait_for 60 "socket-less agent up, registered, without docker" nosock_state
  nosock_id=$(http GET "http://127.0.0.1:$NOSOCK_AGENT_PORT/state" | js 'console.log(d.id)')
  AGENT_IDS+=("$nosock_id")
  docker logs "$c" 2>&1 | grep "executor 'docker' is not available: Docker engine at /var/run/docker.sock is not usable" >/dev/null ||
    fail "the socket-less agent's log does not say that docker is not available"
  master_view() {
    http GET "$MASTER/master/state" | js '
      const a = (d.slaves ?? []).find((s) => s.id === args[0]);
      if (!a?.active) { console.log(`${args[0]} not active in /master/state`); process.exit(1); }
      if ((a.executors ?? []).includes("docker")) { console.log(`the master lists docker for ${args[0]}: ${a.executors}`); process.exit(1); }
      console.log(`master: ${args[0]} active with executors [${a.executors}]`);' "$nosock_id"
  }
  wait_for 20 "the master sees the socket-less agent without docker" master_view
  sleep 8
  st=$(docker inspect -f '{{.State.Status}} {{.RestartCount}}' "$c")
  [ "$st" = "running 0" ] || fail "the socket-less agent is not steadily running: status/restarts '$st'"
  docker rm -f "$c" >/dev/null
  passed bad-input:no-docker-socket "runs with [command], says why in its log and /state, the master offers no docker there, 0 restarts"

  # bad_var <check> <service> <expected text> <VAR=value...>: the service (run alone, compose's
  # wiring) must exit non-zero with a message containing the expected text and no stack trace.
  bad_var() {
    local check=$1 service=$2 expect=$3 out status=0
    shift 3
    out=$(env "$@" timeout 120 "${COMPOSE[@]}" -p "$PROJECT" --project-directory "$ROOT" -f "$ROOT/docker-compose.yml" run --rm --no-deps -T "$service" 2>&1) || status=$?
    if [ $status -eq 0 ]; then
      check_failed "$check" "$service with $* did not exit with an error"
    elif ! grep -qF -- "$expect" <<<"$out"; then
      check_failed "$check" "$service with $* exits $status but does not say '$expect': $(grep -v '^[0-9]*$' <<<"$out" | tail -n 3 | tr '\n' ' ' | cut -c1-300)"
    elif grep -qE '^\s+at ' <<<"$out"; then
      check_failed "$check" "$service with $* prints a stack trace"
    else
      passed "$check" "$* -> $service exits $status: $(grep -F -- "$expect" <<<"$out" | grep -v '"level"' | head -n1 | cut -c1-220)"
    fi
  }
  # The agents run on the host's network, where docker-compose 1.29's `run` adds links to the
  # running services and the engine refuses them: recreate agent-1 itself with the bad value, as an
  # operator would, read its log, and put it back.
  AGENT_1_PORT=99999 compose up -d --no-deps agent-1 >"$WORK/bad-agent.log" 2>&1 || { cat "$WORK/bad-agent.log" >&2; fail "could not recreate agent-1"; }
  agent_refused() { compose logs --no-color agent-1 2>&1 | grep -F PANDO_AGENT_HTTP | grep -F 99999 | tail -n1 | cut -c1-200 | grep . ; }
  if (wait_for 30 "agent-1 with AGENT_1_PORT=99999 refusing to start" agent_refused) 2>"$WORK/bad-agent.err"; then
    passed bad-input:AGENT_1_PORT "AGENT_1_PORT=99999 -> agent-1: $(agent_refused | sed 's/^.*| //')"
  else
    check_failed bad-input:AGENT_1_PORT "agent-1 with AGENT_1_PORT=99999 did not log a message naming PANDO_AGENT_HTTP and the value"
    cat "$WORK/bad-agent.err" >&2
  fi
  compose up -d --no-deps agent-1 >"$WORK/bad-agent.log" 2>&1 || { cat "$WORK/bad-agent.log" >&2; fail "could not restore agent-1"; }
  wait_for 90 "agent-1 restored and registered again" agents_registered
  bad_var bad-input:PANDO_LOG_LEVEL master-1 "PANDO_LOG_LEVEL = 'loud': expected trace, debug, info, warn, error, fatal or silent" PANDO_LOG_LEVEL=loud
  bad_var bad-input:PANDO_PLUGINS framework-host "unknown plugin 'nope' in --plugins / PANDO_PLUGINS" PANDO_PLUGINS=marathon,nope
  # Compose itself refuses a bad published port without naming the variable ("services.master-1.ports
  # contains an invalid type"): deploy/check-env.sh, run before `up`, names it.
  for bad in MASTER_PORT=abc MASTER_PORT=70000; do
    if out=$(env "$bad" bash deploy/check-env.sh 2>&1); then
      check_failed "bad-input:$bad" "deploy/check-env.sh accepted $bad"
    elif grep -q "^check-env: ${bad%%=*}='${bad#*=}': expected a port from 1 to 65535" <<<"$out"; then
      passed "bad-input:$bad" "deploy/check-env.sh: $(grep "^check-env: ${bad%%=*}=" <<<"$out")"
    else
      check_failed "bad-input:$bad" "deploy/check-env.sh did not name ${bad%%=*}: $out"
    fi
  done
fi

# ---- marathon ----------------------------------------------------------------------------------
# app_ok <n> [agent id to exclude]: n RUNNING tasks passing their health checks, none on the
# excluded agent, each answering on its host port; prints them.
app_ok() {
  local lines
  lines=$(http GET "$MARATHON/v2/apps$APP_ID/tasks" | js '
    const ok = (d.tasks ?? []).filter((t) => t.state === "TASK_RUNNING" && t.slaveId !== args[1] &&
      (t.healthCheckResults ?? []).length > 0 && t.healthCheckResults.every((h) => h.alive));
    const all = (d.tasks ?? []).map((t) => `${t.state}@${t.host}:${t.ports}${(t.healthCheckResults ?? []).some((h) => h.alive) ? "+" : ""}`);
    if (ok.length < Number(args[0])) { console.log(`${ok.length} healthy of ${args[0]}: ${all.join(" ") || "no tasks"}`); process.exit(1); }
    for (const t of ok) console.log(`${t.host} ${t.ports[0]} ${t.slaveId}`);' "$1" "${2:-none}") || { echo "$lines"; return 1; }
  local host port agent answers=()
  while read -r host port agent; do
    http GET "http://$host:$port/" >/dev/null 2>&1 || { echo "task on $host:$port (agent $agent) is healthy but does not answer"; return 1; }
    answers+=("$host:$port")
  done <<<"$lines"
  echo "healthy and answering: ${answers[*]}"
}
marathon_ready=0
if phase marathon "an app of 2 busybox httpd instances through Marathon ($MARATHON)"; then
  wait_for 30 "Marathon answering /v2/apps" http GET "$MARATHON/v2/apps"
  app=$(cat <<EOF
{
  "id": "$APP_ID",
  "instances": 2,
  "cpus": 0.1,
  "mem": 32,
  "cmd": "mkdir -p /tmp/www && echo \"smoke \$MESOS_TASK_ID\" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www",
  "container": {
    "type": "DOCKER",
    "docker": { "image": "pando/busybox:latest" },
    "portMappings": [ { "containerPort": 8080, "hostPort": 0, "name": "http" } ]
  },
  "networks": [ { "mode": "container/bridge" } ],
  "healthChecks": [ { "protocol": "MESOS_HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 20,
                      "intervalSeconds": 2, "timeoutSeconds": 2, "delaySeconds": 1, "maxConsecutiveFailures": 3 } ],
  "taskKillGracePeriodSeconds": 1
}
EOF
)
  http POST "$MARATHON/v2/apps" "$app" >"$WORK/app.json" || fail "Marathon refused the app: $(cat "$WORK/app.json")"
  wait_for 120 "app $APP_ID: 2 healthy instances answering on their host ports" app_ok 2
  marathon_ready=1
  passed marathon "2 healthy instances answering after $((SECONDS - PHASE_STARTED)) s"
fi

# ---- chronos -----------------------------------------------------------------------------------
success_count() { http GET "$CHRONOS/v1/scheduler/jobs" | js 'const j = d.find((x) => x.name === args[0]); if (!j) { console.log(`no job ${args[0]}`); process.exit(1); } console.log(j.successCount);' "$JOB"; }
job_grew() { # job_grew <from> <by>
  local n
  n=$(success_count) || { echo "$n"; return 1; }
  [ "$n" -ge $(($1 + $2)) ] && { echo "$JOB successCount $1 -> $n"; return 0; }
  echo "$JOB successCount $n (waiting for $(($1 + $2)))"
  return 1
}
chronos_ready=0
if phase chronos "a job every 5 s through Chronos ($CHRONOS)"; then
  wait_for 30 "Chronos answering /v1/scheduler/jobs" http GET "$CHRONOS/v1/scheduler/jobs"
  start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  # concurrent: a run stranded on a dead agent must not hold the next ones back.
  job=$(printf '{"name":"%s","command":"echo tick","schedule":"R/%s/PT5S","epsilon":"PT30S","cpus":0.1,"mem":32,"concurrent":true,"retries":0,"owner":"ci@pando.invalid"}' "$JOB" "$start")
  http POST "$CHRONOS/v1/scheduler/iso8601" "$job" >"$WORK/job.out" || fail "Chronos refused the job: $(cat "$WORK/job.out")"
  wait_for 60 "job $JOB succeeding twice" job_grew 0 2
  chronos_ready=1
  passed chronos "successCount 2 after $((SECONDS - PHASE_STARTED)) s"
fi

# ---- agent kill --------------------------------------------------------------------------------
if phase agent-kill "docker kill the agent running app tasks"; then
  [ $marathon_ready = 1 ] || fail "needs the marathon phase"
  victim_id=$(http GET "$MARATHON/v2/apps$APP_ID/tasks" | js 'const n = {}; for (const t of d.tasks) if (t.state === "TASK_RUNNING") n[t.slaveId] = (n[t.slaveId] ?? 0) + 1; console.log(Object.entries(n).sort((a, b) => b[1] - a[1])[0][0]);')
  if [ "$victim_id" = "$AGENT_1_ID" ]; then victim=agent-1; else victim=agent-2; fi
  before=$([ $chronos_ready = 1 ] && success_count || echo 0)
  say "   killing $victim ($victim_id)"
  docker kill "$(container_of "$victim")" >/dev/null
  wait_for 120 "app back to 2 healthy instances without $victim" app_ok 2 "$victim_id"
  recovered=$((SECONDS - PHASE_STARTED))
  passed agent-kill:app "$victim killed; app back to 2 healthy instances on the other agent in $recovered s"
  if [ $chronos_ready = 1 ]; then
    wait_for 60 "job $JOB running on after the agent kill" job_grew "$before" 2
    passed agent-kill:job "$JOB kept running"
  fi
fi

# ---- master ------------------------------------------------------------------------------------
if phase master "docker kill the leading master (PANDO_COMPOSE_HA=$HA)"; then
  [ $marathon_ready = 1 ] || fail "needs the marathon phase"
  declare -A master_port=([master-1]=$MASTER_PORT [master-2]=$MASTER_2_PORT)
  running=() leader=''
  for m in master-1 master-2; do
    c=$(container_of "$m")
    [ -n "$c" ] && [ "$(docker inspect -f '{{.State.Running}}' "$c")" = true ] || continue
    running+=("$m")
    if http GET "http://127.0.0.1:${master_port[$m]}/health" | js 'process.exit(d.leader ? 0 : 1)' >/dev/null; then leader=$m; fi
  done
  [ -n "$leader" ] || fail "no running master says it leads (running: ${running[*]:-none})"
  before=$([ $chronos_ready = 1 ] && success_count || echo 0)
  if [ "$HA" = 1 ]; then
    [ ${#running[@]} -ge 2 ] || fail "master-failover: PANDO_COMPOSE_HA=1 but only ${running[*]} runs: no standby to take over"
    other=$([ "$leader" = master-1 ] && echo master-2 || echo master-1)
    say "   killing the leader $leader (standby: $other)"
    docker kill "$(container_of "$leader")" >/dev/null
    leads() { http GET "http://127.0.0.1:${master_port[$other]}/health" | js 'console.log(JSON.stringify(d)); process.exit(d.leader ? 0 : 1)'; }
    wait_for 60 "$other leading after $leader was killed" leads
    took_over=$((SECONDS - PHASE_STARTED))
    MASTER="http://127.0.0.1:${master_port[$other]}"
    wait_for 90 "app 2 healthy instances after the failover" app_ok 2
    if [ $chronos_ready = 1 ]; then wait_for 60 "job $JOB running on after the failover" job_grew "$before" 2; fi
    passed master-failover "$leader killed, $other led after $took_over s; app and job recovered after $((SECONDS - PHASE_STARTED)) s"
  else
    # One master: a failover cannot happen. Check instead that agents and frameworks come back to
    # the same master after it is killed and started again.
    record SKIPPED master-failover "PANDO_COMPOSE_HA=0: one master"
    say "   killing the only master $leader, then starting it again"
    docker kill "$(container_of "$leader")" >/dev/null
    sleep 2
    compose start "$leader" >/dev/null 2>&1 || fail "could not start $leader again"
    wait_for 60 "$leader leading again after its restart" http GET "$MASTER/health"
    some_agent_active() { http GET "$MASTER/master/state" | js 'const n = (d.slaves ?? []).filter((a) => a.active).length; console.log(`${n} active agents`); process.exit(n > 0 ? 0 : 1)'; }
    wait_for 60 "an agent re-registered with the restarted master" some_agent_active
    wait_for 90 "app 2 healthy instances after the master restart" app_ok 2
    if [ $chronos_ready = 1 ]; then wait_for 60 "job $JOB running on after the master restart" job_grew "$before" 2; fi
    passed master-restart "$leader killed and started again; agents back, app and job recovered after $((SECONDS - PHASE_STARTED)) s"
  fi
fi
end_phase
