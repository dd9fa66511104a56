export type { ResourceKind, ReservationJson, ResourceJson } from './resource.types';
export { UNRESERVED_ROLE } from './resource.types';
export { isValidResourceName, isValidRole, isSameOrAncestorRole } from './names';
export { MAX_SCALAR } from './scalar';
export { resourceJsonSchema, resourcesJsonSchema, reservationJsonSchema } from './resource.schema';
export { ResourceParseError } from './resource-parse.error';
export { Resources } from './resources';
