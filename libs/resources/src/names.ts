import { UNRESERVED_ROLE } from './resource.types';

const NAME_PATTERN = /^[a-zA-Z0-9_.-]+$/;
// Hierarchical roles ('eng/web') are '/'-separated names; a slash never leads, trails or doubles.
const ROLE_PATTERN = /^[a-zA-Z0-9_.-]+(\/[a-zA-Z0-9_.-]+)*$/;

/** True when `name` is a legal resource name (`[a-zA-Z0-9_.-]+`). */
export function isValidResourceName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/**
 * True when `role` is '*' or a legal (possibly hierarchical) role. As in Mesos, '.' and '..' are
 * refused as path components because roles end up in URLs and file paths.
 */
export function isValidRole(role: string): boolean {
  if (role === UNRESERVED_ROLE) return true;
  if (!ROLE_PATTERN.test(role)) return false;
  return role.split('/').every((part) => part !== '.' && part !== '..');
}

/** True when `candidate` is `role` itself or one of its ancestors ('eng' for 'eng/web'). */
export function isSameOrAncestorRole(candidate: string, role: string): boolean {
  if (candidate === role) return true;
  return role.length > candidate.length && role.startsWith(candidate) && role[candidate.length] === '/';
}
