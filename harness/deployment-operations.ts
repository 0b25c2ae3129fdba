/**
 * What a step does to one resource: dynamic resources go through the provider host (new code
 * for create/update, the code stored in state for delete), ordinary ones through the emulated
 * resource table, components (custom=false, not remote) through nothing at all.
 */
import { actAsStack } from "./emulated-aws";
import { EmulationContext, emulatedResource } from "./emulated-resources";
import { DynamicProviderHost, isDynamicType, PROVIDER_KEY } from "./pulumi-host";
import { ResourceState, SeenOptions } from "./deployment-state";
import { durationSeconds } from "../lib/stack-aws";

export type Props = Record<string, unknown>;

/** A resource as the program registered it this time. */
export interface Registration {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    custom: boolean;
    remote: boolean;
    inputs: Props;
    secretInputs: string[];
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    options: SeenOptions;
}

export class ResourceOperations {
    readonly host: DynamicProviderHost;

    constructor(
        private readonly config: Record<string, string>,
        project: string,
    ) {
        this.host = new DynamicProviderHost(config, project);
        actAsStack(config); // the ordinary resources and invokes use the stack's aws credentials
    }

    isDynamic(r: { type: string; inputs: Props }): boolean {
        return isDynamicType(r.type) && typeof r.inputs[PROVIDER_KEY] === "string";
    }

    isComponent(r: { custom: boolean; remote?: boolean }): boolean {
        return !r.custom && !r.remote;
    }

    /** Creates with inputs already checked (dynamic) or as registered (ordinary). */
    async create(reg: Registration, inputs: Props): Promise<{ id: string; outputs: Props }> {
        if (this.isComponent(reg)) return { id: "", outputs: {} };
        if (this.isDynamic(reg)) return this.host.create(inputs);
        return emulatedResource(reg.type).create(this.context(reg, inputs, "create"), inputs);
    }

    async delete(r: ResourceState): Promise<void> {
        if (this.isComponent(r)) return;
        if (this.isDynamic(r)) {
            // The host deletes with the old outputs, which carry the provider text stored in state.
            const olds =
                typeof r.outputs[PROVIDER_KEY] === "string"
                    ? r.outputs
                    : { ...r.outputs, [PROVIDER_KEY]: r.inputs[PROVIDER_KEY] };
            return this.host.delete(r.id, olds);
        }
        return emulatedResource(r.type).delete(
            this.context(r, r.inputs, "delete"),
            r.id,
            r.outputs,
            r.inputs,
        );
    }

    context(
        r: { urn: string; name: string; options: SeenOptions },
        inputs: Props,
        phase: "create" | "update" | "delete",
    ): EmulationContext {
        return {
            name: r.name,
            urn: r.urn,
            region: (inputs.region as string | undefined) || this.region(),
            timeoutSeconds: durationSeconds(r.options.customTimeouts?.[phase]),
        };
    }

    region(): string {
        return this.config["aws:region"] || process.env.AWS_REGION || "us-east-1";
    }
}

/** Pulumi's customTimeouts strings ("10m", "1h30m", "45s") in seconds: the same syntax. */
export { durationSeconds } from "../lib/stack-aws";
