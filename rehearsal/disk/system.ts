/**
 * Synchronous shell helpers, and whether loop devices work here (the probe itself is
 * tools/deps/probes.ts, which the dependency check and the tests' skips share).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loopDevicesReason } from "../../tools/deps/probes";

/** Runs a command and returns its stdout; throws with the command line and its stderr. */
export function run(command: string, args: string[], input?: string): string {
    try {
        return execFileSync(command, args, {
            encoding: "utf8",
            input,
            stdio: ["pipe", "pipe", "pipe"],
        });
    } catch (error) {
        const failure = error as { stderr?: string; status?: number };
        throw new Error(
            `${command} ${args.join(" ")} failed (${failure.status}): ${failure.stderr ?? error}`,
            { cause: error },
        );
    }
}

/** Runs a command and reports success instead of throwing. */
export function succeeds(command: string, args: string[]): { ok: boolean; output: string } {
    const result = spawnSync(command, args, { encoding: "utf8" });
    return {
        ok: result.status === 0,
        output: `${result.stdout ?? ""}${result.stderr ?? ""}`.trim(),
    };
}

export function makeTempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

let loopReason: string | null | undefined;

/** Why loop devices and mounts cannot be used here, or null when they can (probed once). */
export function loopUnavailableReason(): string | null {
    if (loopReason === undefined) loopReason = loopDevicesReason();
    return loopReason;
}
