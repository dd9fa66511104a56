/**
 * Batched messages: several items (status updates, acknowledgements, launch groups) in one NATS
 * message. Every subject that takes a batch still takes its single form, so a lone item is sent
 * exactly as before a batch form existed and older readers keep working at low rates.
 */

/**
 * NATS refuses messages over its max_payload (1 MB by default). A batch stays well under it; one
 * item bigger than this still goes out alone, as it did before batching.
 */
export const MAX_BATCH_BYTES = 256 * 1024;

const encoder = new TextEncoder();

export interface BatchForm {
  /** The field that holds a lone item (`status`); without it a lone item goes in `many` too. */
  one?: string;
  /** The field that holds the list (`statuses`). */
  many: string;
  /** At most this many items per message (the schema's limit). */
  maxItems: number;
  /** At most this many bytes per message (one oversized item excepted). */
  maxBytes?: number;
}

/**
 * Encodes `items` into as few messages as fit: `{...head, [one]: item}` for a lone item, else
 * `{...head, [many]: [...]}`. What fits in one message is encoded in one go; a batch too big for
 * one is split with each item stringified once and the messages joined from those strings, so
 * the sizes are exact without encoding an item twice.
 */
export function encodeBatches(head: Record<string, unknown>, items: readonly unknown[], form: BatchForm): Uint8Array[] {
  const maxBytes = form.maxBytes ?? MAX_BATCH_BYTES;
  if (items.length === 0) return [];
  // The common case: everything fits in one message, encoded in one go.
  if (items.length <= form.maxItems) {
    const whole = encoder.encode(JSON.stringify(items.length === 1 && form.one ? { ...head, [form.one]: items[0] } : { ...head, [form.many]: items }));
    if (whole.byteLength <= maxBytes || items.length === 1) return [whole];
  }
  const headJson = JSON.stringify(head);
  // `{"epoch":3` + `,` : the head's fields, open for one more.
  const open = headJson.length > 2 ? `${headJson.slice(0, -1)},` : '{';
  const messages: Uint8Array[] = [];
  let chunk: string[] = [];
  let bytes = 0;
  const emit = (): void => {
    if (chunk.length === 0) return;
    const body = chunk.length === 1 && form.one ? `${open}"${form.one}":${chunk[0]}}` : `${open}"${form.many}":[${chunk.join(',')}]}`;
    messages.push(encoder.encode(body));
    chunk = [];
    bytes = 0;
  };
  for (const item of items) {
    const json = JSON.stringify(item);
    const size = Buffer.byteLength(json) + 1;
    if (chunk.length > 0 && (chunk.length >= form.maxItems || bytes + size > maxBytes)) emit();
    chunk.push(json);
    bytes += size;
  }
  emit();
  return messages;
}

/** `one` and `many` are alternatives: exactly one of them must be there. */
export function exactlyOneOf(one: string, many: string): [(value: Record<string, unknown>) => boolean, { message: string }] {
  return [(value) => (value[one] === undefined) !== (value[many] === undefined), { message: `needs either '${one}' or '${many}' (not both)` }];
}
