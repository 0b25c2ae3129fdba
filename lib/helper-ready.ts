/**
 * The helper proven ready before the target is touched: its SSM agent Online, and a probe (a
 * command that changes nothing: this tool's probe document, lib/probe-document.ts) answered
 * through the same plugin runtime as the reset document (aws:runShellScript on Linux,
 * aws:runPowerShellScript on Windows). On AWS a helper that cannot reach SSM would otherwise
 * leave the target stopped, root volume detached, until the command's delivery deadline. A
 * helper that never gets there fails here, with the likely causes.
 */
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { awsErrorCode } from "./aws-errors";
import { PROBE_MARKER, PROBE_STEP } from "./probe-document";
import { Platform } from "./target-context";
import { managedStatus, waitUntilManaged } from "./ssm-command";
import { waitFor } from "./waits";

/** Default helperReadyTimeout (seconds): a first boot of Amazon Linux 2023, or of Windows Server (sysprep, then the agent). */
export const DEFAULT_HELPER_READY_SECONDS: Record<Platform, number> = { linux: 600, windows: 1200 };
/** How long the probe itself may take once the agent is Online (real time: it runs for real in the emulator too). */
const PROBE_SECONDS = 180;

export interface HelperNetwork {
    /** "temporary" (the component's VPC: public subnet, internet gateway, public IP) or the subnetId given. */
    subnet: string;
}

/**
 * The error when the helper is not ready in time (err.name "HelperNotReady"); nothing on the
 * target was touched. A plain Error with its name: an Error subclass loses its message through
 * Pulumi's closure serialization of the dynamic provider.
 */
export function helperNotReady(message: string): Error {
    const err = new Error(message);
    err.name = "HelperNotReady";
    return err;
}

export async function waitUntilHelperReady(
    ssm: SSMClient,
    a: {
        helperId: string;
        platform: Platform;
        /** This tool's probe document (lib/probe-document.ts), created by the component. */
        probeDocumentName: string;
        timeoutSeconds: number;
        network: HelperNetwork;
    },
): Promise<{ waitedSeconds: number }> {
    const started = Date.now();
    try {
        await waitUntilManaged(ssm, a.helperId, a.timeoutSeconds);
    } catch (err) {
        // By name only: the serialized provider's copy of WaitTimeout may not pass instanceof Error.
        if ((err as { name?: string })?.name !== "WaitTimeout") throw err;
        const status =
            (await managedStatus(ssm, a.helperId).catch(() => undefined)) ?? "not registered";
        throw helperNotReady(notReadyMessage(a, status, Math.round((Date.now() - started) / 1000)));
    }
    await probe(ssm, a.helperId, a.platform, a.probeDocumentName);
    return { waitedSeconds: Math.round((Date.now() - started) / 1000) };
}

/** A command that changes nothing, through the helper's runtime; fails unless it answers with the marker. */
export async function probe(
    ssm: SSMClient,
    helperId: string,
    platform: Platform,
    documentName: string,
): Promise<void> {
    const sent = await ssm.send(
        new SendCommandCommand({
            DocumentName: documentName,
            InstanceIds: [helperId],
            TimeoutSeconds: 60,
            Comment: "ec2-reset-access: probe that the helper answers commands (changes nothing)",
        }),
    );
    const commandId = sent.Command?.CommandId;
    if (!commandId) throw new Error("SendCommand returned no CommandId for the probe");
    const waiting = {
        what: `the probe command ${commandId} on helper ${helperId}`,
        deadlineSeconds: PROBE_SECONDS,
        realTimeDeadline: true,
    };
    const out = await waitFor(waiting, async () => {
        try {
            const inv = await ssm.send(
                new GetCommandInvocationCommand({
                    CommandId: commandId,
                    InstanceId: helperId,
                    // Two steps (one per platform): AWS wants the step's name.
                    PluginName: PROBE_STEP[platform],
                }),
            );
            return ["Pending", "InProgress", "Delayed"].includes(inv.Status ?? "")
                ? undefined
                : inv;
        } catch (err) {
            if (awsErrorCode(err) === "InvocationDoesNotExist") return undefined;
            throw err;
        }
    });
    if (out.Status !== "Success" || !(out.StandardOutputContent ?? "").includes(PROBE_MARKER)) {
        throw helperNotReady(
            `helper ${helperId} is Online in SSM but did not answer the probe command ${commandId} ` +
                `(${out.Status}, ${out.StatusDetails}, exit code ${out.ResponseCode}): ${(out.StandardErrorContent ?? "").trim().slice(-400)}. ` +
                "Nothing on the target was touched.",
        );
    }
}

function notReadyMessage(
    a: { helperId: string; platform: Platform; timeoutSeconds: number; network: HelperNetwork },
    status: string,
    waited: number,
): string {
    const where =
        a.network.subnet === "temporary"
            ? "the temporary VPC's public subnet (internet gateway, public IP)"
            : `subnet ${a.network.subnet}`;
    const causes = [
        a.network.subnet === "temporary"
            ? "outbound HTTPS blocked (a network firewall or an SCP-enforced egress rule)"
            : "no route to the SSM endpoints from the subnet: it needs a 0.0.0.0/0 route to an internet gateway (and a public IP for the helper), a NAT gateway, or interface endpoints for ssm, ssmmessages and ec2messages with private DNS",
        "DNS: custom DNS servers in the VPC's DHCP options that the helper cannot reach (TCP and UDP 53) or that do not resolve the SSM endpoints",
        "the role: a new instance profile still propagating, AmazonSSMManagedInstanceCore detached, or a permissions boundary or SCP denying ssm:UpdateInstanceInformation",
    ];
    return [
        `helper ${a.helperId} did not become ready: its SSM agent was not Online (${status}) after ${waited} s (helperReadyTimeout ${a.timeoutSeconds} s) in ${where}.`,
        "Nothing on the target was touched: it runs as before.",
        `Likely causes: ${causes.map((c, i) => `(${i + 1}) ${c}`).join("; ")}.`,
        "Fix the cause and run `pulumi up` again, or give a larger helperReadyTimeout (seconds) for a slow first boot.",
    ].join("\n");
}
