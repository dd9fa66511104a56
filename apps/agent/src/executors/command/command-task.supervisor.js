'use strict';
/**
 * The per-task supervisor of the command executor: a tiny Node program, one process per task,
 * started by the agent detached in its own session, so that it outlives the agent (a crash,
 * SIGKILL, an upgrade). Plain CommonJS without dependencies: it must start fast and run the same
 * from src/ (tests) and dist/ (production).
 *
 * Protocol (newline-delimited JSON over the pipes the agent gives it):
 *   supervisor -> agent (stdout): {"ready":true} once it listens (it may be kept warm in a pool)
 *   agent -> supervisor (stdin):  one launch spec (see LaunchSpec below), then EOF
 *   supervisor -> agent (stdout): {"started":<task pid>,"identity":{pid,startTime,bootId}}
 *                                 or {"error":"<why spawning failed>"}
 * An EOF on stdin before a whole spec means the agent went away before handing over a task: exit.
 * After the spec, the pipes are ignored (the agent may be gone); the sandbox files are the truth:
 *   <recordFile> (supervisor.json): {supervisor: identity, taskPid}, written once the task is
 *   spawned and before answering, so a restarted agent finds the task whenever it died;
 *   <statusFile> (exit-status.json): {code, signal, killed, exitedAt[, error][, neverStarted]},
 *   written atomically (temp + fsync + rename) when the task ends, just before this process exits.
 *
 * Kill: SIGTERM to this process -> SIGTERM to the task's process group, SIGKILL to the group
 * after the grace period read from <killFile> ({"gracePeriodMs": n}, written by the agent just
 * before the signal) or the spec's default. Whatever the task leaves in its group when it ends
 * is SIGKILLed, so nothing runs unowned.
 *
 * @typedef {{ file: string, args: string[], argv0?: string, cwd: string, env: Record<string,string>,
 *   uid?: number, gid?: number, stdoutPath: string, stderrPath: string, statusFile: string,
 *   killFile: string, recordFile: string, defaultGraceMs: number, title?: string }} LaunchSpec
 */
const fs = require('node:fs');
const { spawn } = require('node:child_process');

let spec; // LaunchSpec once received
let child; // the task's ChildProcess once spawned
let killed = false;
let graceTimer;
let finished = false;

/**
 * Who this process is, recognisable after an agent restart even if the pid was reused: pid, start
 * time (clock ticks since boot) and boot id. Read at boot, off any launch's critical path.
 */
function selfIdentity() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] || '';
    const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return { pid: process.pid, startTime, bootId };
  } catch {
    return { pid: process.pid, startTime: '', bootId: '' };
  }
}
const identity = selfIdentity();

// The agent may be gone when we write: a broken pipe must never end the supervisor.
process.stdout.on('error', () => {});
process.on('SIGPIPE', () => {});
// Own session: terminal signals do not reach us, but be explicit.
process.on('SIGHUP', () => {});
process.on('SIGINT', () => {});
process.on('SIGTERM', onTerm);

function reply(message) {
  try {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  } catch {
    // the agent went away; the status file still tells the story
  }
}

function writeAtomic(path, data) {
  const temp = `${path}.tmp-${process.pid}`;
  const fd = fs.openSync(temp, 'w', 0o644);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, path);
}

function finish(status) {
  if (finished) return;
  finished = true;
  if (graceTimer) clearTimeout(graceTimer);
  try {
    writeAtomic(spec.statusFile, `${JSON.stringify({ ...status, killed, exitedAt: Date.now() })}\n`);
  } catch (err) {
    process.stderr.write(`supervisor: cannot write ${spec.statusFile}: ${err && err.message}\n`);
  }
  process.exit(0);
}

function signalGroup(signal) {
  if (!child || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

function onTerm() {
  if (!spec) process.exit(0); // idle in the pool: nothing to stop
  if (killed) return;
  killed = true;
  if (!child) return; // between the spec and the spawn: start() sees the flag
  let grace = spec.defaultGraceMs;
  try {
    const asked = JSON.parse(fs.readFileSync(spec.killFile, 'utf8')).gracePeriodMs;
    if (Number.isInteger(asked) && asked >= 0) grace = asked;
  } catch {
    // no kill file: the default grace
  }
  signalGroup('SIGTERM');
  graceTimer = setTimeout(() => signalGroup('SIGKILL'), grace);
}

function start() {
  process.title = spec.title || 'pando-supervisor';
  if (killed) return finish({ code: null, signal: null, neverStarted: true });
  let out;
  let err;
  try {
    process.chdir(spec.cwd);
    out = fs.openSync(spec.stdoutPath, 'a');
    err = fs.openSync(spec.stderrPath, 'a');
    if (spec.uid !== undefined) {
      fs.fchownSync(out, spec.uid, spec.gid);
      fs.fchownSync(err, spec.uid, spec.gid);
    }
    child = spawn(spec.file, spec.args, {
      argv0: spec.argv0,
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', out, err],
      detached: true,
      uid: spec.uid,
      gid: spec.gid,
    });
  } catch (e) {
    return failToStart(e);
  } finally {
    if (out !== undefined) fs.closeSync(out);
    if (err !== undefined) fs.closeSync(err);
  }
  child.on('error', (e) => {
    if (child.pid === undefined) failToStart(e);
  });
  if (child.pid === undefined) return; // 'error' follows (e.g. ENOENT without a shell)
  // Before answering: once the agent hears "started", a restart must find the task's pid.
  try {
    const temp = `${spec.recordFile}.tmp-${process.pid}`;
    fs.writeFileSync(temp, `${JSON.stringify({ supervisor: identity, taskPid: child.pid })}\n`);
    fs.renameSync(temp, spec.recordFile);
  } catch {
    // the agent's own record (without the task pid) stays
  }
  child.on('exit', (code, signal) => {
    // Whatever the task left in its group must not run on unowned.
    signalGroup('SIGKILL');
    finish({ code, signal });
  });
  reply({ started: child.pid, identity });
}

function failToStart(e) {
  const message = (e && e.message) || String(e);
  reply({ error: message });
  finish({ code: null, signal: null, error: message });
}

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (spec) return;
  buffered += chunk;
  const newline = buffered.indexOf('\n');
  if (newline < 0) return;
  try {
    spec = JSON.parse(buffered.slice(0, newline));
  } catch (e) {
    reply({ error: `malformed launch spec: ${e && e.message}` });
    process.exit(1);
  }
  buffered = '';
  start();
});
process.stdin.on('end', () => {
  if (!spec) process.exit(0); // the agent went away before handing over a task
});
process.stdin.on('error', () => {
  if (!spec) process.exit(0);
});
reply({ ready: true });
