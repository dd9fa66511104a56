'use strict';
// The Pando image's HEALTHCHECK, without curl: node GETs the running role's health endpoint(s).
//
// The image runs every role, and a health check does not see the container's command, so the role
// and its options are read from the running process (/proc/<pid>/cmdline of the node process whose
// script is dist/apps/<role>/src/main.js), its flags first, then the environment, then the default,
// as the apps read them:
//   master          GET /health on --http / PANDO_MASTER_HTTP (0.0.0.0:5050)
//   agent           GET /health on --http / PANDO_AGENT_HTTP (0.0.0.0:5051)
//   framework-host  GET /_pando/health on every plugin port (--plugin-ports / PANDO_PLUGIN_PORTS,
//                   else the bundled defaults marathon=8080, chronos=4400) on --http-host
// PANDO_HEALTHCHECK_URLS (comma separated URLs) replaces all of this. Exit 0 = healthy, 1 = not.
const fs = require('node:fs');
const http = require('node:http');

const TIMEOUT_MS = Number(process.env.PANDO_HEALTHCHECK_TIMEOUT_MS || 2500);
const BUNDLED_PLUGIN_PORTS = { marathon: 8080, chronos: 4400 };
const MAIN = /\/dist\/apps\/(master|agent|framework-host)\/src\/main\.js$/;

/** The role and argv of the Pando process in this container, or undefined. */
function findProcess() {
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let argv;
    try {
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue; // gone, or not ours
    }
    const at = argv.findIndex((a) => MAIN.test(a));
    if (at > 0 && /(^|\/)node$/.test(argv[0])) return { pid, role: MAIN.exec(argv[at])[1], args: argv.slice(at + 1) };
  }
  return undefined;
}

/** A flag's value (`--name value` or `--name=value`), else the variable, else the default. */
function option(args, flag, env, fallback) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${flag}` && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith(`--${flag}=`)) return args[i].slice(flag.length + 3);
  }
  const value = process.env[env];
  return value === undefined || value === '' ? fallback : value;
}

/** The address to reach a listener at: a wildcard listen address means loopback. */
function reachable(host) {
  const h = (host || '').replace(/^\[|\]$/g, '');
  return h === '' || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
}

/** `host:port`, `:port` or `port` (the apps' listen address syntax). */
function listenUrl(raw, path) {
  const m = /^(?:(.*):)?(\d+)$/.exec(String(raw).trim());
  if (!m) throw new Error(`cannot read the listen address '${raw}'`);
  if (Number(m[2]) === 0) return undefined; // any free port: not knowable from outside
  return `http://${reachable(m[1])}:${m[2]}${path}`;
}

function urlsFor(proc) {
  const { role, args } = proc;
  if (role === 'master') return [listenUrl(option(args, 'http', 'PANDO_MASTER_HTTP', '0.0.0.0:5050'), '/health')];
  if (role === 'agent') return [listenUrl(option(args, 'http', 'PANDO_AGENT_HTTP', '0.0.0.0:5051'), '/health')];
  const plugins = option(args, 'plugins', 'PANDO_PLUGINS', '').split(',').map((s) => s.trim()).filter(Boolean);
  const ports = { ...BUNDLED_PLUGIN_PORTS };
  for (const item of option(args, 'plugin-ports', 'PANDO_PLUGIN_PORTS', '').split(',')) {
    const m = /^\s*([^=]+?)\s*=\s*(\d+)\s*$/.exec(item);
    if (m) ports[m[1]] = Number(m[2]);
  }
  const host = reachable(option(args, 'http-host', 'PANDO_FRAMEWORK_HOST_HTTP_HOST', '0.0.0.0'));
  return plugins.filter((id) => ports[id] > 0).map((id) => `http://${host}:${ports[id]}/_pando/health`);
}

function get(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: TIMEOUT_MS, headers: { 'user-agent': 'pando-healthcheck' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body = (body + chunk).slice(0, 300)));
      res.on('end', () => resolve({ url, ok: res.statusCode >= 200 && res.statusCode < 300, text: `${res.statusCode} ${body}` }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (err) => resolve({ url, ok: false, text: err.message }));
  });
}

async function main() {
  let urls = (process.env.PANDO_HEALTHCHECK_URLS || '').split(',').map((s) => s.trim()).filter(Boolean);
  if (urls.length === 0) {
    const proc = findProcess();
    if (!proc) {
      console.log('unhealthy: no Pando process (dist/apps/<role>/src/main.js) runs in this container');
      return 1;
    }
    urls = urlsFor(proc).filter(Boolean);
    if (urls.length === 0) {
      // Port 0 or no plugin with a known port: the process is alive, which is all that is knowable.
      console.log(`healthy: ${proc.role} (pid ${proc.pid}) is running; no fixed HTTP port to check`);
      return 0;
    }
  }
  const results = await Promise.all(urls.map(get));
  for (const r of results) console.log(`${r.ok ? 'ok' : 'FAILED'} ${r.url}: ${r.text}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.log(`unhealthy: ${err && err.message ? err.message : String(err)}`);
    process.exit(1);
  },
);
