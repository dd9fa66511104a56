/** One Server-Sent Event as Marathon sends it. */
export interface ReceivedEvent {
  event: string;
  data: any;
}

/**
 * Listens to `GET /v2/events` over plain HTTP (fetch, streaming body) and keeps every event,
 * as marathon-lb would read them.
 */
export class EventStream {
  readonly events: ReceivedEvent[] = [];
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();
  contentType = '';

  static async open(baseUrl: string, query = ''): Promise<EventStream> {
    const stream = new EventStream();
    const res = await fetch(`${baseUrl}/v2/events${query}`, { headers: { accept: 'text/event-stream' }, signal: stream.abort.signal });
    if (!res.ok || !res.body) throw new Error(`GET /v2/events -> ${res.status}`);
    stream.contentType = res.headers.get('content-type') ?? '';
    stream.done = stream.read(res.body);
    return stream;
  }

  ofType(type: string): any[] {
    return this.events.filter((e) => e.event === type).map((e) => e.data);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done.catch(() => undefined);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event && data) this.events.push({ event, data: JSON.parse(data) });
      }
    }
  }
}
