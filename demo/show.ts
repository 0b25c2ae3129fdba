/** How the demo prints a deployment, close to what the Pulumi CLI shows: pure formatting. */

/** What each step means for the person watching, by the last part of its type token. */
export const STEP_NOTES: Record<string, string> = {
    TargetPreflight: "checks passed; nothing touched yet",
    GeneratedSshKey: "private key stored in Parameter Store only",
    Vpc: "temporary VPC",
    Subnet: "public subnet in the target's AZ (its own CIDR)",
    SecurityGroup: "no inbound rule",
    Document: "carries the reset program (a Python zipapp)",
    Instance: "helper running",
    HelperReady: "helper Online in SSM, probe answered; target not touched yet",
    HoldTarget: "target stopped (journal tag set)",
    TargetBackup: "backup AMI started; its snapshots begun, not awaited",
    RootVolumeToHelper: "root volume attached to the helper at /dev/sdf",
    OfflineReset: "the reset program ran on it through Run Command",
    ReleaseTarget: "volume back, prior state back; helper stopping",
};

export function typeName(type: string): string {
    return type.split(/[:/]/).pop() ?? type;
}

export interface Row {
    type: string;
    name: string;
}

/** The Pulumi CLI's marks: + create, ~ update, +- replace, - delete. */
export type Op = "+" | "~" | "+-" | "-";
const STATUS: Record<Op, string> = {
    "+": "created",
    "~": "updated",
    "+-": "replaced",
    "-": "deleted",
};

/** ` +  <type>  <name>  created  3.2 s  <note>`, columns padded to the widths given (the type as displayType shows it). */
export function resourceLine(
    op: Op,
    r: Row,
    atSeconds: number,
    widths: { type: number; name: number },
    note?: string,
): string {
    note ??= op === "-" ? "" : (STEP_NOTES[typeName(r.type)] ?? "");
    return ` ${op.padEnd(2)} ${displayType(r.type).padEnd(widths.type)}  ${r.name.padEnd(widths.name)}  ${STATUS[op]}  ${atSeconds.toFixed(1).padStart(5)} s  ${note}`.trimEnd();
}

/** Pulumi's "Resources:" summary: one line per kind of change, then the unchanged count. */
export function resourceSummary(
    counts: Partial<Record<Op | "=", number>>,
    tense: "done" | "planned" = "done",
): string {
    const words: Record<Op, [string, string]> = {
        "+": ["created", "to create"],
        "~": ["updated", "to update"],
        "+-": ["replaced", "to replace"],
        "-": ["deleted", "to delete"],
    };
    const lines = (Object.keys(words) as Op[])
        .filter((op) => counts[op])
        .map((op) => `    ${op} ${counts[op]} ${words[op][tense === "done" ? 0 : 1]}`);
    if (counts["="]) lines.push(`    ${counts["="]} unchanged`);
    return ["Resources:", ...(lines.length ? lines : ["    no change"])].join("\n");
}

/** Pulumi's "Outputs:" block: names sorted and aligned, values as JSON. */
export function outputsBlock(outputs: Record<string, unknown>): string {
    const names = Object.keys(outputs).sort();
    const width = Math.max(0, ...names.map((n) => n.length));
    const lines = names.map(
        (n) =>
            `    ${n.padEnd(width)}: ${outputs[n] === undefined ? "undefined" : JSON.stringify(outputs[n])}`,
    );
    return ["Outputs:", ...lines].join("\n");
}

export interface DiagnosticLike {
    severity: string;
    message: string;
    urn?: string;
}

/** Pulumi's "Diagnostics:" block for warnings and errors, grouped by resource; infos counted. */
export function diagnosticsBlock(diagnostics: DiagnosticLike[]): string {
    const shown = diagnostics.filter((d) => d.severity !== "info");
    const infos = diagnostics.length - shown.length;
    if (!shown.length && !infos) return "";
    const groups = new Map<string, DiagnosticLike[]>();
    for (const d of shown) groups.set(d.urn ?? "", [...(groups.get(d.urn ?? "") ?? []), d]);
    const lines = ["Diagnostics:"];
    for (const [urn, list] of groups) {
        lines.push(`  ${urn ? urnLabel(urn) : "(program)"}:`);
        for (const d of list) lines.push(`    ${d.severity}: ${d.message}`);
    }
    if (infos)
        lines.push(`  (${infos} info line${infos === 1 ? "" : "s"} about long waits not shown)`);
    return lines.join("\n");
}

/** `urn:pulumi:stack::project::a$b::name` → `b (name)`. */
export function urnLabel(urn: string): string {
    const parts = urn.split("::");
    const type = (parts[2] ?? "").split("$").pop() ?? "";
    return `${type} (${parts[3] ?? urn})`;
}

/**
 * The type as the Pulumi CLI prints it: `aws:ec2/instance:Instance` → `aws:ec2:Instance`; a
 * dynamic resource's `pulumi-nodejs:dynamic/ec2-reset-access:HoldTarget` → `ec2-reset-access:HoldTarget`.
 */
export function displayType(type: string): string {
    const dynamic = "pulumi-nodejs:dynamic/";
    if (type.startsWith(dynamic)) return type.slice(dynamic.length);
    const match = /^([\w-]+):([\w-]+)\/[\w-]+:([\w-]+)$/.exec(type);
    return match ? `${match[1]}:${match[2]}:${match[3]}` : type;
}
