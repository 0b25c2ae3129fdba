/**
 * Checks what a run needs (tools/deps/requirements.ts), installs what is missing where it can,
 * names in one line each what stays unavailable, and records it for the tests to skip on
 * (tools/deps/capabilities.ts).
 *
 *   ts-node tools/deps/check.ts test       # before mocha: exits 1 only if nothing could run
 *   ts-node tools/deps/check.ts demo       # before the demo: exits 2 if anything is missing
 */
import { capabilitiesFile, skipReason, writeCapabilities } from "./capabilities";
import { installMissing } from "./installers";
import { locatePwsh } from "./probes";
import { hintFor, Purpose, PURPOSES, REQUIREMENTS, Requirement } from "./requirements";

const log = (line: string) => console.log(`deps: ${line}`);

interface Finding {
    entry: Requirement;
    /** what is wrong, with why it could not be installed */
    reason: string;
}

/** Probes, installs what is missing, probes again; returns what is still unavailable. */
export function check(purpose: Purpose): Finding[] {
    const selected = REQUIREMENTS.filter((entry) => entry.purposes.includes(purpose));
    const installable = selected.filter((entry) => entry.install.kind !== "none");
    const firstReasons = new Map<string, string>();
    for (const entry of installable) {
        const reason = entry.probe();
        if (reason) firstReasons.set(entry.capability, reason);
    }
    const missing = installable.filter((entry) => firstReasons.has(entry.capability));
    const failures = installMissing(missing, firstReasons, log);
    const findings: Finding[] = [];
    for (const entry of selected) {
        const failure = failures.get(entry.capability);
        const wasMissing = firstReasons.has(entry.capability);
        // Installed ones are probed again; the machine's own (kind "none") only now, after the installs.
        const reason =
            entry.install.kind === "none" || (wasMissing && failure === undefined)
                ? entry.probe()
                : firstReasons.get(entry.capability);
        if (!reason) continue;
        const notInstalled = failure && failure !== reason ? `; not installed: ${failure}` : "";
        findings.push({ entry, reason: `${reason}${notInstalled}` });
    }
    return findings;
}

function record(purpose: Purpose, findings: Finding[]): void {
    const pwsh = locatePwsh();
    writeCapabilities({
        checkedAt: new Date().toISOString(),
        uid: process.getuid?.() ?? -1,
        checked: REQUIREMENTS.filter((entry) => entry.purposes.includes(purpose)).map(
            (entry) => entry.capability,
        ),
        unavailable: Object.fromEntries(
            findings.map(({ entry, reason }) => [entry.capability, skipReason(entry, reason)]),
        ),
        paths: pwsh ? { pwsh } : {},
    });
}

function main(argv: string[]): number {
    const purpose = argv[0] as Purpose;
    if (argv.length !== 1 || !PURPOSES.includes(purpose)) {
        console.error(
            `usage: check.ts ${PURPOSES.join("|")} (got: ${argv.join(" ") || "nothing"})`,
        );
        return 64;
    }
    const findings = check(purpose);
    record(purpose, findings);
    for (const { entry, reason } of findings) {
        log(
            `${entry.capability} unavailable: ${reason}. Needed by ${entry.neededBy}. Get it: ${hintFor(entry)}`,
        );
    }
    const essential = findings.filter(({ entry }) => entry.essential);
    if (purpose === "demo" && findings.length > 0) {
        log("the demo cannot run without the above");
        return 2;
    }
    if (essential.length > 0) {
        log(`nothing can run without ${essential.map(({ entry }) => entry.capability).join(", ")}`);
        return 1;
    }
    const total = REQUIREMENTS.filter((entry) => entry.purposes.includes(purpose)).length;
    if (findings.length === 0) log(`all ${total} requirements present`);
    else
        log(
            `${total - findings.length} of ${total} requirements present; tests needing the others will be skipped (${capabilitiesFile()})`,
        );
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
