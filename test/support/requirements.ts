/**
 * Skips that say why and are counted: a test (or a suite, from its `before` hook) asks for the
 * capabilities it needs by their names in tools/deps/requirements.ts; where one is unavailable
 * it is skipped with the check's reason, and the root hook (test/hooks.ts) prints at the end how
 * many tests were skipped for each reason.
 */
import { unavailableReason } from "../../tools/deps/capabilities";

/** The runnable (test or hook) or suite a reason was recorded on. */
const reasons = new Map<Mocha.Runnable | Mocha.Suite, string>();

/** Skips unless every named capability is available here. */
export function requireCapability(context: Mocha.Context, ...capabilities: string[]): void {
    for (const capability of capabilities) {
        const reason = unavailableReason(capability);
        if (reason) skipWith(context, reason);
    }
}

/**
 * Skips the current test, or the whole suite when called from a `before` hook, printing the
 * reason and recording it for the summary.
 */
export function skipWith(context: Mocha.Context, reason: string): never {
    console.log(`      skipped: ${reason}`);
    reasons.set(skippedScope(context), reason);
    context.skip();
}

function skippedScope(context: Mocha.Context): Mocha.Runnable | Mocha.Suite {
    const runnable = context.test!;
    if ((runnable as { type?: string }).type !== "hook") return runnable;
    const hookTitle =
        (runnable as Mocha.Hook & { originalTitle?: string }).originalTitle ?? runnable.title;
    if (hookTitle.startsWith('"before all"')) return runnable.parent!;
    return context.currentTest ?? runnable.parent!; // a beforeEach skips only its test
}

/** Each pending test under `root`, with the reason recorded for it or for a suite around it. */
function pendingTests(root: Mocha.Suite): Array<{ test: Mocha.Test; reason: string | undefined }> {
    const found: Array<{ test: Mocha.Test; reason: string | undefined }> = [];
    const visit = (suite: Mocha.Suite) => {
        for (const test of suite.tests) {
            if (!test.isPending()) continue;
            let reason = reasons.get(test);
            for (let scope: Mocha.Suite | undefined = suite; !reason && scope; scope = scope.parent)
                reason = reasons.get(scope);
            found.push({ test, reason });
        }
        suite.suites.forEach(visit);
    };
    visit(root);
    return found;
}

/** "N skipped: reason" per reason, most first; tests skipped without a recorded reason last. */
export function skipSummary(root: Mocha.Suite): string[] {
    const counts = new Map<string, number>();
    for (const { reason } of pendingTests(root)) {
        const key =
            reason ??
            "no reason recorded (it.skip, or a skip outside test/support/requirements.ts: see above)";
        counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const unrecorded = [...counts.keys()].filter((key) => key.startsWith("no reason recorded"));
    const ordered = [...counts.entries()]
        .filter(([key]) => !unrecorded.includes(key))
        .sort((a, b) => b[1] - a[1]);
    return [...ordered, ...unrecorded.map((key) => [key, counts.get(key)!] as const)].map(
        ([reason, count]) => `${count} skipped: ${reason}`,
    );
}
