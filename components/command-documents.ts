/**
 * The component's two Command documents, ordinary resources created after the preflight:
 * - the reset document, whose content follows the platform the preflight found
 *   (lib/linux-document.ts, lib/windows-document.ts);
 * - the helper-ready probe's (lib/probe-document.ts), which prints a marker and changes nothing.
 * Pulumi autonames them `<name>-reset-document-<random>` and `<name>-probe-document-<random>`,
 * the two name patterns the operator policy's `ThisToolsDocument` grants: a holder of the policy
 * sends no document but this tool's.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { resetDocumentContent } from "../lib/linux-document";
import { probeDocumentContent } from "../lib/probe-document";
import { Platform } from "../lib/target-context";
import { windowsDocumentContent } from "../lib/windows-document";

export interface CommandDocumentsArgs {
    /** The target's platform, as the preflight found it. */
    platform: pulumi.Output<Platform>;
    /** The target: each document is tagged `ec2-reset-access:for` with it. */
    instanceId: pulumi.Input<string>;
    /** pulumi-aws v7's per-resource region; the aws provider's when undefined. */
    region?: pulumi.Input<string>;
}

export function commandDocuments(
    name: string,
    args: CommandDocumentsArgs,
    opts: pulumi.CustomResourceOptions,
): { reset: aws.ssm.Document; probe: aws.ssm.Document } {
    const common = {
        documentType: "Command",
        documentFormat: "JSON",
        tags: { "ec2-reset-access:for": args.instanceId },
        region: args.region,
    };
    const reset = new aws.ssm.Document(
        `${name}-reset-document`,
        {
            ...common,
            content: args.platform.apply((p) =>
                p === "windows" ? windowsDocumentContent() : resetDocumentContent(),
            ),
        },
        opts,
    );
    const probe = new aws.ssm.Document(
        `${name}-probe-document`,
        { ...common, content: probeDocumentContent() },
        opts,
    );
    return { reset, probe };
}
