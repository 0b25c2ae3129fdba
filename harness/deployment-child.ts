/**
 * Entry point of the deployment child process (see deployment-process.ts). Reads its spec from
 * HARNESS_CHILD_SPEC, runs `deploy` with the state file as checkpoint, reports each completed
 * resource over IPC, and SIGKILLs itself right after the `killAfter` resource is in the file.
 * With `watchCall`, it reports when the Nth request of that operation has been sent (the
 * parent then kills it while the emulator holds the call).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { deploy, Program } from "./deployment";
import { readState } from "./deployment-state";
import type { ChildMessage } from "./deployment-process";

interface ChildSpec {
    modulePath: string;
    exportName?: string;
    statePath: string;
    fromState: boolean;
    stack?: string;
    project?: string;
    config?: Record<string, string>;
    killAfter?: string;
    watchCall?: { operation: string; nth: number; service?: string };
}

function send(message: ChildMessage): Promise<void> {
    return new Promise((resolve) =>
        process.send ? process.send(message, undefined, {}, () => resolve()) : resolve(),
    );
}

/**
 * Watches outgoing AWS requests at the socket layer (the SDK's handler ends every request with
 * its whole body): the operation is X-Amz-Target's last part (JSON protocols) or the Action
 * field (query protocols); the service is the SigV4 scope's.
 */
function watchCalls(watch: NonNullable<ChildSpec["watchCall"]>): void {
    let seen = 0;
    const end = http.ClientRequest.prototype.end as (...args: unknown[]) => http.ClientRequest;
    http.ClientRequest.prototype.end = function (this: http.ClientRequest, ...args: unknown[]) {
        const body = typeof args[0] === "string" || Buffer.isBuffer(args[0]) ? String(args[0]) : "";
        const target = String(this.getHeader("x-amz-target") ?? "");
        const operation = target
            ? target.split(".").pop()
            : /(?:^|&)Action=([^&]+)/.exec(body)?.[1];
        const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(
            String(this.getHeader("authorization") ?? ""),
        )?.[1];
        if (
            operation === watch.operation &&
            (!watch.service || watch.service === service) &&
            ++seen === watch.nth
        ) {
            this.once("finish", () => void send({ kind: "in-flight", operation }));
        }
        return end.apply(this, args);
    } as typeof http.ClientRequest.prototype.end;
}

/** What `killAfter` may name: the resource's name, `<type>::<name>` (names repeat across types), or its URN. */
function names(resource: { name: string; type: string; urn: string }): string[] {
    return [resource.name, `${resource.type}::${resource.name}`, resource.urn];
}

async function main(): Promise<void> {
    const spec = JSON.parse(process.env.HARNESS_CHILD_SPEC ?? "{}") as ChildSpec;
    if (spec.watchCall) watchCalls(spec.watchCall);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(spec.modulePath);
    const program = (loaded[spec.exportName ?? "program"] ?? loaded.default) as Program | undefined;
    if (typeof program !== "function")
        throw new Error(
            `${spec.modulePath} exports no program (${spec.exportName ?? "program"} or default)`,
        );
    const previous =
        spec.fromState && fs.existsSync(spec.statePath) ? readState(spec.statePath) : undefined;
    const result = await deploy(program, {
        previous,
        statePath: spec.statePath,
        stack: spec.stack,
        project: spec.project,
        config: spec.config,
        onCompleted: (resource) => {
            if (spec.killAfter && names(resource).includes(spec.killAfter))
                process.kill(process.pid, "SIGKILL");
            void send({ kind: "completed", name: resource.name, urn: resource.urn });
        },
    });
    await send({
        kind: "done",
        error: result.error?.message,
        outputs: JSON.parse(JSON.stringify(result.outputs ?? {})),
    });
    process.exit(result.error ? 1 : 0);
}

main().catch(async (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    await send({ kind: "done", error: (err as Error).message, outputs: {} });
    process.exit(2);
});
