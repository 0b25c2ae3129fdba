/** Polling for the emulator's own tests: a state the emulator reaches on its own clock. */

import { sleep } from "../../lib/sleep";
import { WaitTimeout } from "../../lib/waits";

export { sleep };

/** Polls `probe` every `intervalMs` until it returns a value other than undefined, or fails after `ms`. */
export async function poll<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    ms = 5_000,
    intervalMs = 20,
): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new WaitTimeout(what, ms / 1000);
        await sleep(intervalMs);
    }
}
