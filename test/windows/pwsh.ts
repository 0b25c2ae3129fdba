/**
 * PowerShell 7, Pester and the NTFS tools for the Windows script's tests: where they are, and why
 * a test that needs them is skipped. The reasons come from the dependency check
 * (tools/deps: capabilities "pwsh", "pester", "ntfs-3g", "root"), and skipUnless() records them
 * for the run's skip summary (test/support/requirements.ts).
 */
import { spawnSync } from "node:child_process";
import { pwshPath as locatePwsh, unavailableReason } from "../../tools/deps/capabilities";
import { PESTER_VERSION } from "../../tools/deps/requirements";
import { skipWith } from "../support/requirements";

export { PESTER_VERSION };

/** The pwsh executable (on the PATH or in ~/.dotnet/tools), or null. */
export function pwshPath(): string | null {
    return locatePwsh() ?? null;
}

const firstReason = (...capabilities: string[]): string | null => {
    for (const capability of capabilities) {
        const reason = unavailableReason(capability);
        if (reason) return reason;
    }
    return null;
};

/** Why tests that run pwsh are skipped here, or null when they can run. */
export const pwshSkipReason = (): string | null => firstReason("pwsh");

/** Why the Pester tests are skipped here, or null. */
export const pesterSkipReason = (): string | null => firstReason("pwsh", "pester");

/** Why the NTFS volume tests are skipped here (pwsh, root, ntfs-3g with FUSE; mkntfs comes with it), or null. */
export const ntfsSkipReason = (): string | null => firstReason("pwsh", "root", "ntfs-3g");

/**
 * Runs a PowerShell command line in pwsh -NoProfile -NonInteractive. Values reach it through
 * `env` ($env:NAME), never spliced into the command's text.
 */
export function runPwsh(command: string, env: Record<string, string> = {}, timeoutMs = 300_000) {
    const pwsh = pwshPath();
    if (!pwsh) throw new Error(pwshSkipReason() ?? "no pwsh");
    return spawnSync(pwsh, ["-NoProfile", "-NonInteractive", "-Command", command], {
        encoding: "utf8",
        timeout: timeoutMs,
        env: { ...process.env, ...env },
    });
}

/** Skips the current test (or suite, from a before hook) with the reason printed, when `reason` is not null. */
export function skipUnless(context: Mocha.Context, reason: string | null): void {
    if (reason !== null) skipWith(context, reason);
}
