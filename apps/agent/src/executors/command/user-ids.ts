import { execFile } from 'node:child_process';

/** A local user's numeric ids, for spawning a task as that user. */
export interface UserIds {
  uid: number;
  gid: number;
}

/**
 * Resolves a user name with `id -u` / `id -g` (which also consult NSS: LDAP, sssd), rather than
 * parsing /etc/passwd. Rejects with a message naming the user when it does not exist.
 */
export async function resolveUser(user: string): Promise<UserIds> {
  const [uid, gid] = await Promise.all([idOf(user, '-u'), idOf(user, '-g')]);
  return { uid, gid };
}

function idOf(user: string, flag: '-u' | '-g'): Promise<number> {
  return new Promise((resolve, reject) => {
    // `--` so a user name starting with '-' is not read as an option.
    execFile('id', [flag, '--', user], { timeout: 5000 }, (err, stdout) => {
      const n = Number(stdout.trim());
      if (err || !Number.isInteger(n)) reject(new Error(`user '${user}' does not exist on this agent`));
      else resolve(n);
    });
  });
}
