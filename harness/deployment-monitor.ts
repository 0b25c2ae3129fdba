/**
 * The resource monitor the program talks to: Pulumi's MockMonitor (so the SDK behaves exactly as
 * under `pulumi.runtime.setMocks`: a resource is registered only once its dependencies have
 * returned, independent ones concurrently) with `registerResource` overridden to read the whole
 * RegisterResourceRequest. The public `Mocks.newResource` sees only type, name, inputs,
 * provider, custom and id; the request also carries parent, dependencies (dependsOn and data
 * dependencies), property dependencies, protect, retainOnDelete, deleteBeforeReplace,
 * additionalSecretOutputs, ignoreChanges, replaceOnChanges, deletedWith and customTimeouts,
 * which the engine needs. Outputs named in additionalSecretOutputs, or fed by a secret input,
 * go back to the program as secrets, as the engine returns them.
 */
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { Props, Registration } from "./deployment-operations";
import { DeploymentEngine } from "./deployment-engine";
import { invoke } from "./emulated-invokes";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const structproto = require("google-protobuf/google/protobuf/struct_pb");

type Callback = (err: unknown, response: unknown) => void;
// The generated protobuf classes are untyped here: the few getters used are listed.
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getRemote(): boolean;
    getObject(): unknown;
    getProtect(): boolean;
    getRetainondelete(): boolean;
    getDeletebeforereplace(): boolean;
    getDeletebeforereplacedefined(): boolean;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { entries(): Iterable<[string, { getUrnsList(): string[] }]> };
    getAdditionalsecretoutputsList(): string[];
    getIgnorechangesList(): string[];
    getReplaceonchangesList(): string[];
    getDeletedwith(): string;
    getCustomtimeouts():
        { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}

export class HarnessMonitor extends MockMonitor {
    private inflight = 0;
    private idleWaiters: (() => void)[] = [];

    constructor(
        private readonly engine: DeploymentEngine,
        stack: () => string,
        project: () => string,
    ) {
        super({
            newResource: () => {
                throw new Error("reads (Resource.get) are not emulated");
            },
            call: ({ token, inputs }) =>
                invoke(token, engine.ops.region(), unwrapSecrets(inputs).value as Props),
        });
        this.urnOf = (parent, type, name) => {
            const qualified = parent ? `${parent.split("::")[2].split("$").pop()}$${type}` : type;
            return `urn:pulumi:${stack()}::${project()}::${qualified}::${name}`;
        };
    }

    private readonly urnOf: (parent: string, type: string, name: string) => string;

    /** Resolves once no registration or invoke is in flight. */
    idle(): Promise<void> {
        return this.inflight === 0
            ? Promise.resolve()
            : new Promise((resolve) => this.idleWaiters.push(resolve));
    }

    get busy(): boolean {
        return this.inflight > 0;
    }

    async registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
        await this.tracked(async () => {
            try {
                const reg = registration(
                    req,
                    this.urnOf(req.getParent(), req.getType(), req.getName()),
                );
                const { id, outputs } = await this.engine.register(reg);
                const secret = new Set([
                    ...(reg.options.additionalSecretOutputs ?? []),
                    ...reg.secretInputs,
                ]);
                const serialized = await rpc.serializeProperties("", outputs);
                for (const key of Object.keys(serialized)) {
                    if (secret.has(key))
                        serialized[key] = {
                            [rpc.specialSigKey]: rpc.specialSecretSig,
                            value: serialized[key],
                        };
                }
                this.resources.set(reg.urn, { urn: reg.urn, id: id || null, state: serialized });
                const response = new resproto.RegisterResourceResponse();
                response.setUrn(reg.urn);
                response.setId(id || "");
                response.setObject(structproto.Struct.fromJavaScript(serialized));
                callback(null, response);
            } catch (err) {
                callback(err, undefined);
            }
        });
    }

    async invoke(req: unknown, callback: Callback): Promise<void> {
        // The SDK shows the program a failed invoke's gRPC `details`, as the engine sends them.
        const answer: Callback = (err, response) =>
            callback(
                err ? Object.assign(err as Error, { details: (err as Error).message }) : err,
                response,
            );
        await this.tracked(() => super.invoke(req, answer));
    }

    registerResourceOutputs(
        req: { getUrn(): string; getOutputs(): unknown },
        callback: Callback,
    ): void {
        const outputs = req.getOutputs()
            ? rpc.deserializeProperties(req.getOutputs() as never)
            : {};
        this.engine.componentOutputs(req.getUrn(), unwrapSecrets(outputs).value as Props);
        super.registerResourceOutputs(req, callback);
    }

    private async tracked(work: () => Promise<void>): Promise<void> {
        this.inflight++;
        try {
            await work();
        } finally {
            this.inflight--;
            if (this.inflight === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
        }
    }
}

function registration(req: RegisterRequest, urn: string): Registration {
    const { value, secretKeys } = unwrapSecrets(
        rpc.deserializeProperties(req.getObject() as never),
    );
    const timeouts = req.getCustomtimeouts();
    const options = compact({
        protect: req.getProtect() || undefined,
        retainOnDelete: req.getRetainondelete() || undefined,
        deleteBeforeReplace: req.getDeletebeforereplacedefined()
            ? req.getDeletebeforereplace()
            : undefined,
        additionalSecretOutputs: nonEmpty(req.getAdditionalsecretoutputsList()),
        ignoreChanges: nonEmpty(req.getIgnorechangesList()),
        replaceOnChanges: nonEmpty(req.getReplaceonchangesList()),
        deletedWith: req.getDeletedwith() || undefined,
        customTimeouts:
            timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())
                ? compact({
                      create: timeouts.getCreate() || undefined,
                      update: timeouts.getUpdate() || undefined,
                      delete: timeouts.getDelete() || undefined,
                  })
                : undefined,
    });
    return {
        urn,
        type: req.getType(),
        name: req.getName(),
        parent: req.getParent() || undefined,
        custom: req.getCustom(),
        remote: req.getRemote(),
        inputs: value as Props,
        secretInputs: secretKeys,
        dependencies: req.getDependenciesList(),
        propertyDependencies: Object.fromEntries(
            [...req.getPropertydependenciesMap().entries()]
                .map(([k, v]) => [k, v.getUrnsList()])
                .filter(([, urns]) => urns.length > 0),
        ),
        options,
    };
}

/** Secrets arrive wrapped ({<sig>: <secret sig>, value}): plain values, and which top-level keys held one. */
export function unwrapSecrets(input: unknown): { value: unknown; secretKeys: string[] } {
    const secretKeys = new Set<string>();
    const walk = (v: unknown, top?: string): unknown => {
        if (Array.isArray(v)) return v.map((x) => walk(x, top));
        if (v && typeof v === "object") {
            const o = v as Props;
            if (o[rpc.specialSigKey] === rpc.specialSecretSig) {
                if (top !== undefined) secretKeys.add(top);
                return walk(o.value, top);
            }
            return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x, top ?? k)]));
        }
        return v;
    };
    const value = walk(input);
    return { value, secretKeys: [...secretKeys] };
}

function nonEmpty<T>(list: T[]): T[] | undefined {
    return list.length ? list : undefined;
}

function compact<T extends object>(o: T): T {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
