/**
 * What Pulumi's dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`) does with a
 * dynamic resource, minus gRPC: load the provider from the `__provider` text with
 * require-from-string and `.handler()`, configure it once per text with the stack config, and
 * call check/diff/create/update/delete with the same arguments the host passes (checked from
 * the installed SDK's cmd/dynamic-provider/index.js):
 * - check(olds, news): old *inputs* ({} on create) and new inputs, both holding `__provider`;
 *   the result's `__provider` is forced to the new text.
 * - diff(id, olds, news): olds are the old *outputs* (they hold the old `__provider`), news the
 *   checked new inputs; the new text's provider answers.
 * - create(news) and update(id, olds, news) run the new text; `__provider` is added to outs.
 *   With no `update` method the outputs are only `{__provider}` (the host's literal behaviour).
 * - delete(id, olds) runs the text stored in the old outputs: the old code after an upgrade.
 * - read(id, olds) (refresh) runs the stored text; without `read` the stored state stays.
 * Results cross gRPC as a protobuf Struct: `undefined` anywhere fails ("Unexpected struct
 * type."), a Date becomes {}; `overTheWire` does the same conversion here.
 */
import requireFromString = require("require-from-string");
import * as pulumi from "@pulumi/pulumi";
import { Config } from "@pulumi/pulumi/cmd/dynamic-provider/config";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const structproto = require("google-protobuf/google/protobuf/struct_pb");

export const PROVIDER_KEY = "__provider";
export const DYNAMIC_TYPE_PREFIX = "pulumi-nodejs:dynamic";

type Props = Record<string, unknown>;

/** Exactly the host's loading: `require("require-from-string")(text).handler()`. */
export function loadDynamicProvider(serializedText: string): pulumi.dynamic.ResourceProvider {
    return requireFromString(serializedText).handler();
}

export function isDynamicType(type: string): boolean {
    return (
        type === DYNAMIC_TYPE_PREFIX + ":Resource" ||
        type.startsWith(DYNAMIC_TYPE_PREFIX + "/") ||
        type.startsWith(DYNAMIC_TYPE_PREFIX + ":")
    );
}

/** The diff the engine acts on: provider's answer, or the engine's own input comparison. */
export interface EngineDiff {
    changes: boolean;
    replaces: string[];
    deleteBeforeReplace: boolean;
}

/**
 * One host process: the engine starts one per deployment, so the provider cache (and the
 * single `configure` call per provider text) lives as long as this object.
 */
export class DynamicProviderHost {
    private readonly cache = new Map<string, Promise<pulumi.dynamic.ResourceProvider>>();

    constructor(
        private readonly stackConfig: Record<string, string>,
        private readonly project: string,
    ) {}

    provider(props: Props): Promise<pulumi.dynamic.ResourceProvider> {
        const text = props[PROVIDER_KEY];
        if (typeof text !== "string" || text === "") {
            throw new Error(`dynamic resource has no ${PROVIDER_KEY} text`);
        }
        let loaded = this.cache.get(text);
        if (!loaded) {
            loaded = (async () => {
                const provider = loadDynamicProvider(text);
                if (provider.configure) {
                    await provider.configure({
                        config: new Config(this.stackConfig, this.project),
                    });
                }
                return provider;
            })();
            this.cache.set(text, loaded);
        }
        return loaded;
    }

    /** The engine's Check: returns the inputs to use, or throws with the failures. */
    async check(name: string, olds: Props, news: Props): Promise<Props> {
        const provider = await this.provider(news);
        let inputs = news;
        if (provider.check) {
            const result = await provider.check(olds, news);
            const failures = result.failures ?? [];
            if (failures.length > 0) {
                const reasons = failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
                throw new Error(`${name}: check failed: ${reasons}`);
            }
            inputs = result.inputs ?? news;
        }
        return overTheWire({ ...inputs, [PROVIDER_KEY]: news[PROVIDER_KEY] });
    }

    /**
     * The engine's Diff. `changes: undefined` from the provider (or no `diff`) makes the engine
     * compare the old and new inputs itself; the provider's replaces still apply.
     */
    async diff(id: string, oldOutputs: Props, oldInputs: Props, news: Props): Promise<EngineDiff> {
        const provider = await this.provider(news);
        const result = provider.diff ? await provider.diff(id, oldOutputs, news) : {};
        const replaces = result.replaces ?? [];
        const changes = result.changes ?? !sameJson(oldInputs, news);
        return { changes, replaces, deleteBeforeReplace: result.deleteBeforeReplace ?? false };
    }

    async create(news: Props): Promise<{ id: string; outputs: Props }> {
        const provider = await this.provider(news);
        const result = await provider.create(news);
        return { id: result.id, outputs: overTheWire(includingProvider(result.outs, news)) };
    }

    async update(id: string, oldOutputs: Props, news: Props): Promise<Props> {
        const provider = await this.provider(news);
        const result = provider.update ? ((await provider.update(id, oldOutputs, news)) ?? {}) : {};
        return overTheWire(includingProvider(result.outs, news));
    }

    /**
     * The host's Read (`pulumi refresh`): the provider's `read` with the stored outputs; a
     * provider without `read` keeps what is stored.
     */
    async read(id: string, oldOutputs: Props): Promise<{ id: string; outputs: Props }> {
        const provider = await this.provider(oldOutputs);
        if (!provider.read) return { id, outputs: oldOutputs };
        const result = await provider.read(id, oldOutputs);
        return {
            id: result.id ?? id,
            outputs: overTheWire(includingProvider(result.props, oldOutputs)),
        };
    }

    async delete(id: string, oldOutputs: Props): Promise<void> {
        const provider = await this.provider(oldOutputs);
        if (provider.delete) await provider.delete(id, oldOutputs);
    }
}

/**
 * The host's conversion of what it sends back to the engine (Struct.fromJavaScript). Its error
 * keeps the host's message; `where` names the first value that cannot cross (for a person).
 */
export function overTheWire(props: Props): Props {
    try {
        return structproto.Struct.fromJavaScript(props).toJavaScript();
    } catch (err) {
        throw Object.assign(err as Error, { where: unconvertible(props, "") });
    }
}

function unconvertible(value: unknown, at: string): string | undefined {
    if (
        value === undefined ||
        typeof value === "function" ||
        typeof value === "symbol" ||
        typeof value === "bigint"
    ) {
        return `${at || "(root)"} is ${typeof value}`;
    }
    if (value === null || typeof value !== "object") return undefined;
    for (const [key, member] of Object.entries(value)) {
        const found = unconvertible(
            member,
            Array.isArray(value) ? `${at}[${key}]` : at ? `${at}.${key}` : key,
        );
        if (found) return found;
    }
    return undefined;
}

function includingProvider(outs: Props | undefined, props: Props): Props {
    return Object.assign(outs ?? {}, { [PROVIDER_KEY]: props[PROVIDER_KEY] });
}

export function sameJson(a: unknown, b: unknown): boolean {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Key order and `undefined` members do not count as differences (they do not in the engine). */
function canonical(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value)
                .filter((k) => (value as Props)[k] !== undefined)
                .sort()
                .map((k) => [k, canonical((value as Props)[k])]),
        );
    }
    return value;
}
