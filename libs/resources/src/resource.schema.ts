import { z } from 'zod';
import { isValidResourceName, isValidRole } from './names';
import { MAX_SCALAR } from './scalar';
import { UNRESERVED_ROLE, type ReservationJson, type ResourceJson } from './resource.types';

export const reservationJsonSchema: z.ZodType<ReservationJson> = z.object({
  type: z.enum(['STATIC', 'DYNAMIC']),
  principal: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

// Zod skips refinements once a field failed; cross-field checks opt back in with `when` so that
// one safeParse reports every problem, as the rest of Pando's validation does.
const isObject = (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null;

const rangeSchema = z
  .object({ begin: z.number().int().nonnegative(), end: z.number().int().nonnegative() })
  .refine((r) => !(r.end < r.begin), {
    message: 'range end must not be before begin',
    when: (payload) => isObject(payload),
  });

const VALUE_FIELD = { SCALAR: 'scalar', RANGES: 'ranges', SET: 'set' } as const;

/** Validates ONE resource in the Mesos v1 JSON shape; reports every problem, not just the first. */
export const resourceJsonSchema: z.ZodType<ResourceJson> = z
  .object({
    name: z.string().refine(isValidResourceName, { message: 'name must match [a-zA-Z0-9_.-]+' }),
    type: z.enum(['SCALAR', 'RANGES', 'SET']),
    // z.number() already refuses NaN and ±Infinity.
    scalar: z.object({ value: z.number().nonnegative().max(MAX_SCALAR) }).optional(),
    ranges: z.object({ range: z.array(rangeSchema) }).optional(),
    set: z.object({ item: z.array(z.string()) }).optional(),
    role: z.string().refine(isValidRole, { message: "role must be '*' or [a-zA-Z0-9_.-]+ separated by '/'" }).optional(),
    reservation: reservationJsonSchema.optional(),
  })
  .superRefine((resource, ctx) => {
    // Exactly the value field matching `type` must be present, as in Mesos.
    for (const [kind, field] of Object.entries(VALUE_FIELD)) {
      const present = resource[field] !== undefined;
      if (kind === resource.type && !present) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${kind} resource needs '${field}'` });
      } else if (kind !== resource.type && present) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${resource.type} resource must not have '${field}'` });
      }
    }
    if (resource.reservation && (resource.role === undefined || resource.role === UNRESERVED_ROLE)) {
      ctx.addIssue({ code: 'custom', path: ['reservation'], message: "a reservation needs a role other than '*'" });
    }
  }, { when: isObject });

/** A list of resources; one name must keep one kind throughout, as Mesos requires. */
export const resourcesJsonSchema: z.ZodType<ResourceJson[]> = z.array(resourceJsonSchema).superRefine((list, ctx) => {
  const kinds = new Map<string, string>();
  list.forEach((resource, index) => {
    if (typeof resource !== 'object' || resource === null) return;
    const seen = kinds.get(resource.name);
    if (seen === undefined) kinds.set(resource.name, resource.type);
    else if (seen !== resource.type) {
      ctx.addIssue({ code: 'custom', path: [index, 'type'], message: `'${resource.name}' is both ${seen} and ${resource.type}` });
    }
  });
}, { when: (payload) => Array.isArray(payload.value) });
