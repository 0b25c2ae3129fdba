/**
 * Mocha root hooks: one emulator for the whole run (instant profile), its endpoint exported to
 * the AWS SDK clients, reset before each test file that asks for it with `useEmulator()`.
 * At the end, how many tests were skipped and why (test/support/requirements.ts).
 */
import { Emulator } from "../harness/emulator";
import { skipSummary } from "./support/requirements";

let shared: Emulator | undefined;

/** The run's emulator; suites call this in a `before` hook. */
export function emulator(): Emulator {
    if (!shared)
        throw new Error("the emulator is not running: test/hooks.ts was not loaded by mocha");
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
        const skipped = skipSummary(this.test!.parent!);
        if (skipped.length > 0)
            console.log(
                `\n  Skipped, by reason:\n${skipped.map((line) => `    ${line}`).join("\n")}`,
            );
        await shared?.stop();
    },
};
