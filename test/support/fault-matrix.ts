/**
 * What the fault matrices (test/e2e/fault-matrix.test.ts for Linux, windows-fault-matrix.test.ts)
 * share: a `pulumi up` with one fault (an AWS API error, or the deploying process killed during a
 * call or after a step), what "nothing temporary left" compares, and the printed table.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { deploy, deployInChild, readState, DeploymentState } from "../../harness/deployment";
import { KillOnCall } from "../../harness/deployment-process";
import { targetShape, wholeShape } from "../../rehearsal/targets";
import { Inventory } from "../../harness/inventory";
import { emulator } from "../hooks";
import { TargetContext } from "../../lib/target-context";
import resetAccessProgram = require("../../index");

const PROGRAM = path.join(__dirname, "..", "e2e", "fixtures", "program.ts");

export type FaultKind = "API error" | "killed during" | "killed after";

export interface Fault {
    step: string;
    kind: FaultKind;
    /** For API errors: the call that fails, and its code (the Nth such call from now). */
    error?: { operation: string; code: string; nth?: number };
    killAfter?: string;
    killOnCall?: KillOnCall;
    /** Whether the step touches the target (so `up` must have repaired it); default true. */
    touches?: boolean;
}

/** How a fault reads in a test's title. */
export function describeFault(fault: Fault): string {
    const nth = (n?: number) => (n ? ` #${n}` : "");
    if (fault.error) return `${fault.error.operation}${nth(fault.error.nth)} → ${fault.error.code}`;
    if (fault.killOnCall) return `${fault.killOnCall.operation}${nth(fault.killOnCall.nth)}`;
    return fault.killAfter ?? "";
}

/**
 * Runs `pulumi up` of the program with the fault (a kill runs it in a child process, its state in
 * `dir`); checks that it failed and that the target is whole already when an error is reported.
 * Returns the state `destroy` starts from.
 */
export async function faultyUp(
    fault: Fault,
    ctx: TargetContext,
    dir: string,
): Promise<DeploymentState> {
    const config = { "ec2-reset-access:instanceId": ctx.instanceId };
    if (fault.killAfter || fault.killOnCall) {
        const statePath = path.join(dir, "state.json");
        const run = await deployInChild({
            modulePath: PROGRAM,
            statePath,
            config,
            killAfter: fault.killAfter,
            killOnCall: fault.killOnCall,
            timeoutMs: 240_000,
        });
        assert.equal(
            run.killed,
            true,
            `the run was not killed: ${run.error ?? ""}\n${run.stderr ?? ""}`,
        );
        return readState(statePath);
    }
    if (fault.error)
        await emulator().control("POST", "/faults", { ...fault.error, message: "injected fault" });
    const up = await deploy(resetAccessProgram, { config });
    assert.ok(up.error, "up fails");
    if (fault.touches !== false) {
        assert.match(up.error.message, new RegExp(`^step ".+" failed for ${ctx.instanceId}: `));
        assert.match(up.error.message, /The instance is whole again/);
    }
    assert.deepEqual(
        await targetShape(new EC2Client({}), ctx),
        wholeShape(ctx),
        "the target is whole when up reports the error",
    );
    return up.state;
}

/** Everything but the AMIs: the backup (and a Windows reset's password-enabled AMI) are meant to stay. */
export function temporary(inv: Inventory): Omit<Inventory, "images"> {
    const { images: _kept, ...rest } = inv;
    return rest;
}

/** Steps × fault kinds, each cell "whole" (or "BROKEN") per case run. */
export function printTable(
    title: string,
    results: Array<{ fault: { step: string; kind: string }; ok: boolean }>,
    kinds: string[] = ["API error", "killed during", "killed after"],
): void {
    if (!results.length) return;
    const steps = [...new Set(results.map((r) => r.fault.step))];
    const cell = (step: string, kind: string) => {
        const rows = results.filter((r) => r.fault.step === step && r.fault.kind === kind);
        return rows.length ? rows.map((r) => (r.ok ? "whole" : "BROKEN")).join("+") : "-";
    };
    const lines = [["step", ...kinds], ...steps.map((s) => [s, ...kinds.map((k) => cell(s, k))])];
    const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
    console.log(`\n      ${title}:`);
    for (const line of lines)
        console.log("      " + line.map((c, i) => c.padEnd(widths[i])).join("  "));
}
