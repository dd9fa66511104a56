#!/usr/bin/env node
// Makes package-lock.json complete for `npm ci` on machines whose registry does not serve other
// platforms' prebuilt binaries (here: the darwin/win/... builds of @swc/core and
// @unrs/resolver-binding). npm then writes the parent's optionalDependencies without entries
// for them, and `npm ci` refuses the lock as "not in sync". An entry marked optional with its
// version is all npm ci needs: it skips a platform package it cannot fetch. Run after any
// `npm install` that changes the lock (idempotent).
const fs = require('node:fs');
const path = require('node:path');

const lockPath = process.argv[2] ?? path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = location === '' ? '' : `${location}/`;
    const nested = `${base}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    packages[hoisted] = { version, optional: true, dev: entry.dev || undefined };
    added++;
  }
}
if (added === 0) process.exit(0); // leave the file (and its mtime) alone: ensure-deps compares mtimes
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);
