/**
 * The check's findings, kept where the tests read them: which capabilities are unavailable and
 * why, and where tools that are off PATH were found (pwsh in ~/.dotnet/tools).
 * A test run without the check before it (npx mocha) probes what it asks for instead.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { locatePwsh } from "./probes";
import { hintFor, Requirement, requirement } from "./requirements";

export interface CapabilityRecord {
    checkedAt: string;
    uid: number;
    /** The capabilities this check looked at; others are probed when asked for. */
    checked: string[];
    /** capability → the reason a skipped test prints */
    unavailable: Record<string, string>;
    /** tool → its full path, for tools found off PATH */
    paths: Record<string, string>;
}

/** Findings older than this are probed again: the machine may have changed since. */
const FRESH_FOR_MS = 60 * 60 * 1000;

export function capabilitiesFile(): string {
    return (
        process.env.EC2_RESET_ACCESS_CAPABILITIES ??
        path.join(
            __dirname,
            "..",
            "..",
            "node_modules",
            ".cache",
            "ec2-reset-access",
            "capabilities.json",
        )
    );
}

/** The line a skipped test prints: what is missing, why, and how to get it. */
export function skipReason(entry: Requirement, reason: string): string {
    return `${entry.capability} unavailable: ${reason}; get it: ${hintFor(entry)}`;
}

export function writeCapabilities(record: CapabilityRecord): void {
    const file = capabilitiesFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
    fs.renameSync(`${file}.tmp`, file);
}

function readFresh(): CapabilityRecord | undefined {
    try {
        const record = JSON.parse(fs.readFileSync(capabilitiesFile(), "utf8")) as CapabilityRecord;
        const age = Date.now() - Date.parse(record.checkedAt);
        return record.uid === process.getuid?.() && age >= 0 && age < FRESH_FOR_MS
            ? record
            : undefined;
    } catch {
        return undefined; // no check ran, or its file is unreadable: probe instead
    }
}

const probed = new Map<string, string | null>();

/** Why a capability is unavailable here (the check's finding, else a probe), or null. */
export function unavailableReason(capability: string): string | null {
    const entry = requirement(capability);
    const record = readFresh();
    if (record?.checked.includes(capability)) return record.unavailable[capability] ?? null;
    if (!probed.has(capability)) {
        const reason = entry.probe();
        probed.set(capability, reason ? skipReason(entry, reason) : null);
    }
    return probed.get(capability)!;
}

/** pwsh's full path: from the check, else looked up now. */
export function pwshPath(): string | undefined {
    return readFresh()?.paths.pwsh ?? locatePwsh();
}
