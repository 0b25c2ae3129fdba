/** The fault matrices' shared parts: what "nothing temporary left" compares, and the printed table. */
import { Inventory } from "./inventory";

export type FaultKind = "API error" | "killed during" | "killed after";

/** Everything but the AMIs: the backup (and a Windows reset's password-enabled AMI) are meant to stay. */
export function temporary(inv: Inventory): Omit<Inventory, "images"> {
    const { images: _kept, ...rest } = inv;
    return rest;
}

/** Steps × fault kinds, each cell "whole" (or "BROKEN") per case run. */
export function printTable(title: string, results: Array<{ fault: { step: string; kind: FaultKind }; ok: boolean }>): void {
    if (!results.length) return;
    const steps = [...new Set(results.map((r) => r.fault.step))];
    const kinds: FaultKind[] = ["API error", "killed during", "killed after"];
    const cell = (step: string, kind: string) => {
        const rows = results.filter((r) => r.fault.step === step && r.fault.kind === kind);
        return rows.length ? rows.map((r) => (r.ok ? "whole" : "BROKEN")).join("+") : "-";
    };
    const lines = [["step", ...kinds], ...steps.map((s) => [s, ...kinds.map((k) => cell(s, k))])];
    const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
    console.log(`\n      ${title}:`);
    for (const line of lines) console.log("      " + line.map((c, i) => c.padEnd(widths[i])).join("  "));
}
