/**
 * The dynamic-provider host exactly as `pulumi up` starts it for a Node.js project: the
 * consumer's own `node_modules/@pulumi/pulumi/cmd/dynamic-provider`, run by node with the
 * project's folder as cwd (the CLI's `pulumi-resource-pulumi-nodejs` shim runs
 * `node ./node_modules/@pulumi/pulumi/cmd/dynamic-provider $@`), spoken to over gRPC as the
 * engine does: Configure once, then Check/Diff/Create/Update/Delete with the `__provider` text
 * in the properties. The host loads that text with require-from-string, whose `require`s
 * resolve from its cwd: the consumer's node_modules, never this repository's.
 *
 * `routeDynamicProvidersTo` makes the deployment harness (harness/) send its dynamic
 * resources to such a host instead of loading them in this process.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { DynamicProviderHost, PROVIDER_KEY } from "../../harness/pulumi-host";
import { cleanEnvironment } from "./consumer-project";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const provproto = require("@pulumi/pulumi/proto/provider_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const structproto = require("google-protobuf/google/protobuf/struct_pb");

type Props = Record<string, unknown>;
const START_DEADLINE_MS = 30_000;
/** The engine's address argument: the host requires one and uses none (its logs go to stderr). */
const ENGINE_ADDRESS_PLACEHOLDER = "127.0.0.1:1";

/** Preloaded into the host: on SIGTERM, writes every module file the process loaded. */
const MODULE_PROBE = `
const fs = require("fs");
process.on("SIGTERM", () => {
    fs.writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache)));
    process.exit(0);
});
`;

export interface HostReport {
    /** Every module file the host process loaded (its own, and what the providers required). */
    loadedModules: string[];
    /** The host's stdout/stderr: the providers' progress and errors. */
    output: string;
}

export class ConsumerProviderHost {
    /** RPCs made, by method. */
    readonly calls: Record<string, number> = {};
    /** The distinct provider texts the host was given. */
    readonly providerTexts = new Set<string>();

    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
        private readonly probeDir: string,
        private readonly output: () => string,
    ) {}

    /**
     * Starts the host in `projectDir` with a clean environment plus `env` (AWS_ENDPOINT_URL and
     * the like), configured with the stack config as the engine configures it.
     */
    static async start(
        projectDir: string,
        probeDir: string,
        env: NodeJS.ProcessEnv,
        config: Record<string, string>,
    ): Promise<ConsumerProviderHost> {
        fs.writeFileSync(path.join(probeDir, "module-probe.js"), MODULE_PROBE);
        const child = spawn(
            process.execPath,
            [
                "-r",
                path.join(probeDir, "module-probe.js"),
                "./node_modules/@pulumi/pulumi/cmd/dynamic-provider",
                ENGINE_ADDRESS_PLACEHOLDER,
            ],
            {
                cwd: projectDir,
                env: cleanEnvironment({
                    ...env,
                    LOADED_MODULES_FILE: path.join(probeDir, "loaded-modules.json"),
                }),
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let output = "";
        child.stderr!.on("data", (chunk) => (output = (output + chunk).slice(-50_000)));
        const port = await new Promise<number>((resolve, reject) => {
            const timer = setTimeout(
                () =>
                    reject(
                        new Error(
                            `the dynamic-provider host printed no port in ${START_DEADLINE_MS} ms:\n${output}`,
                        ),
                    ),
                START_DEADLINE_MS,
            );
            let first = "";
            child.stdout!.on("data", (chunk) => {
                output = (output + chunk).slice(-50_000);
                if (first.includes("\n")) return;
                first += chunk;
                const line = first.split("\n")[0];
                if (first.includes("\n") && /^\d+$/.test(line.trim())) {
                    clearTimeout(timer);
                    resolve(Number(line.trim()));
                }
            });
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`the dynamic-provider host exited with ${code}:\n${output}`));
            });
        });
        const client = new provrpc.ResourceProviderClient(
            `127.0.0.1:${port}`,
            grpc.credentials.createInsecure(),
        );
        const host = new ConsumerProviderHost(child, client, probeDir, () => output);
        const configure = new provproto.ConfigureRequest();
        configure.setArgs(structproto.Struct.fromJavaScript(config));
        await host.rpc("configure", configure);
        return host;
    }

    /** A ResourceProvider whose every method is the host's RPC on the same properties. */
    provider(): pulumi.dynamic.ResourceProvider {
        const struct = (props: Props) => {
            if (typeof props[PROVIDER_KEY] === "string")
                this.providerTexts.add(props[PROVIDER_KEY] as string);
            return structproto.Struct.fromJavaScript(withoutUndefined(props));
        };
        return {
            check: async (olds: Props, news: Props) => {
                const req = new provproto.CheckRequest();
                req.setOlds(struct(olds));
                req.setNews(struct(news));
                const resp = await this.rpc("check", req);
                const failures = resp
                    .getFailuresList()
                    .map((f: any) => ({ property: f.getProperty(), reason: f.getReason() }));
                return { inputs: resp.getInputs()?.toJavaScript(), failures };
            },
            diff: async (id: string, olds: Props, news: Props) => {
                const req = new provproto.DiffRequest();
                req.setId(id);
                req.setOlds(struct(olds));
                req.setNews(struct(news));
                const resp = await this.rpc("diff", req);
                const changes = {
                    [provproto.DiffResponse.DiffChanges.DIFF_SOME]: true,
                    [provproto.DiffResponse.DiffChanges.DIFF_NONE]: false,
                }[resp.getChanges() as number];
                return {
                    changes,
                    replaces: resp.getReplacesList(),
                    deleteBeforeReplace: resp.getDeletebeforereplace(),
                };
            },
            create: async (inputs: Props) => {
                const req = new provproto.CreateRequest();
                req.setProperties(struct(inputs));
                const resp = await this.rpc("create", req);
                return { id: resp.getId(), outs: resp.getProperties()?.toJavaScript() };
            },
            update: async (id: string, olds: Props, news: Props) => {
                const req = new provproto.UpdateRequest();
                req.setId(id);
                req.setOlds(struct(olds));
                req.setNews(struct(news));
                const resp = await this.rpc("update", req);
                return { outs: resp.getProperties()?.toJavaScript() };
            },
            delete: async (id: string, props: Props) => {
                const req = new provproto.DeleteRequest();
                req.setId(id);
                req.setProperties(struct(props));
                await this.rpc("delete", req);
            },
        };
    }

    /** Stops the host (SIGTERM: the probe writes the modules it loaded). */
    async stop(): Promise<HostReport> {
        this.client.close();
        if (this.child.exitCode === null) {
            const exited = new Promise((resolve) => this.child.once("exit", resolve));
            this.child.kill("SIGTERM");
            await exited;
        }
        const file = path.join(this.probeDir, "loaded-modules.json");
        const loadedModules = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : [];
        return { loadedModules, output: this.output() };
    }

    private rpc(method: string, request: unknown): Promise<any> {
        this.calls[method] = (this.calls[method] ?? 0) + 1;
        return new Promise((resolve, reject) => {
            this.client[method](request, (err: grpc.ServiceError | null, response: unknown) => {
                // The host answers a provider's exception with its message as the status details.
                if (err) reject(new Error(err.details || err.message));
                else resolve(response);
            });
        });
    }
}

/**
 * While installed, the harness's dynamic-provider host hands every dynamic resource to `host`
 * (check, diff, create, update, delete with the same arguments) instead of loading the provider
 * text in this process. Returns the function that puts the in-process loading back.
 */
export function routeDynamicProvidersTo(host: ConsumerProviderHost): () => void {
    const prototype = DynamicProviderHost.prototype as unknown as {
        provider(props: Props): Promise<pulumi.dynamic.ResourceProvider>;
    };
    const inProcess = prototype.provider;
    const remote = host.provider();
    prototype.provider = async (props: Props) => {
        if (typeof props[PROVIDER_KEY] !== "string" || props[PROVIDER_KEY] === "")
            throw new Error(`dynamic resource has no ${PROVIDER_KEY} text`);
        return remote;
    };
    return () => {
        prototype.provider = inProcess;
    };
}

/** What gRPC would carry: no `undefined` members (a protobuf Struct has no such value). */
function withoutUndefined(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(withoutUndefined);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, withoutUndefined(v)]),
        );
    }
    return value;
}
