/**
 * Mocha root hooks: one emulator for the whole run (instant profile), its endpoint exported to
 * the AWS SDK clients, reset before each test file that asks for it with `useEmulator()`.
 */
import { Emulator } from "../harness/emulator";

let shared: Emulator | undefined;

/** The run's emulator; suites call this in a `before` hook. */
export function emulator(): Emulator {
    if (!shared) throw new Error("the emulator is not running: test/hooks.ts was not loaded by mocha");
    return shared;
}

export const mochaHooks = {
    async beforeAll(this: Mocha.Context) {
        this.timeout(60_000);
        shared = await Emulator.start();
        shared.exportEnvironment();
    },
    async afterAll(this: Mocha.Context) {
        this.timeout(30_000);
        await shared?.stop();
    },
};
