import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ExecResult } from '../executors/executor-extensions';
import type { HealthProbe, ProbeResult } from './health-checker';

/** The host checks address: the task's host ports on this machine. */
export const CHECK_HOST = '127.0.0.1';
const OUTPUT_LIMIT = 4096;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;

/** HTTP(S) GET; passes on a status from 200 to 399. Certificates are not verified (the host is an IP). */
export function httpProbe(port: number, path: string, scheme: 'http' | 'https'): HealthProbe {
  const url = `${scheme}://${CHECK_HOST}:${port}${path}`;
  return (timeoutMs) =>
    new Promise<ProbeResult>((resolve) => {
      const request = scheme === 'https' ? httpsRequest : httpRequest;
      const req = request(url, { method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, headers: { 'user-agent': 'pando-agent-health-check' } }, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve({ ok: status >= 200 && status <= 399, message: `GET ${url} answered ${status}` });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${seconds(timeoutMs)}`)));
      req.on('error', (err) => resolve({ ok: false, message: `GET ${url} failed: ${err.message}` }));
      req.end();
    });
}

/** Passes when a TCP connection is established. */
export function tcpProbe(port: number): HealthProbe {
  const where = `${CHECK_HOST}:${port}`;
  return (timeoutMs) =>
    new Promise<ProbeResult>((resolve) => {
      const socket = connect({ host: CHECK_HOST, port });
      const timer = setTimeout(() => done(false, `TCP connect to ${where} timed out after ${seconds(timeoutMs)}`), timeoutMs);
      const done = (ok: boolean, message: string): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok, message });
      };
      socket.once('connect', () => done(true, `TCP connect to ${where} succeeded`));
      socket.once('error', (err) => done(false, `TCP connect to ${where} failed: ${err.message}`));
    });
}

/**
 * `/bin/sh -c value` beside a command task: in its sandbox, with its environment, in a process
 * group of its own so that a timeout kills everything the check started.
 */
export function shellProbe(value: string, cwd: string, env: Record<string, string>): HealthProbe {
  return (timeoutMs) =>
    new Promise<ProbeResult>((resolve) => {
      let output = '';
      const child = spawn('/bin/sh', ['-c', value], { cwd, env: { PATH: process.env.PATH ?? DEFAULT_PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const collect = (chunk: Buffer): void => {
        if (output.length < OUTPUT_LIMIT) output += chunk.toString().slice(0, OUTPUT_LIMIT - output.length);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        resolve({ ok: false, message: `command check failed to start: ${err.message}` });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) resolve({ ok: false, message: `command check timed out after ${seconds(timeoutMs)}` });
        else resolve(commandResult(code ?? (signal ? 128 : 1), output));
      });
    });
}

/** A command run inside the task by its executor (docker exec). */
export function execProbe(exec: (timeoutMs: number) => Promise<ExecResult>): HealthProbe {
  return async (timeoutMs) => {
    try {
      const result = await exec(timeoutMs);
      return commandResult(result.exitCode, result.output);
    } catch (err) {
      return { ok: false, message: `command check could not run in the task: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
}

function commandResult(exitCode: number, output: string): ProbeResult {
  const tail = output.trim().length > 0 ? `: ${output.trim().slice(-500)}` : '';
  return { ok: exitCode === 0, message: `command check exited with code ${exitCode}${tail}` };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
