/**
 * The Pulumi operations of the rehearsal on one stack, each printed as the Pulumi CLI prints
 * what it changed: `pulumi up`, `pulumi preview`, `pulumi refresh`, `pulumi destroy`, run by the
 * project's deployment harness. The stack (state, config, outputs) carries from one to the next.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
    deploy,
    DeploymentState,
    destroy,
    DestroyError,
    preview,
    readState,
    refresh,
    ResourceState,
} from "../harness/deployment";
import { changeOf, deletedBetween, differingOutputs } from "./changes";
import {
    diagnosticsBlock,
    displayType,
    Op,
    outputsBlock,
    resourceLine,
    resourceSummary,
    Row,
} from "./show";
import resetAccessProgram = require("../index");

const WIDTHS = { type: 35, name: 20 };

export interface StepOutcome {
    ok: boolean;
    /** Wall-clock milliseconds of the Pulumi operation. */
    ms: number;
}

export class Stack {
    state?: DeploymentState;
    /** The stack outputs of the last successful `pulumi up`; none after destroy. */
    outputs?: Record<string, unknown>;

    constructor(
        /** Stack config, keys as `pulumi config set` stores them. */
        readonly config: Record<string, string>,
        /** Where destroy's checkpoint goes, to print each delete as it happens. */
        private readonly scratch: string,
    ) {}

    /** `pulumi up`: each resource created, updated or replaced as its step completes, then the deletes. */
    async up(): Promise<StepOutcome> {
        console.log("$ pulumi up");
        const started = Date.now();
        const at = () => (Date.now() - started) / 1000;
        const before = new Map(
            (this.state?.resources ?? []).filter((r) => !r.delete).map((r) => [r.urn, r]),
        );
        const counts: Partial<Record<Op | "=", number>> = {};
        const result = await deploy(resetAccessProgram, {
            previous: this.state,
            config: this.config,
            onCompleted: (r) => {
                const op = changeOf(before.get(r.urn), r);
                counts[op ?? "="] = (counts[op ?? "="] ?? 0) + 1;
                if (op) console.log(resourceLine(op, r, at(), WIDTHS));
            },
        });
        // Old copies of replaced resources and what the program no longer declares: deleted last.
        const deleted = deletedBetween([...before.values()], result.state.resources);
        for (const r of deleted) console.log(resourceLine("-", r, at(), WIDTHS));
        counts["-"] = deleted.filter(
            (r) => !result.state.resources.some((n) => n.urn === r.urn),
        ).length; // a replace counts once, as +-
        const ms = Date.now() - started;
        const block = diagnosticsBlock(result.diagnostics);
        if (block) console.log(`\n${block}`);
        this.state = result.state;
        if (result.error) {
            console.log(`\nerror: ${result.error.message}\n`);
        } else {
            this.outputs = result.outputs;
            console.log(`\n${outputsBlock(result.outputs)}\n\n${resourceSummary(counts)}\n`);
        }
        console.log(
            `Duration: ${(ms / 1000).toFixed(1)} s here (times above: seconds since pulumi up started, on this machine)\n`,
        );
        return { ok: !result.error, ms };
    }

    /** `pulumi preview`: what an up would do, resource by resource; nothing is created or changed. */
    async preview(): Promise<StepOutcome> {
        console.log("$ pulumi preview");
        const started = Date.now();
        const result = await preview(resetAccessProgram, {
            previous: this.state,
            config: this.config,
        });
        const marks: Record<string, Op | "="> = {
            create: "+",
            update: "~",
            replace: "+-",
            same: "=",
        };
        const counts: Partial<Record<Op | "=", number>> = {};
        for (const step of result.plan ?? []) {
            const op = marks[step.op];
            counts[op] = (counts[op] ?? 0) + 1;
            if (op !== "=")
                console.log(
                    ` ${op.padEnd(2)} ${displayType(step.type).padEnd(WIDTHS.type)}  ${step.name.padEnd(WIDTHS.name)}  ${step.op}`,
                );
        }
        const block = diagnosticsBlock(result.diagnostics);
        if (block) console.log(`\n${block}`);
        if (result.error) console.log(`\nerror: ${result.error.message}`);
        console.log(`\n${resourceSummary(counts, "planned")}\n`);
        return { ok: !result.error, ms: Date.now() - started };
    }

    /** `pulumi refresh`: each resource read back; those read differently, and those gone. */
    async refresh(): Promise<StepOutcome> {
        console.log("$ pulumi refresh");
        const started = Date.now();
        const before = this.state?.resources ?? [];
        if (!this.state || !before.length) {
            console.log("  (the stack has no resources: nothing to read)\n");
            return { ok: true, ms: 0 };
        }
        const after = await refresh(this.state);
        const at = (Date.now() - started) / 1000;
        const counts: Partial<Record<Op | "=", number>> = {};
        for (const r of before) {
            const now = after.resources.find((n) => n.urn === r.urn && n.id === r.id);
            const names = now ? differingOutputs(r, now) : [];
            const op: Op | "=" = !now ? "-" : names.length ? "~" : "=";
            counts[op] = (counts[op] ?? 0) + 1;
            if (op === "=") continue;
            const shown = names.length > 4 ? [...names.slice(0, 4), "…"] : names;
            console.log(
                resourceLine(
                    op,
                    r,
                    at,
                    WIDTHS,
                    op === "~" ? `read back: ${shown.join(", ")}` : "gone: left the state",
                ),
            );
        }
        this.state = after;
        console.log(`\n${resourceSummary(counts)}\n\nDuration: ${at.toFixed(1)} s here\n`);
        return { ok: true, ms: Date.now() - started };
    }

    /** `pulumi destroy`, each delete printed as the checkpoint loses it. */
    async destroy(): Promise<StepOutcome> {
        console.log("$ pulumi destroy");
        const resources = this.state?.resources ?? [];
        this.outputs = undefined;
        if (!this.state || !resources.length) {
            console.log("  (the stack has no resources: nothing to delete)\n");
            this.state = undefined;
            return { ok: true, ms: 0 };
        }
        const statePath = path.join(this.scratch, "state.json");
        fs.rmSync(statePath, { force: true });
        const started = Date.now();
        const left = new Map(
            resources.map((r) => [`${r.urn} ${r.id}`, r] as [string, ResourceState]),
        );
        const report = (now: DeploymentState) => {
            const present = new Set(now.resources.map((r) => `${r.urn} ${r.id}`));
            for (const [key, r] of left) {
                if (present.has(key)) continue;
                left.delete(key);
                console.log(resourceLine("-", r as Row, (Date.now() - started) / 1000, WIDTHS));
            }
        };
        const poll = setInterval(
            () => fs.existsSync(statePath) && report(readState(statePath)),
            20,
        );
        let ok = true;
        try {
            report(await destroy(this.state, { statePath }));
            this.state = undefined;
        } catch (err) {
            if (!(err instanceof DestroyError)) throw err;
            ok = false;
            this.state = err.state;
            console.log(`\nerror: ${err.message}`);
        } finally {
            clearInterval(poll);
        }
        const ms = Date.now() - started;
        const deleted = resources.length - (this.state?.resources.length ?? 0);
        console.log(
            `\n${resourceSummary({ "-": deleted })}\n\nDuration: ${(ms / 1000).toFixed(1)} s here\n`,
        );
        return { ok, ms };
    }
}
