import type { TelemetryBatch, TelemetryUpload } from '../telemetry/types.js';
import type { TelemetrySpool } from './telemetry-spool.js';

/** Batches per upload (the server accepts up to 500). */
export const UPLOAD_BATCHES = 100;

export interface SendResult {
  sent: number;
  spooled: number;
  error?: unknown;
}

/**
 * Sends closed batches: straight to the server while the spool is empty, else behind what is
 * spooled (oldest first), so order is kept. Whatever cannot be sent goes to the spool. One send at a
 * time; a call during a send waits for it.
 */
export class TelemetrySender {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly spool: TelemetrySpool,
    private readonly upload: (u: TelemetryUpload) => Promise<void>,
    /** An error the server will give again for the same batches (e.g. HTTP 400): drop them, counted. */
    private readonly permanent: (err: unknown) => boolean = () => false,
  ) {}

  send(batches: TelemetryBatch[]): Promise<SendResult> {
    const next = this.chain.then(() => this.sendNow(batches));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async sendNow(batches: TelemetryBatch[]): Promise<SendResult> {
    let sent = 0;
    try {
      if ((await this.spool.size()).batches === 0 && batches.length > 0) {
        const dropped = await this.spool.dropped();
        const fresh = batches.splice(0, UPLOAD_BATCHES);
        try {
          await this.upload({ batches: fresh, dropped });
        } catch (err) {
          batches.unshift(...fresh);
          throw err;
        }
        await this.spool.reported(dropped);
        sent += fresh.length;
      }
      if (batches.length > 0) {
        await this.spool.add(batches);
        batches = [];
      }
      for (;;) {
        const old = await this.spool.oldest(UPLOAD_BATCHES);
        if (old.length === 0) break;
        const dropped = await this.spool.dropped();
        try {
          await this.upload({ batches: old.map((o) => o.batch), dropped });
        } catch (err) {
          if (!this.permanent(err)) throw err;
          await this.spool.discard(old.map((o) => o.name));
          continue;
        }
        await this.spool.reported(dropped);
        await this.spool.remove(old.map((o) => o.name));
        sent += old.length;
      }
      return { sent, spooled: 0 };
    } catch (error) {
      if (batches.length > 0) await this.spool.add(batches);
      return { sent, spooled: (await this.spool.size()).batches, error };
    }
  }
}
